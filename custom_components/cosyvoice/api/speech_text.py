"""What an LLM writes, as words a voice says: Markdown, links, code and emoji taken out.

Conversation agents answer in Markdown, and Home Assistant hands it to TTS as it is:
the voice would read ``**``, ``##``, table pipes and whole URLs, and every one of
them is billed. :class:`TextCleaner` turns it into words, line by line as the text is
written, so an answer streamed in small pieces is cleaned as well as a whole one:

* headings, list bullets, numbering and quote markers go, and a heading or an item
  ends with a pause (a full stop) unless it has one; numbered items keep their number;
* emphasis, strikethrough and inline code keep their text (CommonMark's rules, from
  ``markdown-it-py``: ``snake_case`` and ``2*3`` are text, not emphasis);
* a link keeps its text, a bare URL becomes its domain, an image goes;
* a table is read row by row, its cells one after another;
* a fenced code block is not read at all; emoji are dropped.

A line without any of these passes unchanged, byte for byte, and an SSML document is
never touched. The block structure (what a line is) is read from the start of each
line; its inline Markdown is parsed by markdown-it once a part of it is complete: at
a word (or, in Chinese, a character) whose emphasis, code, links and brackets are all
closed. A ``**`` that arrives in two pieces is therefore never spoken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from markdown_it import MarkdownIt

from .ssml import is_ssml

_MD: Final = MarkdownIt("commonmark", {"html": True}).enable("strikethrough")

_EMOJI_CLASS: Final = (
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, flags, symbols
    "\u2600-\u27bf"  # miscellaneous symbols and dingbats (☀ ✅ ❤)
    "\u2b00-\u2bff"  # arrows and stars used as emoji (⭐ ⬆)
    "\u231a\u231b\u23e9-\u23f3\u23f8-\u23fa"  # ⌚ ⏰ ⏳ ⏩
    "\u25a0-\u25ff"  # geometric shapes (▶ ◀ ●) that LLMs use as bullets
    "\u24c2\u3030\u303d\u3297\u3299"
    "\ufe0e\ufe0f\u200d\u20e3"  # presentation selectors, joiner, keycap
    "\U000e0020-\U000e007f"  # tag characters of subdivision flags
    "]"
)
_EMOJI: Final = re.compile(rf"[ \t]*{_EMOJI_CLASS}+")
_URL: Final = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]{}\"'，。）]+", re.I)
_URL_TAIL: Final = ".,;:!?"
# Characters that may start inline Markdown, HTML or an entity: a text without any
# of them (nor a URL or an emoji) is words already.
_MAYBE_INLINE: Final = re.compile(
    rf"[*_`\[\]<>&\\~!|]|https?://|www\.|{_EMOJI_CLASS}", re.I
)

_QUOTES: Final = re.compile(r"(?:[ \t]{0,3}>[ \t]?)+")
_HEADING: Final = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]+|$)")
_HEADING_END: Final = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_ORDERED: Final = re.compile(r"[ \t]*(\d{1,9})[.)](?:[ \t]+|$)")
_BULLET: Final = re.compile(r"[ \t]*[-+*•‣◦▪](?:[ \t]+|$)")
_TASK_BOX: Final = re.compile(r"\[[ xX]\](?:[ \t]+|$)")
_TASK_BOX_START: Final = re.compile(r"\[(?:[ xX]\]?)?$")
_FIRST_WORD: Final = re.compile(r"[ \t]*\S+[ \t]")
_PROSE_START: Final = re.compile(r"[ \t]*[^\s#\d\-+*•‣◦▪\[>=_|`~]")
"""A line that starts so is prose whatever its first word becomes (Chinese has no
spaces to end one)."""
_RULE: Final = re.compile(r"[ \t]{0,3}(?:(?:[-*_][ \t]*){3,}|=+[ \t]*)$")
_FENCE: Final = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})")
_DELIMITER_ROW: Final = re.compile(
    r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$"
)
_CELL_BORDER: Final = re.compile(r"[ \t]*\|")
_CELL_SPLIT: Final = re.compile(r"(?<!\\)\|")

_MARKER_ONLY: Final = re.compile(r"[ \t]*(?:[>#\d.)*+•‣◦▪\-\[\] xX][ \t]*)*$")
"""A line start that may still be a heading, an item or a quote marker."""

_HAN: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_CJK_STOP: Final = "，。！？；：、…）」』》"
_PAUSED: Final = ".!?;:,…" + _CJK_STOP
_DELIMITERS: Final = "*_~`"
_SENTENCE_ENDS: Final = ".!?;…。！？；"
_CLOSERS: Final = "\"'”’」』）)"
_UNBALANCED: Final = re.compile(r"[*_~`\\\[\]()<>]")
"""What may open or close an inline construct."""
_CANDIDATE: Final = re.compile(
    rf"(?<=\S)(\s)|[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f{_CJK_STOP}]"
)


def clean_text(text: str) -> str:
    """The words of a whole text: Markdown out, SSML and plain prose as they are."""
    if is_ssml(text):
        return text
    return TextCleaner().whole(text)


@dataclass(slots=True)
class _Line:
    """What the line being written is, and how far it was spoken."""

    kind: str
    """paragraph, quote, heading or item."""
    number: str
    """An ordered item's number; "" otherwise."""
    done: int
    """Where the unspoken rest of the line starts."""
    said: str = ""
    """The line's words so far (its end decides the closing pause)."""


