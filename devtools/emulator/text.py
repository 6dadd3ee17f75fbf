"""Character billing, SSML stripping and the server-side sentence splitter."""

from __future__ import annotations

import html
import re

# CJK ideographs (unified, extensions A-I, compatibility): billed as 2 (doc §3.4).
_HAN = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U000323af]"
)
_TAG = re.compile(r"<[^<>]*>")
# Where the service ends a sentence; an ASCII '.' only before whitespace or at
# the end, so "3.14" and "e.g" stay whole.
_SENTENCE_END = re.compile(r"[。！？!?；;]+|\.(?=\s|\Z)|\n")


def is_han(char: str) -> bool:
    """Whether ``char`` is a Han character (billed as 2)."""
    return _HAN.match(char) is not None


def billed_characters(text: str) -> int:
    """Characters billed for ``text``: Han characters count 2, all others 1."""
    return len(text) + len(_HAN.findall(text))


def strip_ssml(text: str) -> str:
    """Return the spoken text of an SSML document: tags removed, entities decoded.

    SSML tags are not billed (doc §3.3), and plain text passes through unchanged,
    since the SDK's ``call()`` sends ``enable_ssml`` with plain text too.
    """
    return html.unescape(_TAG.sub("", text))


def has_ssml_markup(text: str) -> bool:
    """Whether ``text`` contains something that looks like an SSML tag."""
    return _TAG.search(text) is not None


class SentenceSplitter:
    """Buffers streamed text and hands out complete sentences, like the service.

    Whitespace-only pieces (e.g. the newline after a full stop) are dropped:
    nothing is synthesised or billed for them.
    """

    def __init__(self) -> None:
        """Start with an empty buffer."""
        self._buffer = ""

    def feed(self, text: str) -> list[str]:
        """Add ``text``; return the sentences it completed (the rest stays buffered)."""
        self._buffer += text
        sentences = []
        start = 0
        for match in _SENTENCE_END.finditer(self._buffer):
            sentences.append(self._buffer[start : match.end()])
            start = match.end()
        self._buffer = self._buffer[start:]
        return [sentence for sentence in sentences if sentence.strip()]

    def drain(self) -> list[str]:
        """Return whatever is buffered as a final sentence (flush or finish-task)."""
        rest, self._buffer = self._buffer, ""
        return [rest] if rest.strip() else []


def split_sentences(text: str) -> list[str]:
    """Split a whole text the way a task fed it at once and then finished would."""
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.drain()
