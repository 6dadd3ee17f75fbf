"""Cutting long text into pieces the service takes, at natural boundaries."""

from __future__ import annotations

import re
from typing import Final

from .text import (
    MAX_CHARS_PER_MESSAGE,
    MAX_CHARS_PER_TASK,
    SENTENCE_MARKS,
    Piece,
    billed_length,
)

# Ends of sentences, then of clauses, then words: the preferred cut points in order.
_SENTENCE_END: Final = re.compile(rf"(?<=[{SENTENCE_MARKS}])|(?<=\.)(?=\s)")
_CLAUSE_END: Final = re.compile(r"(?<=[，,、：:）)」』”’])")
_WORD_END: Final = re.compile(r"(?<=\s)")


def split_text(text: str, limit: int = MAX_CHARS_PER_MESSAGE) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` billed characters each.

    Pieces end at sentence boundaries where possible; only a sentence that is too
    long by itself is cut at clauses, then between words, then anywhere. Joined, the
    pieces give back the text exactly.
    """
    return [piece.text for piece in split_measured(text, billed_length(text), limit)]


def split_measured(
    text: str, length: int, limit: int = MAX_CHARS_PER_MESSAGE
) -> list[Piece]:
    """:func:`split_text` of text whose billed ``length`` is known, with theirs."""
    if length <= limit:
        return [Piece(text, length)]
    return _pack(_units(text, limit, 0), limit)


def group_for_tasks(
    pieces: list[Piece], limit: int = MAX_CHARS_PER_TASK
) -> list[list[Piece]]:
    """Group consecutive pieces into tasks of at most ``limit`` billed characters."""
    tasks: list[list[Piece]] = []
    size = limit + 1
    for piece in pieces:
        if size + piece.length > limit:
            tasks.append([])
            size = 0
        tasks[-1].append(piece)
        size += piece.length
    return tasks


_BOUNDARIES: Final = (_SENTENCE_END, _CLAUSE_END, _WORD_END)


def _units(text: str, limit: int, level: int) -> list[str]:
    """Cut ``text`` at the coarsest boundaries that make every unit fit."""
    if billed_length(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return [piece.text for piece in _pack(list(text), limit)]
    units: list[str] = []
    for unit in _BOUNDARIES[level].split(text):
        if unit:
            units.extend(_units(unit, limit, level + 1))
    return units


def _pack(units: list[str], limit: int) -> list[Piece]:
    """Join consecutive units greedily while they fit."""
    pieces: list[Piece] = []
    current: list[str] = []
    size = 0
    for unit in units:
        length = billed_length(unit)
        if current and size + length > limit:
            pieces.append(Piece("".join(current), size))
            current, size = [], 0
        current.append(unit)
        size += length
    if current:
        pieces.append(Piece("".join(current), size))
    return pieces
