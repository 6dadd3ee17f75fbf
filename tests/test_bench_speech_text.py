"""The LLM-answer corpus and the counting of scripts/bench-speech-text."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from typing import Any

import pytest
from markdown_it import MarkdownIt

from devtools import bench_speech_text as bench
from devtools.speech_corpus import (
    CORPUS,
    Answer,
    content_words,
    expected,
    is_plain,
    load_corpus,
    noise_found,
    split_pieces,
    visible_text,
    words,
    words_lost,
)


def _answer(markdown: str, noise: tuple[str, ...] = (), lang: str = "en") -> Answer:
    return Answer(
        name="a",
        lang=lang,
        markdown=markdown,
        must_say=tuple(content_words(markdown)),
        noise=noise,
        plain=is_plain(markdown),
    )


# --- words ------------------------------------------------------------------------


def test_words_split_ids_math_and_han() -> None:
    assert words("Set light.living_room to 2*3, 重庆 21°C!") == [
        "set", "light", "living", "room", "to", "2", "3", "重", "庆", "21", "c",
    ]  # fmt: skip


def test_content_words_of_rendered_markdown() -> None:
    markdown = (
        "## Weather 🌤️\n\n"
        "3. **Now** 14°C\n4. Rain at *4 pm*\n\n"
        "See [the forecast](https://example.com/f) or https://bare.example.org/x\n\n"
        "```yaml\nsecret_key: value\n```\n\n"
        "| Room | State |\n|---|---|\n| Hall | `light.hall` |\n"
    )
    assert " ".join(content_words(markdown)) == (
        "weather 3 now 14 c 4 rain at 4 pm see the forecast or room state hall light hall"
    )


def test_plain_is_prose_without_markdown_url_or_emoji() -> None:
    assert is_plain("The door is locked. It's 18°C, 2*3 is 6.\n")
    assert not is_plain("The door is **locked**.")
    assert not is_plain("The door is locked 🔒")
    assert not is_plain("See https://example.com now.")


# --- noise ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "spoken", "noise"),
    [
        ("**Hi** there", "**Hi** there", {"*": 4}),
        ("**Hi** there", "Hi there", {}),
        ("It is 2*3.", "It is 2*3.", {}),  # the star is text
        ("It is 2*3 **now**.", "It is 2*3 **now**.", {"*": 4}),
        ("Use `snake_case` here", "Use snake_case here", {}),
        ("Use _this_ and `snake_case`", "Use _this_ and snake_case", {"_": 2}),
        ("- one\n- two", "- one\n- two", {"bullet": 2}),
        ("- one\n- two", "one. two.", {}),
        ("- Now: 14\n- High: 19", "Now: 14 - High: 19", {"bullet": 1}),
        ("A well-known 15-20 range", "A well-known 15-20 range", {}),
        ("# Title\n\ntext", "# Title text", {"#": 1}),
        ("> quoted", "> quoted", {">": 1}),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "| a | b |", {"|": 3}),
        ("[doc](https://x.org/p)", "[doc](https://x.org/p)", {"[": 1, "]": 1, "url": 1}),
        ("see https://x.org/p", "see https://x.org/p", {"url": 1}),
        ("see https://x.org/p", "see x.org", {}),
        ("Hi 🚶‍♂️ and ☀️ ok", "Hi 🚶‍♂️ and ☀️ ok", {"emoji": 2}),
        ("Hi ☀️", "Hi \ufe0f", {"emoji": 1}),  # a stray variation selector
        ("~~done~~ ok", "~~done~~ ok", {"~~": 2}),
        ("a\n\n---\n\nb", "a --- b", {"---": 1}),
    ],
)  # fmt: skip
def test_noise_beyond_the_visible_text(
    markdown: str, spoken: str, noise: dict[str, int]
) -> None:
    assert dict(noise_found(spoken, _answer(markdown))) == noise


def test_an_answers_own_noise_counts_every_time() -> None:
    answer = _answer("x\n\n```\nentity_id: a\n```\n", noise=("entity_id",))
    assert noise_found("x entity_id entity_id", answer) == Counter(
        {"entity_id": 2, "_": 2}
    )


def test_words_lost_count_repeats() -> None:
    answer = _answer("on, on and off 重庆")
    assert words_lost("on and off 重", answer) == Counter({"on": 1, "庆": 1})
    assert words_lost("ON on AND off, 重庆!", answer) == Counter()


# --- pieces, ways, bill -------------------------------------------------------------


def test_pieces_are_small_whole_and_repeatable() -> None:
    text = "## Heading\n\n- **bold** item 重庆 ☀️\n" * 5
    pieces = split_pieces(text, random.Random(7))
    assert "".join(pieces) == text
    assert all(1 <= len(piece) <= 8 for piece in pieces)
    assert len({len(piece) for piece in pieces}) > 4
    assert pieces == split_pieces(text, random.Random(7))


class _Upper:
    """A cleaner that holds everything to the end, to see feed and finish joined."""

    def __init__(self) -> None:
        self.held = ""

    def feed(self, piece: str) -> str:
        self.held += piece
        return piece[:1]

    def finish(self) -> str:
        return "|" + self.held.upper()


def test_streamed_joins_every_output_and_the_finish() -> None:
    assert bench.streamed(_Upper, ["ab", "cd"]) == "ac|ABCD"


def _judged(spoken: dict[str, str], answers: list[Answer]) -> dict[str, Any]:
    return bench.judge(spoken, answers)


def test_judge_counts_noise_losses_plain_and_bill() -> None:
    plain = Answer(
        "p", "en", "The door is open.", ("the", "door", "is", "open"), (), True
    )
    rich = _answer("**重庆** is 31°C 🌶️", lang="zh")
    judged = _judged({"p": "The door is open", "a": "**重** is 31°C 🌶️"}, [plain, rich])
    assert judged["noise_tokens"] == 5
    assert judged["noise_by_token"] == {"*": 4, "emoji": 1}
    assert judged["words_lost"] == 1
    assert judged["answers_losing_words"] == {"a": {"庆": 1}}
    assert judged["plain_changed"] == ["p"]
    # "**重** is 31°C 🌶️": 16 characters (the emoji is two), 重 billed twice.
    assert judged["billed"] == {"en": 16, "zh": 17, "all": 33}


def test_saving_in_percent_per_language() -> None:
    before = {"en": 200, "zh": 100, "all": 300}
    after = {"en": 150, "zh": 100, "all": 250}
    assert bench.saving(before, after) == {"en": 25.0, "zh": 0.0, "all": 16.7}


def test_added_is_the_median_paired_difference() -> None:
    pairs = [(0.010, 0.008), (0.020, 0.019), (0.030, 0.030)]
    assert bench.added(pairs) == {
        "with_cleaning_p50_ms": 20.0,
        "without_p50_ms": 19.0,
        "added_p50_ms": 1.0,
        "ratio_of_p50s": 1.053,
    }


def test_the_bench_measures_the_products_cleaner() -> None:
    _, clean, make = bench.product_cleaner()
    assert clean("The lights are **on**.") == "The lights are on."
    assert bench.streamed(make, ["**o", "n**."]) == "on."


async def test_first_audio_through_the_client(socket_enabled: None) -> None:
    answers = load_corpus()[:2]
    pairs = await bench.first_audio_rounds(answers, 1)
    for pace in ("instant", "paced"):
        assert len(pairs[pace]) == 2
        assert all(0 < took < 5 for pair in pairs[pace] for took in pair)
    paced = statistics_median(pairs["paced"])
    assert paced > statistics_median(pairs["instant"])


def statistics_median(pairs: list[tuple[float, float]]) -> float:
    return sorted(p[1] for p in pairs)[len(pairs) // 2]


# --- the corpus -------------------------------------------------------------------


def test_corpus_size_and_languages() -> None:
    answers = load_corpus()
    assert len(answers) >= 30
    langs = Counter(a.lang for a in answers)
    assert set(langs) == {"en", "zh"}
    assert abs(langs["en"] - langs["zh"]) <= 2
    assert sum(a.plain for a in answers) >= 2
    # The file's final newline is the file's, not the agent's.
    assert not any(a.markdown.endswith("\n") for a in answers)


def test_every_answer_has_its_expectations_up_to_date() -> None:
    for path in sorted(CORPUS.glob("*.md")):
        stored = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert stored["lang"] == path.stem.split("-")[0]
        markdown = path.read_text(encoding="utf-8")
        # Remade with `python -c "from devtools.speech_corpus import write_expected;
        # write_expected()"` after an answer changes.
        assert stored == expected(markdown, stored["lang"], stored["noise"]), path.name
        # A noise token is in the answer, and not in its visible text but in a URL.
        visible = re.sub(r"https?://\S+", " ", visible_text(markdown))
        for token in stored["noise"]:
            assert token in markdown, (path.name, token)
            assert token not in visible, (path.name, token)


def test_corpus_covers_what_agents_write() -> None:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    kinds: Counter[str] = Counter()
    for answer in load_corpus():
        for token in md.parse(answer.markdown):
            kinds[token.type] += 1
            for child in token.children or []:
                kinds[child.type] += 1
                if child.type == "code_inline" and re.fullmatch(
                    r"\w+\.\w+", child.content
                ):
                    kinds["entity_id"] += 1
            if token.type == "bullet_list_open" and token.level > 0:
                kinds["nested_list"] += 1
        text = answer.markdown
        kinds["url"] += bool(re.search(r"(?<!\()https?://", text))
        kinds["2*3"] += "2*3" in text
        kinds["°C"] += "°C" in text
        kinds["time"] += bool(re.search(r"\d{1,2}:\d\d", text))
        kinds["emoji"] += bool(re.search("[\U0001f300-\U0001faff]", text))
    for kind in (
        "table_open", "link_open", "url", "fence", "emoji", "strong_open", "em_open",
        "heading_open", "ordered_list_open", "bullet_list_open", "nested_list",
        "blockquote_open", "entity_id", "2*3", "°C", "time", "code_inline", "hr", "s_open",
    ):  # fmt: skip
        assert kinds[kind] >= 2, kind


def test_readme_table_shows_the_figures() -> None:
    answers = [
        _answer("**Hi** 重庆", lang="zh"),
        Answer("b", "en", "Plain text.", ("plain", "text"), (), True),
    ]
    raw = {a.name: a.markdown for a in answers}
    ways = {w: bench.judge(raw, answers) for w in ("raw", "one_shot", "streamed")}
    cleaned = {"a": "Hi 重庆", "b": "Plain text."}
    ways["one_shot"] = ways["streamed"] = bench.judge(cleaned, answers)
    for way in ("one_shot", "streamed"):
        ways[way]["billed_saving_percent"] = bench.saving(
            ways["raw"]["billed"], ways[way]["billed"]
        )
    pair = {"added_p50_ms": 0.12, "ratio_of_p50s": 1.004}
    table = bench.readme_table(
        {
            "cleaner": "test",
            "corpus": {
                "answers": 2, "by_language": {"en": 1, "zh": 1}, "plain": 1,
                "content_words": 5,
            },
            "ways": ways,
            "cost_us_per_1000_chars": {"one_shot": 40.5, "streamed": 61.0},
            "first_audio": {"pairs_per_pace": 9, "instant": pair, "paced": pair},
        }
    )  # fmt: skip
    lines = table.splitlines()
    assert "| noise tokens reaching the service | 4 | 0 | 0 |" in lines
    assert "| billed characters, zh | 11 | 7 (−36.4%) | 7 (−36.4%) |" in lines
    assert "| cleaner's cost per 1,000 characters | – | 40.5 µs | 61.0 µs |" in lines
    assert any(line.endswith("| 0.12 ms (×1.004) |") for line in lines)
    assert lines[-1] == "2 answers (1 English, 1 Chinese); cleaner: test."
