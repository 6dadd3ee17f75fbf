"""Cutting long text into messages and tasks (no I/O)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from custom_components.cosyvoice.api.split import group_for_tasks, split_text
from custom_components.cosyvoice.api.text import (
    MAX_CHARS_PER_MESSAGE,
    Piece,
    billed_length,
)
from tests.strategies import awkward_text

# Small limits make every cutting path run: sentences, clauses, words, anywhere.
limits = st.integers(1, 40) | st.just(MAX_CHARS_PER_MESSAGE)


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


def _measured(texts: list[str]) -> list[Piece]:
    return [Piece(text, billed_length(text)) for text in texts]


def test_group_for_tasks() -> None:
    a, b, c, d = _measured(["a" * 40, "b" * 40, "c" * 40, "d" * 10])
    assert group_for_tasks([a, b, c, d], 90) == [[a, b], [c, d]]
    assert group_for_tasks(_measured(["x"]), 90) == [_measured(["x"])]


def test_group_for_tasks_goes_by_the_lengths_it_is_given() -> None:
    """The lengths measured once are used, not measured again."""
    pieces = [Piece("a", 50), Piece("b", 50)]
    assert group_for_tasks(pieces, 90) == [[pieces[0]], [pieces[1]]]


@given(awkward_text, limits)
def test_split_text_gives_back_the_text_in_pieces_that_fit(
    text: str, limit: int
) -> None:
    """The pieces join back to the text, each fits the limit, none could be merged."""
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(pieces) or pieces == [""] == [text]
    # Billing is per character, so it adds up exactly over the cuts.
    assert sum(map(billed_length, pieces)) == billed_length(text)
    for piece in pieces:
        # A Han character bills 2: under a limit of 1 it is a piece of its own.
        assert billed_length(piece) <= limit or len(piece) == 1
    # Pieces are packed greedily: no two neighbours would have fit as one.
    for first, second in itertools.pairwise(pieces):
        assert billed_length(first) + billed_length(second) > limit
    if billed_length(text) <= limit:
        assert pieces == [text]


@given(st.lists(awkward_text, max_size=12), limits)
def test_group_for_tasks_keeps_order_and_fits(texts: list[str], limit: int) -> None:
    """Groups keep the pieces in order, each within the limit unless one piece is over it."""
    pieces = _measured(texts)
    groups = group_for_tasks(pieces, limit)
    assert [piece for group in groups for piece in group] == pieces
    assert all(groups)
    for group in groups:
        assert sum(p.length for p in group) <= limit or len(group) == 1
    for group, after in itertools.pairwise(groups):
        assert sum(p.length for p in group) + after[0].length > limit
