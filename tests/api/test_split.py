"""Cutting long text into messages and tasks (no I/O)."""

from __future__ import annotations

from custom_components.cosyvoice.api.split import group_for_tasks, split_text
from custom_components.cosyvoice.api.text import billed_length


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