class TextCleaner:
    """Cleans text that arrives in pieces: each piece gives back what is now complete.

    ``feed`` returns the words that are now safe to speak (possibly ""), ``finish``
    the rest. Joined, they are what :func:`clean_text` makes of the whole text.
    """

    def __init__(self) -> None:
        """Nothing read yet."""
        self._ssml: bool | None = None
        self._buffer = ""
        """The line being written, from its start."""
        self._line: _Line | None = None
        self._fence: str | None = None
        self._table = False
        self._header: str | None = None
        """A line with a pipe, kept until the next shows whether it heads a table."""

    def feed(self, piece: str) -> str:
        """Add what was written; return the words now complete."""
        self._buffer += piece
        if self._ssml is None and not self._decide_ssml():
            return ""
        if self._ssml:
            piece, self._buffer = self._buffer, ""
            return piece
        words = []
        while (end := self._buffer.find("\n")) >= 0:
            line, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
            words.append(self._end_line(line, "\n"))
        words.append(self._release())
        return "".join(words)

    def pause(self) -> str:
        """The writer paused: the words of the line so far, if nothing in it is open.

        A pause is where a person would speak what was written, but an unclosed
        ``**``, link or bracket, a table row or a fence keeps its words back, so
        nothing is heard as markup; a line whose first word may yet be a marker
        (``1``, ``#``, ``-``) waits too.
        """
        if self._ssml is not False or self._fence is not None or self._table:
            return ""  # SSML is given out as it comes; a fence or table is held
        line = self._buffer
        if self._header is not None or "|" in line or _could_open_fence(line):
            return ""
        if self._line is None:
            if _MARKER_ONLY.match(line):
                return ""
            lead = _lead(line, complete=True)
            assert lead is not None  # as a whole line, it is known
            self._line = _Line(*lead)
        said = line.rstrip()
        if len(said) <= self._line.done or not _all_closed(said, self._line.done):
            return ""
        words = _say(line[self._line.done :], self._line)
        self._line.done = len(line)
        return words

    def whole(self, text: str) -> str:
        """The words of a text known whole: line by line, nothing held back."""
        self._ssml = False
        *lines, self._buffer = text.split("\n")
        return "".join(self._end_line(line, "\n") for line in lines) + self.finish()

    def finish(self) -> str:
        """The text ended: the words of whatever is left."""
        rest, self._buffer = self._buffer, ""
        if self._ssml or (self._ssml is None and is_ssml(rest)):
            return rest
        self._ssml = False
        words = self._end_line(rest, "") if rest or self._header is not None else ""
        if self._header is not None:
            words = self._say_line(self._header, "") + words
            self._header = None
        return words

    def _decide_ssml(self) -> bool:
        """Whether enough was written to tell SSML (``<speak``) from text."""
        start = self._buffer.lstrip()
        if len(start) < len("<speak ") and "<speak".startswith(start[:6]):
            return False
        self._ssml = is_ssml(self._buffer)
        return True

    def _end_line(self, line: str, newline: str) -> str:
        """A whole line: its words (with its line break), or nothing for markup."""
        if self._fence is not None:
            if _closes_fence(line, self._fence):
                self._fence = None
            return ""
        if self._header is not None:
            header, self._header = self._header, None
            if "|" in line and _DELIMITER_ROW.match(line):
                self._table = True
                return self._row(header, "\n")
            return self._say_line(header, "\n") + self._end_line(line, newline)
        if self._table:
            if "|" in line and line.strip():
                return "" if _DELIMITER_ROW.match(line) else self._row(line, newline)
            self._table = False
        if self._line is None:
            if fence := _FENCE.match(line):
                self._fence = fence.group(1)
                return ""
            if "|" in line and _DELIMITER_ROW.match(line):
                self._table = True
                return ""
            if "|" in line:
                if line.lstrip().startswith("|"):
                    self._table = True
                    return self._row(line, newline)
                self._header = line
                return ""
            if _RULE.match(line) and line.strip():
                return newline
        return self._say_line(line, newline)

    def _say_line(self, line: str, newline: str) -> str:
        """The rest of a line that ended, with the pause a heading or an item takes."""
        state, self._line = self._line, None
        if state is None:
            lead = _lead(line, complete=True)
            assert lead is not None  # a whole line is always known
            state = _Line(*lead)
        rest = line[state.done :]
        if state.kind == "heading":
            rest = _HEADING_END.sub("", rest)
        words = _say(rest, state)
        said = (state.said + words).rstrip()
        if state.kind in ("heading", "item") and said and said[-1] not in _PAUSED:
            words = words.rstrip() + ("。" if _HAN.match(said[-1]) else ".")
        return words + newline

    def _release(self) -> str:
        """The complete part of the line being written, if any is."""
        if self._fence is not None or self._header is not None or self._table:
            return ""
        line = self._buffer
        if self._line is None:
            if "|" in line or _FENCE.match(line) or _could_open_fence(line):
                return ""  # a table row or a fence: read as a whole line
            lead = _lead(line, complete=False)
            if lead is None:
                return ""
            self._line = _Line(*lead)
        cut = _safe_cut(line, self._line.done)
        if cut <= self._line.done:
            return ""
        words = _say(line[self._line.done : cut], self._line)
        self._line.done = cut
        return words

    def _row(self, line: str, newline: str) -> str:
        """A table row, its cells read one after another."""
        cells = [
            words
            for cell in _CELL_SPLIT.split(line.strip().strip("|"))
            if (words := _inline(cell.strip()).strip())
        ]
        if not cells:
            return ""
        han = any(_HAN.search(cell) for cell in cells)
        row = ("，" if han else ", ").join(cells)
        if row[-1] not in _PAUSED:
            row += "。" if han else "."
        return row + newline


