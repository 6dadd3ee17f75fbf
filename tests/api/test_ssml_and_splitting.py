"""SSML detection and validation, long-text splitting, WAV joining (no I/O)."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import (
    InvalidOptionError,
    InvalidTextError,
    SynthesisOptions,
    TextTooLongError,
    wav_header,
)
from custom_components.cosyvoice.api.audio import WavHeaderStripper
from custom_components.cosyvoice.api.planning import plan_request
from custom_components.cosyvoice.api.split import group_for_tasks, split_text
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


def test_split_keeps_sentences_and_the_text() -> None:
    text = "第一句话。Second sentence! 第三句？" * 50
    pieces = split_text(text, 60)
    assert "".join(pieces) == text
    assert all(billed_length(p) <= 60 for p in pieces)
    # Every piece ends at a sentence end.
    assert all(p.rstrip()[-1] in "。!？" for p in pieces)


def test_split_cuts_long_sentences_at_clauses_then_words_then_anywhere() -> None:
    clauses = "很长的一个分句，" * 20 + "结束。"
    pieces = split_text(clauses, 40)
    assert "".join(pieces) == clauses
    assert all(p.endswith(("，", "。")) for p in pieces)
    words = "word " * 100
    assert all(p.endswith(" ") for p in split_text(words, 42)[:-1])
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("短。", 10) == ["短。"]


def test_group_for_tasks() -> None:
    pieces = ["a" * 40, "b" * 40, "c" * 40, "d" * 10]
    assert group_for_tasks(pieces, 90) == [["a" * 40, "b" * 40], ["c" * 40, "d" * 10]]
    assert group_for_tasks(["x"], 90) == [["x"]]


def test_plan_plain_long_text() -> None:
    text = "字" * 60_000  # 120,000 billed: six messages, one task
    plan = plan_request(text, SynthesisOptions())
    assert len(plan.tasks) == 1
    assert len(plan.tasks[0]) == 6
    huge = "字。" * 125_000  # 375,000 billed: two tasks
    assert len(plan_request(huge, SynthesisOptions()).tasks) == 2
    assert not plan.ssml


def test_plan_ssml() -> None:
    plan = plan_request("<speak>你好</speak>", SynthesisOptions())
    assert plan.ssml
    assert plan.options.enable_ssml
    assert plan.tasks == [["<speak>你好</speak>"]]
    with pytest.raises(InvalidOptionError, match="does not accept SSML"):
        plan_request(
            "<speak>你好</speak>",
            SynthesisOptions(model="cosyvoice-v1", voice="longwan"),
        )
    with pytest.raises(TextTooLongError, match="one message"):
        plan_request(f"<speak>{'字' * 10_001}</speak>", SynthesisOptions())


@pytest.mark.parametrize("text", ["", " \n "])
def test_plan_refuses_empty_text(text: str) -> None:
    with pytest.raises(InvalidTextError, match="empty"):
        plan_request(text, SynthesisOptions())


def test_wav_header_stripper() -> None:
    pcm = bytes(range(200))
    stream = wav_header(16000) + pcm
    stripper = WavHeaderStripper()
    # Fed in awkward pieces, the header disappears and the samples survive.
    out = b"".join(stripper.feed(stream[i : i + 7]) for i in range(0, len(stream), 7))
    assert out == pcm
    # A header with an extra chunk before "data" is skipped too.
    extra = wav_header(16000)[:36] + b"LIST" + (4).to_bytes(4, "little") + b"abcd"
    extra += b"data" + (0xFFFFFFFF).to_bytes(4, "little")
    assert WavHeaderStripper().feed(extra + pcm) == pcm
    # Data without a header passes unchanged.
    assert WavHeaderStripper().feed(b"\x01\x02") == b"\x01\x02"
    short = WavHeaderStripper()
    assert short.feed(b"RI") == b""
    assert short.feed(b"FX") == b"RIFX"
