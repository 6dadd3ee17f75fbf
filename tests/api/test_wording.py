"""A home's words: read from a form, checked, and applied as each model can."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import (
    InvalidOptionError,
    InvalidWordingError,
    SynthesisOptions,
    as_lines,
    options_from,
)
from custom_components.cosyvoice.api.options import wire_parameters
from custom_components.cosyvoice.api.wording import (
    Replacer,
    replace_words,
    with_phonemes,
)


def test_lines_from_a_form_become_words_and_back() -> None:
    options = options_from(
        {
            "pronunciations": "重庆 = chong2 qing4\n\n 厦门＝xia4 men2 ",
            "replacements": "HA = Home Assistant\n°C = 摄氏度",
        }
    )
    assert options.pronunciations == (("重庆", "chong2 qing4"), ("厦门", "xia4 men2"))
    assert options.replacements == (("HA", "Home Assistant"), ("°C", "摄氏度"))
    assert as_lines(options.replacements) == "HA = Home Assistant\n°C = 摄氏度"
    assert options_from({"replacements": {"HA": "Home Assistant"}}).replacements == (
        ("HA", "Home Assistant"),
    )


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("replacements", "HA Home Assistant", "no_equals"),
        ("replacements", "HA =", "empty_side"),
        ("replacements", {" ": "x"}, "empty_side"),
        ("pronunciations", "Chongqing = chong2 qing4", "not_chinese"),
        ("pronunciations", "重庆 = chong qing", "bad_pinyin"),
        ("pronunciations", "重庆 = chong2 qing9", "bad_pinyin"),
        ("pronunciations", "重庆 = chong2", "syllable_count"),
    ],
)
def test_a_bad_entry_is_named(option: str, value: object, problem: str) -> None:
    with pytest.raises(InvalidWordingError) as caught:
        options_from({option: value})
    assert caught.value.option == option
    assert caught.value.problem == problem


def test_words_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(InvalidOptionError):
        options_from({"replacements": 5})
    with pytest.raises(InvalidOptionError):
        SynthesisOptions(replacements=(("HA",),))  # type: ignore[arg-type]


def test_v3_flash_gets_hot_fix_in_its_documented_shape() -> None:
    options = options_from(
        {
            "pronunciations": {"重庆": "chong2 qing4"},
            "replacements": {"HA": "Home Assistant"},
        }
    )
    assert wire_parameters(options, "websocket")["hot_fix"] == {
        "pronunciation": [{"重庆": "chong2 qing4"}],
        "replace": [{"HA": "Home Assistant"}],
    }
    only_one = options_from({"replacements": {"HA": "Home Assistant"}})
    assert wire_parameters(only_one, "http")["hot_fix"] == {
        "replace": [{"HA": "Home Assistant"}]
    }


@pytest.mark.parametrize(
    ("model", "voice"),
    [
        ("cosyvoice-v2", "longxiaochun_v2"),
        ("cosyvoice-v1", "longwan"),
        ("cosyvoice-v3-plus", "longanyang"),
    ],
)
def test_no_other_model_is_sent_hot_fix(model: str, voice: str) -> None:
    options = options_from(
        {"model": model, "voice": voice, "replacements": {"HA": "Home Assistant"}}
    )
    assert "hot_fix" not in wire_parameters(options, "websocket")


def test_replacements_take_whole_words_only() -> None:
    words = (("HA", "Home Assistant"), ("重庆", "山城"))
    text = "HA, HAT and aHA: 重庆到了。HA"
    assert (
        replace_words(text, words)
        == "Home Assistant, HAT and aHA: 山城到了。Home Assistant"
    )


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_replacements_in_pieces_never_miss_a_split_word(size: int) -> None:
    words = (("HA", "Home Assistant"), ("重庆", "山城"), ("Living room", "lounge"))
    text = "HA says: the Living room in 重庆 is warm; HAT stays. HA"
    replacer = Replacer(words)
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    out = "".join([replacer.feed(piece) for piece in pieces] + [replacer.finish()])
    assert out == replace_words(text, words)


def test_pronunciations_become_phonemes_with_the_text_escaped() -> None:
    document = with_phonemes("去重庆 & <回家>", (("重庆", "chong2 qing4"),))
    assert document == (
        '<speak>去<phoneme alphabet="py" ph="chong2 qing4">重庆</phoneme>'
        " &amp; &lt;回家&gt;</speak>"
    )
    assert with_phonemes("去北京", (("重庆", "chong2 qing4"),)) is None