def _lead(line: str, *, complete: bool) -> tuple[str, str, int] | None:
    """What a line is (kind, number, where its words start); None: not known yet.

    A line is known once its first word is whole (``1`` may yet be ``1.`` and ``#``
    may yet be ``## Weather``), or at once when no marker starts so.
    """
    quotes = _QUOTES.match(line)
    start = quotes.end() if quotes else 0
    kind = "quote" if quotes else "paragraph"
    rest = line[start:]
    if not complete and not (_FIRST_WORD.match(rest) or _PROSE_START.match(rest)):
        return None
    lead: tuple[str, str, int] = (kind, "", start)
    if heading := _HEADING.match(rest):
        lead = ("heading", "", start + heading.end())
    elif ordered := _ORDERED.match(rest):
        lead = ("item", ordered.group(1), start + ordered.end())
    elif bullet := _BULLET.match(rest):
        after = start + bullet.end()
        if not complete and _TASK_BOX_START.match(line, after):
            return None
        box = _TASK_BOX.match(line, after)
        lead = ("item", "", box.end() if box else after)
    # The first word after a marker tells an item from a task box: wait for it.
    return None if not complete and lead[2] == len(line) else lead


def _say(source: str, line: _Line) -> str:
    """Words of a piece of a line; an item's number goes before its first word."""
    words = _inline(source)
    if not line.said:
        words = words.lstrip() if line.kind != "paragraph" else words
        if line.number and words:
            words = line.number + ("、" if _HAN.match(words) else ". ") + words
    line.said += words
    return words


