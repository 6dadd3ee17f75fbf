"""Which language a message is in, told to the service as ``language_hints``.

Home Assistant says which language each message is in; the service takes one hint
(its first) from a fixed list, so a short English sentence on a Chinese voice is read
as English. Home Assistant passes the entity's default language when a caller names
none, so the message's own script has the last word where it plainly disagrees: Han
characters are not English, and Latin letters are not Chinese.
"""

from __future__ import annotations

import re
from typing import Final

HINT_LANGUAGES: Final = (
    "zh",
    "en",
    "fr",
    "de",
    "ja",
    "ko",
    "ru",
    "pt",
    "th",
    "id",
    "vi",
)
"""The languages the WebSocket API lists for ``language_hints`` (the HTTP API lists
more, which the WebSocket API would refuse)."""

_SCRIPTS: Final = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana: Japanese, even among kanji
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("zh", re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
)
_LATIN: Final = re.compile(r"[A-Za-zÀ-ɏ]")
_NOT_LATIN: Final = frozenset({"zh", "ja", "ko", "th", "ru"})


def script_language(text: str) -> str | None:
    """The language a text's script names.

    "latin" for Latin letters only (many languages write them); None for no letters.
    """
    for language, script in _SCRIPTS:
        if script.search(text):
            return language
    return "latin" if _LATIN.search(text) else None


def hint_for(message_language: str | None, text: str) -> str | None:
    """The hint for a message: its language, unless its script says otherwise.

    ``message_language``: a BCP 47 tag (``zh-Hans``, ``en-US``) or None. Latin text
    in a language of another script is taken for English, the other language every
    system voice speaks. None when no listed language fits (Spanish: no hint rather
    than a wrong one).
    """
    primary = (message_language or "").split("-")[0].split("_")[0].lower()
    hint = primary if primary in HINT_LANGUAGES else None
    script = script_language(text)
    if script == "latin":
        return "en" if hint in _NOT_LATIN else hint
    if script is not None and script != hint:
        return script
    return hint
