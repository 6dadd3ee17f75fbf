"""Which of a task's text has been heard whole: where a cut task may go on from.

The service splits the text into sentences itself and reports each one (protocol notes
§2.6): ``sentence-begin``, then ``sentence-synthesis`` events each followed by exactly
one audio frame of that sentence, then ``sentence-end``, with ``original_text`` (the
sentence as split) on begin and end and the index counting from 0. When a
sentence-end has come, every frame of that sentence has come before it.

So the sentences that ended, placed one after another in the text that was sent, are
the text whose audio is complete; the rest (from the sentence that was cut) is what a
new task must say. The placement is checked, never guessed: an event out of the
documented order, a sentence without its text, or a text that is not the next stretch
of what was sent, and the ledger no longer claims to know. Pure; no I/O.
"""

from __future__ import annotations

from .protocol import ResultGenerated, SentencePart


class SentenceLedger:
    """Follows one task's text and sentence events; knows what is spoken for certain."""

    def __init__(self, *, trusted: bool = True) -> None:
        """Start with nothing sent.

        ``trusted=False``: the events cannot be mapped to the text at all (SSML, whose
        tags are not spoken and which must be sent whole), so nothing is ever certain.
        """
        self._unheard = ""
        """The text sent after the last sentence heard (only this is searched)."""
        self._spoken = 0
        self._certain = trusted
        self._next = 0
        self._begun: str | None = None
        self.sentences = 0
        """Sentences whose audio is complete."""

    @property
    def spoken(self) -> int | None:
        """How much of the sent text (in ``str`` positions) was heard whole.

        None when that is not known for certain.
        """
        return self._spoken if self._certain else None

    def sent(self, text: str) -> None:
        """The task was sent ``text`` (a continue-task), after what it had before."""
        self._unheard += text

    def heard(self, event: ResultGenerated) -> None:
        """A result-generated event of the task, in the order it came."""
        if not self._certain:
            return
        if event.part is SentencePart.BEGIN and event.index == self._next:
            self._begun = event.text
        elif event.part is SentencePart.SYNTHESIS and _at_most(event.index, self._next):
            # A frame of the sentence under way, or of one that ended (an encoder's
            # tail, flushed at finish-task): neither moves where sentences end.
            pass
        elif event.part is SentencePart.END and event.index == self._next:
            self._end(event.text or self._begun)
        else:
            # An older event without sub-type, an unknown one, or one out of order.
            self._certain = False

    def _end(self, sentence: str | None) -> None:
        end = None if sentence is None else _placed(self._unheard, sentence)
        if end is None:
            self._certain = False
            return
        self._spoken += end
        self._unheard = self._unheard[end:]
        self._next += 1
        self._begun = None
        self.sentences += 1


def _at_most(index: int | None, limit: int) -> bool:
    return index is not None and 0 <= index <= limit


def _placed(text: str, sentence: str) -> int | None:
    """Where ``sentence`` ends if ``text`` begins with it.

    Whitespace is not spoken, so it may differ (the service may trim or fold it);
    every other character must be the same, in order. None if it is not there.
    """
    position = 0
    matched = False
    for char in sentence:
        if char.isspace():
            continue
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text) or text[position] != char:
            return None
        position += 1
        matched = True
    return position if matched else None
