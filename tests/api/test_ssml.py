"""SSML detection and validation (no I/O)."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api.ssml import InvalidSsmlError, check_ssml, is_ssml
from custom_components.cosyvoice.api.text import billed_length


@pytest.mark.parametrize(
    "text",
    [
        "<speak>你好</speak>",
        "  \n<speak rate='1.2'>你好</speak>\n",
        "<speak/>",
        "<speak>一</speak><speak>二</speak>",
    ],
)
def test_ssml_is_recognised(text: str) -> None:
    assert is_ssml(text)


@pytest.mark.parametrize(
    "text",
    [
        "1 < 2 & 3 > 2",
        "Tom & Jerry <3",
        "<speaker>not ssml</speaker>",
        "Say <speak>this</speak>",
        "😀 emoji <b>bold</b>",
        "",
    ],
)
def test_plain_text_with_markup_characters_is_not_ssml(text: str) -> None:
    assert not is_ssml(text)


def test_valid_ssml_bills_only_the_spoken_text() -> None:
    doc = (
        '<speak rate="1.1">今天<break time="500ms"/>天气'
        '<say-as interpret-as="digits">123</say-as>'
        '<phoneme alphabet="py" ph="hao3">好</phoneme>'
        '<sub alias="世界卫生组织">WHO</sub><soundEvent src="https://x/y.wav"/>'
        "</speak><speak>&amp;再见</speak>"
    )
    assert check_ssml(doc) == billed_length("今天天气123好WHO&再见")


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ("<speak>你好", "not well-formed"),
        ("<speak>a & b</speak>", "not well-formed"),
        ("<speak><break></speak>", "not well-formed"),
        ("<speak>hi</speak> tail", "outside <speak>"),
        ("before <speak>hi</speak>", "outside <speak>"),
        ("<speak>hi</speak><p>more</p>", "root must be <speak>"),
        ("<speak><b>bold</b></speak>", "<b>"),
        ("<speak><speak>x</speak></speak>", "nested"),
        ("<speak>  </speak>", "nothing to say"),
        (
            '<!DOCTYPE speak [<!ENTITY a "aaaa">]><speak>&a;</speak>',
            "DOCTYPE",
        ),
    ],
)
def test_malformed_ssml_is_refused_with_the_problem_named(
    doc: str, fragment: str
) -> None:
    with pytest.raises(InvalidSsmlError, match=fragment):
        check_ssml(doc)


def test_ssml_error_names_the_position() -> None:
    with pytest.raises(InvalidSsmlError, match="line 2"):
        check_ssml("<speak>\n<break</speak>")
