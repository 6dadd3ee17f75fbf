"""The measured LLM-answer corpus (``bench/llm-answers/``) and how a cleaning is judged.

Each answer is ``<lang>-<nn>-<topic>.md`` (the Markdown as a conversation agent
writes it) with ``.json`` beside it:

- ``must_say``: the content words, space-separated: every word of the answer's
  visible text as CommonMark renders it (markdown-it-py, tables and strikethrough
  on), with ordered lists' numbers, minus code blocks (not read out), URLs (a bare
  URL may become its domain or nothing) and emoji. Made by ``--write-expected``; a
  test keeps it in step with the Markdown.
- ``noise``: tokens of this answer that must never reach the service, chosen by
  hand (a code block's keys, a link's target, a URL's path).
- ``plain``: the answer has no Markdown at all, so it must pass byte for byte
  (the answer is the file less its final newline, which agents do not write).

Words are lowercased runs of letters and digits, and single Han characters, so
``light.living_room`` is ``light living room`` and ``2*3`` is ``2 3``. The generic
noise is counted in what reaches the service beyond what the visible text itself
holds (``2*3``'s star is text; a ``**`` is not), and URLs and emoji always.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

CORPUS: Final = Path(__file__).resolve().parents[1] / "bench" / "llm-answers"

_HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD: Final = re.compile(f"[{_HAN}]|[^\\W_{_HAN}]+")
_URL: Final = re.compile(r"https?://\S+|www\.\S+")
# Pictographs (emoji and dingbats), with their joiners and variation selectors.
_PICTO: Final = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
_EMOJI: Final = re.compile(f"[{_PICTO}][{_PICTO}\ufe0f\u200d\U0001f3fb-\U0001f3ff]*")
_STRAY: Final = re.compile("[\ufe0f\u200d]")
# A list bullet: at a line's start, or after a space once lines are joined.
_BULLET: Final = re.compile(r"(?:^|(?<=\s))[-+•](?=[ \t])", re.MULTILINE)

SYNTAX: Final = ("*", "_", "#", "`", "|", "[", "]", "~~", ">", "<", "---")
"""Markdown's syntax characters: noise beyond their count in the visible text."""

_MD: Final = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BLOCK_ENDS: Final = frozenset(
    {"paragraph_close", "heading_close", "th_close", "td_close", "list_item_close"}
)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of the corpus with what its cleaning must keep and drop."""

    name: str
    lang: str
    markdown: str
    must_say: tuple[str, ...]
    noise: tuple[str, ...]
    plain: bool


def words(text: str) -> list[str]:
    """The words of ``text``: lowercased letter/digit runs and single Han characters."""
    return _WORD.findall(text.lower())


def visible_text(markdown: str) -> str:
    """What a reader sees of ``markdown``, code blocks left out; a line per block."""
    out: list[str] = []
    for token in _MD.parse(markdown):
        if token.type == "inline":
            out.append(_inline_text(token.children or []))
        elif token.type == "list_item_open" and token.info:
            out.append(f"{token.info}. ")  # an ordered item's number is said
        elif token.type in _BLOCK_ENDS:
            out.append("\n")
    return re.sub(r"\n{2,}", "\n", "".join(out)).strip()


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


def content_words(markdown: str) -> list[str]:
    """The words that must be spoken: visible words, not URLs or emoji."""
    return words(_EMOJI.sub(" ", _URL.sub(" ", visible_text(markdown))))


def is_plain(markdown: str) -> bool:
    """Whether ``markdown`` is prose with no Markdown, URL or emoji in it."""
    text = markdown.strip()
    return visible_text(text) == text and not _URL.search(text) and not has_emoji(text)


def has_emoji(text: str) -> bool:
    """Whether ``text`` holds a pictograph (or its joiner / variation selector)."""
    return bool(_EMOJI.search(text) or _STRAY.search(text))


def noise_found(spoken: str, answer: Answer) -> Counter[str]:
    """Noise tokens in ``spoken`` (what reached the service), by token."""
    found: Counter[str] = Counter()
    visible = visible_text(answer.markdown)
    for token in SYNTAX:
        found[token] = max(0, spoken.count(token) - visible.count(token))
    found["bullet"] = max(
        0, len(_BULLET.findall(spoken)) - len(_BULLET.findall(visible))
    )
    found["url"] = len(_URL.findall(spoken))
    found["emoji"] = len(_EMOJI.findall(spoken)) + len(
        _STRAY.findall(_EMOJI.sub("", spoken))
    )
    for token in answer.noise:
        found[token] += spoken.count(token)
    return +found  # only the positive counts


def words_lost(spoken: str, answer: Answer) -> Counter[str]:
    """The content words of ``answer`` missing from ``spoken`` (with multiplicity)."""
    return Counter(answer.must_say) - Counter(words(spoken))


def split_pieces(
    text: str, rng: random.Random, low: int = 1, high: int = 8
) -> list[str]:
    """``text`` in pieces of ``low``..``high`` characters, as an LLM's deltas come."""
    pieces: list[str] = []
    start = 0
    while start < len(text):
        size = rng.randint(low, high)
        pieces.append(text[start : start + size])
        start += size
    return pieces


def load_corpus(directory: Path = CORPUS) -> list[Answer]:
    """Every answer of ``directory``, by name."""
    answers = []
    for path in sorted(directory.glob("*.md")):
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        answers.append(
            Answer(
                name=path.stem,
                lang=str(meta["lang"]),
                markdown=_answer_text(path),
                must_say=tuple(str(meta["must_say"]).split()),
                noise=tuple(str(token) for token in meta["noise"]),
                plain=bool(meta["plain"]),
            )
        )
    return answers


def _answer_text(path: Path) -> str:
    """An answer as the agent wrote it: the file less its final newline."""
    text = path.read_text(encoding="utf-8")
    return text.removesuffix("\n")


def expected(markdown: str, lang: str, noise: Iterable[str]) -> dict[str, Any]:
    """The ``.json`` beside an answer, made from its Markdown and its hand-picked noise."""
    return {
        "lang": lang,
        "plain": is_plain(markdown),
        "noise": list(noise),
        "must_say": " ".join(content_words(markdown)),
    }


def write_expected(directory: Path = CORPUS) -> list[str]:
    """Remake every answer's ``must_say`` and ``plain`` (``noise`` is kept); the names."""
    written = []
    for path in sorted(directory.glob("*.md")):
        sidecar = path.with_suffix(".json")
        old = (
            json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
        )
        meta = expected(
            path.read_text(encoding="utf-8"),
            str(old.get("lang", path.stem.split("-", 1)[0])),
            old.get("noise", []),
        )
        sidecar.write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        written.append(path.stem)
    return written
