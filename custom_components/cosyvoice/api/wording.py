"""A home's own words: how a name is said, and what a word is said as.

A voice profile keeps two small dictionaries: ``pronunciations`` (a Chinese word →
its pinyin with tone digits, 重庆 → ``chong2 qing4``) and ``replacements`` (a word →
the text to say, HA → Home Assistant). Models that take ``hot_fix`` get both as that
parameter and apply them themselves; for the others the replacements are made in the
text here, and the pronunciations become SSML ``<phoneme>`` where a message allows
SSML (see :mod:`.planning`). The service documents no limit on how many entries
``hot_fix`` takes or how long they may be, so none is invented here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal
from xml.sax.saxutils import escape, quoteattr

from .errors import InvalidOptionError

type Words = tuple[tuple[str, str], ...]
"""Word → what it becomes, in the order a user wrote them."""

Problem = Literal[
    "no_equals", "empty_side", "not_chinese", "bad_pinyin", "syllable_count"
]

_HAN_WORD: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_SYLLABLE: Final = re.compile(r"[a-zü]+[1-5]")
# Letters of alphabets, where a word ends at a space; Chinese words have no spaces.
_LETTERS: Final = "A-Za-z0-9_\u00c0-\u024f\u0370-\u04ff"
_WORD_CHAR: Final = re.compile(f"[{_LETTERS}]")
_SEPARATORS: Final = ("=", "＝")


class InvalidWordingError(InvalidOptionError):
    """A pronunciation or replacement that cannot be used, and what is wrong with it."""

    def __init__(self, option: str, problem: Problem, entry: str) -> None:
        """``entry``: the line or word at fault, shown to the user."""
        super().__init__(option, f"{option}: {_EXPLAINED[problem]}: {entry!r}")
        self.problem: Problem = problem
        self.entry = entry


_EXPLAINED: Final[dict[Problem, str]] = {
    "no_equals": "write each entry as word = what it becomes",
    "empty_side": "a word and what it becomes must both be given",
    "not_chinese": "pinyin is given for Chinese words only",
    "bad_pinyin": "pinyin is written in syllables with a tone digit 1-5 (chong2 qing4)",
    "syllable_count": "a pinyin syllable is needed for each Chinese character",
}


def words_from(option: str, value: Any) -> Words:
    """Loose input as words: a mapping, pairs, or text of ``word = text`` lines.

    Raises :class:`InvalidWordingError` for an entry with a side missing.
    """
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        pairs: Iterable[Any] = _lines(option, value)
    elif isinstance(value, Mapping):
        pairs = value.items()
    elif isinstance(value, list | tuple):
        pairs = value
    else:
        raise InvalidOptionError(option, f"{option} must map words to text")
    words: list[tuple[str, str]] = []
    for pair in pairs:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise InvalidOptionError(option, f"{option} must map words to text")
        word, said = (str(side).strip() for side in pair)
        if not word or not said:
            raise InvalidWordingError(option, "empty_side", f"{word} = {said}")
        words.append((word, said))
    return tuple(words)


def _lines(option: str, text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        at = min((i for s in _SEPARATORS if (i := line.find(s)) >= 0), default=-1)
        if at < 0:
            raise InvalidWordingError(option, "no_equals", line.strip())
        pairs.append((line[:at], line[at + 1 :]))
    return pairs


def as_lines(words: Words | Mapping[str, str]) -> str:
    """Words as a form shows them: one ``word = text`` a line."""
    items = words.items() if isinstance(words, Mapping) else words
    return "\n".join(f"{word} = {said}" for word, said in items)


def check_pronunciations(words: Words) -> None:
    """Each word Chinese, each pinyin one syllable with a tone per character."""
    for word, pinyin in words:
        if not _HAN_WORD.fullmatch(word):
            raise InvalidWordingError("pronunciations", "not_chinese", word)
        syllables = pinyin.lower().split()
        if not all(_SYLLABLE.fullmatch(s) for s in syllables):
            raise InvalidWordingError("pronunciations", "bad_pinyin", pinyin)
        if len(syllables) != len(word):
            raise InvalidWordingError(
                "pronunciations", "syllable_count", f"{word} = {pinyin}"
            )


def hot_fix(pronunciations: Words, replacements: Words) -> dict[str, Any]:
    """The ``hot_fix`` parameter, in its documented shape: lists of one-word objects."""
    fix: dict[str, Any] = {}
    if pronunciations:
        fix["pronunciation"] = [{word: said} for word, said in pronunciations]
    if replacements:
        fix["replace"] = [{word: said} for word, said in replacements]
    return fix


def _pattern(words: Iterable[str]) -> re.Pattern[str]:
    """Any of ``words``, longest first.

    A word that starts or ends with a letter matches only where its neighbour is
    none (HA, not HAT).
    """
    parts = []
    for word in sorted(words, key=len, reverse=True):
        part = re.escape(word)
        if _WORD_CHAR.match(word[0]):
            part = f"(?<![{_LETTERS}])" + part
        if _WORD_CHAR.match(word[-1]):
            part += f"(?![{_LETTERS}])"
        parts.append(part)
    return re.compile("|".join(parts))


def replace_words(text: str, replacements: Words) -> str:
    """``text`` with each word replaced by what it is said as."""
    if not replacements:
        return text
    said = dict(replacements)
    return _pattern(said).sub(lambda match: said[match.group(0)], text)


def with_phonemes(text: str, pronunciations: Words) -> str | None:
    """``text`` as an SSML document whose Chinese words carry their pinyin.

    None when no word of ``pronunciations`` occurs in it.
    """
    said = dict(pronunciations)
    pattern = _pattern(said) if said else None
    if pattern is None or not pattern.search(text):
        return None
    parts, last = [], 0
    for match in pattern.finditer(text):
        word = match.group(0)
        parts.append(escape(text[last : match.start()]))
        parts.append(
            f'<phoneme alphabet="py" ph={quoteattr(said[word])}>{escape(word)}</phoneme>'
        )
        last = match.end()
    parts.append(escape(text[last:]))
    return f"<speak>{''.join(parts)}</speak>"


class Replacer:
    """Replaces words in text that arrives in pieces, none split across two.

    The end of what came is kept back while it may be the start of a word to replace
    (or a whole one whose next character decides whether it is a word of its own).
    """

    def __init__(self, replacements: Words) -> None:
        """Replace ``replacements``; with none, text passes at once."""
        self._said = dict(replacements)
        self._pattern = _pattern(self._said) if self._said else None
        self._longest = max(map(len, self._said), default=0)
        self._pending = ""
        self._before = ""
        """The last character given out: a word's left neighbour."""

    def feed(self, text: str) -> str:
        """Add text; return what is now replaced and safe to give out."""
        if self._pattern is None:
            return text
        self._pending += text
        keep = self._kept_back(self._pending)
        ready = self._pending[: len(self._pending) - keep]
        self._pending = self._pending[len(ready) :]
        return self._replaced(ready)

    def finish(self) -> str:
        """The rest, replaced (at the end, or when the writer paused)."""
        ready, self._pending = self._pending, ""
        return self._replaced(ready) if self._pattern is not None else ready

    def _kept_back(self, text: str) -> int:
        for size in range(min(len(text), self._longest), 0, -1):
            tail = text[-size:]
            if any(word.startswith(tail) for word in self._said):
                return size
        return 0

    def _replaced(self, ready: str) -> str:
        if not ready or self._pattern is None:
            return ready
        context = self._before + ready
        start = len(self._before)
        out, last = [], start
        for match in self._pattern.finditer(context, start):
            out.append(context[last : match.start()])
            out.append(self._said[match.group(0)])
            last = match.end()
        out.append(context[last:])
        self._before = ready[-1]
        return "".join(out)
