"""An assistant's Markdown as words: whole, and in the small pieces an LLM writes."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.cosyvoice.api import TextCleaner, clean_text

ANSWER = """## Weather today ☀️

It will be **sunny** with a high of 22°C. Try `light.living_room`; snake_case_names stay, and 2*3 is six.

- Milk
- Eggs (a dozen)
- [ ] Bread

1. Preheat the oven
2. Mix *flour* and sugar.

> Doors lock at ten.

| Day | High | Low |
|---|---|---|
| Mon | 20°C | 12°C |

See [the forecast](https://weather.example.com/today) or https://www.example.org/path?q=1.

```yaml
action: light.turn_on
target:
  entity_id: light.kitchen
```

Done ✅!"""

SPOKEN = """Weather today.

It will be sunny with a high of 22°C. Try light.living_room; snake_case_names stay, and 2*3 is six.

Milk.
Eggs (a dozen).
Bread.

1. Preheat the oven.
2. Mix flour and sugar.

Doors lock at ten.

Day, High, Low.
Mon, 20°C, 12°C.

See the forecast or example.org.

Done!"""


def streamed(text: str, seed: int, longest: int = 8) -> str:
    """``text`` through a cleaner in pieces of 1 to ``longest`` characters."""
    chooser = random.Random(seed)
    cleaner, out, at = TextCleaner(), [], 0
    while at < len(text):
        size = chooser.randint(1, longest)
        out.append(cleaner.feed(text[at : at + size]))
        at += size
    out.append(cleaner.finish())
    return "".join(out)


def words(text: str) -> list[str]:
    return re.findall(r"[\w°]+", text)


def test_an_answer_becomes_words() -> None:
    assert clean_text(ANSWER).replace("\n\n\n", "\n\n") == SPOKEN


def test_a_chinese_answer_keeps_its_numbers_and_pauses() -> None:
    text = "## 今天的天气\n\n今天**晴**，最高22°C。🌞\n\n1. 预热烤箱\n2. 混合面粉\n\n| 时间 | 事件 |\n|---|---|\n| 8:00 | 起床 |\n"
    assert clean_text(text) == (
        "今天的天气。\n\n今天晴，最高22°C。\n\n1、预热烤箱。\n2、混合面粉。\n\n"
        "时间，事件。\n8:00，起床。\n"
    )


@pytest.mark.parametrize("seed", range(40))
def test_pieces_say_what_the_whole_says(seed: int) -> None:
    assert words(streamed(ANSWER, seed)) == words(SPOKEN)
    assert not set("*#`|[]") & set(streamed(ANSWER, seed).replace("2*3", ""))


@pytest.mark.parametrize(
    ("pieces", "spoken"),
    [
        (["*ita", "lic* text."], "italic text."),
        (["**bo", "ld** and `co", "de` here."], "bold and code here."),
        (["今天**很", "**热。"], "今天很热。"),
        (["[Open the ", "app](https://ex", "ample.com/x) now."], "Open the app now."),
        (["- ", "[", " ] Bread\n"], "Bread.\n"),
        (["#", "# Title\n"], "Title.\n"),
        (["`", "``\ncode\n``", "`\nAfter."], "After."),
    ],
)
def test_markup_split_across_pieces_never_leaks(pieces: list[str], spoken: str) -> None:
    cleaner = TextCleaner()
    assert "".join([cleaner.feed(p) for p in pieces] + [cleaner.finish()]) == spoken


@pytest.mark.parametrize(
    "prose",
    [
        "The kitchen light (by the window) is on.",
        "Turn on light.living_room and function_call_output, 2*3 = 6.",
        "Hello.\r\n\r\nIt is 3.5 degrees - cold.  Two spaces stay.\n",
        "  Indented prose and a trailing space ",
        "明天重庆有雨，气温18到25度。",
        "Prices: 5 > 3 and 1 < 2 are true.",
    ],
)
def test_prose_passes_byte_for_byte(prose: str) -> None:
    assert clean_text(prose) == prose
    assert streamed(prose, 1) == prose


@given(
    st.lists(
        st.text(
            alphabet=st.characters(
                categories=["L", "N", "Zs"], exclude_characters="\r\n\t"
            ),
            min_size=1,
            max_size=30,
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 1000),
)
def test_any_words_and_spaces_pass_unchanged(lines: list[str], seed: int) -> None:
    text = "\n\n".join(line for line in lines if line.strip() and not line[0].isdigit())
    if not text.strip():
        return
    assert clean_text(text) == text
    assert streamed(text, seed) == text


def test_ssml_is_never_touched() -> None:
    document = "<speak>你好 **x** <break time='1s'/></speak>"
    assert clean_text(document) == document
    assert streamed(document, 3) == document


def test_a_text_that_is_only_markup_says_nothing() -> None:
    assert clean_text("```\nprint(1)\n```").strip() == ""
    assert clean_text("🎉🎉").strip() == ""


def test_a_writer_that_pauses_after_a_sentence_gets_it_spoken() -> None:
    """The sentence before a pause is given out at once, not when text resumes."""
    cleaner = TextCleaner()
    assert cleaner.feed("Hello there, welcome") == "Hello there,"
    assert cleaner.feed(" home.") == " welcome home."
    assert cleaner.feed(" See https://example.com") == " See"
    assert cleaner.finish() == " example.com"


def test_chinese_is_given_out_as_it_is_written() -> None:
    """Chinese has no spaces to end a first word: a line of it is prose at once."""
    cleaner = TextCleaner()
    assert cleaner.feed("今天天气") == "今天天气"
    assert cleaner.feed("很好。") == "很好。"
    assert cleaner.feed("**明天**下雨") == "明天下雨"


@pytest.mark.parametrize(
    ("written", "at_pause", "then", "end"),
    [
        ("Hello there, and welcome", " welcome", " home.", " home."),
        ("It is **very war", "", "m** today.", "very warm today."),
        ("See [the forecast", "", "](https://example.com) now.", "the forecast now."),
        ("1", "", ". Milk", "1. Milk."),
        ("| Day | High", "", " |\n", "Day, High.\n"),
    ],
)
def test_a_pause_gives_out_what_is_complete_and_nothing_open(
    written: str, at_pause: str, then: str, end: str
) -> None:
    """Where the writer stops, words are spoken; an open ``**`` or link waits."""
    cleaner = TextCleaner()
    before = cleaner.feed(written)
    assert cleaner.pause() == at_pause
    assert cleaner.pause() == ""  # said once
    rest = cleaner.feed(then) + cleaner.finish()
    assert before + at_pause + rest == clean_text(written + then)
    assert rest.endswith(end)