def _inline(source: str) -> str:
    """The words of inline Markdown: emphasis, code, links and HTML read as text."""
    if not _MAYBE_INLINE.search(source):
        return source
    words = []
    for token in _MD.parseInline(source)[0].children or []:
        if token.type in ("text", "code_inline"):
            words.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            words.append(" ")
    text = _URL.sub(_domain, "".join(words))
    # A pipe between words is a table's cell border whose row began as prose.
    return _EMOJI.sub("", _CELL_BORDER.sub(",", text))


def _domain(match: re.Match[str]) -> str:
    """A bare URL as a listener wants it: its site's name, without ``www.``."""
    url = match.group(0)
    tail = len(url) - len(url.rstrip(_URL_TAIL))
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url[: len(url) - tail], flags=re.I)
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host + url[len(url) - tail :]


def _safe_cut(line: str, start: int) -> int:
    """The furthest point after ``start`` where every inline construct is closed.

    Candidates are before a space or after a Chinese character; one counts when the
    delimiter runs (``*``, ``_`` outside words, ``~``, backticks) come in pairs and
    brackets and parentheses are closed. ``start`` when there is none.
    """
    if not _UNBALANCED.search(line, start):
        if _ends_sentence(line, start):
            return len(line)
        return _last_candidate(line, start, cut=start)
    runs = dict.fromkeys(_DELIMITERS, 0)
    square = round_ = angle = 0
    cut, i, closed = start, start, True
    while i < len(line):
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char in _DELIMITERS:
            end = i
            while end < len(line) and line[end] == char:
                end += 1
            if end == len(line):
                return cut  # a run still being written
            if not (char == "_" and _inside_word(line, i, end)):
                runs[char] += 1
            i = end
            continue
        square += (char == "[") - (char == "]")
        round_ += (char == "(") - (char == ")")
        angle += (char == "<") - (char == ">")
        i += 1
        closed = not (square or round_ or angle) and not any(
            n % 2 for n in runs.values()
        )
        if not closed:
            continue
        if char.isspace() and not line[i - 2].isspace():
            # Before the space: what follows (an emoji, a pause) may yet take it away.
            cut = max(cut, i - 1)
        elif _HAN.match(char) or char in _CJK_STOP:
            cut = i
    return len(line) if closed and _ends_sentence(line, start) else cut


def _all_closed(line: str, start: int) -> bool:
    """Whether every inline construct after ``start`` is closed at the line's end."""
    return _safe_cut(line + " ", start) >= len(line)


def _ends_sentence(line: str, start: int) -> bool:
    """Whether what was written ends with a sentence's end: spoken at once.

    The writer may pause there (to wait for the audio, or to think). A web
    address's dot ends no sentence.
    """
    words = line[start:].rstrip(_CLOSERS).split()
    if not words or words[-1][-1] not in _SENTENCE_ENDS:
        return False
    return not any(mark in words[-1] for mark in ("/", "@", "www.", "WWW."))


def _last_candidate(line: str, start: int, *, cut: int) -> int:
    """The last place in prose after ``start`` to cut at.

    Before a space, or after a Chinese character; ``cut`` when there is none.
    """
    for match in _CANDIDATE.finditer(line, start):
        cut = match.start() if match.group(1) else match.end()
    return cut


def _inside_word(line: str, start: int, end: int) -> bool:
    """An underscore run between letters (``snake_case``) is no emphasis."""
    return (
        start > 0
        and line[start - 1].isalnum()
        and end < len(line)
        and line[end].isalnum()
    )


def _closes_fence(line: str, fence: str) -> bool:
    closing = _FENCE.match(line)
    return (
        closing is not None
        and closing.group(1)[0] == fence[0]
        and len(closing.group(1)) >= len(fence)
        and not line[closing.end() :].strip()
    )


def _could_open_fence(line: str) -> bool:
    """A line start that may still become a fence (one or two backticks or tildes)."""
    start = line.lstrip(" \t")
    return bool(start) and len(start) < 3 and set(start) <= {"`"} | {"~"}
