"""SSML: telling it from plain text, and checking it before it is sent.

CosyVoice takes a subset of SSML 1.0 (protocol notes §3.3). A document is refused
here, with the problem named, rather than by the service after a round trip.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Final

from .errors import InvalidTextError
from .text import billed_length

ALLOWED_TAGS: Final = frozenset(
    {"speak", "break", "sub", "phoneme", "soundEvent", "say-as"}
)
_SPEAK_START: Final = re.compile(r"<speak(?=[\s>/])")


class InvalidSsmlError(InvalidTextError):
    """The text looks like SSML but is not a document CosyVoice accepts."""

    kind = "invalid_ssml"


def is_ssml(text: str) -> bool:
    """Whether ``text`` is meant as SSML: its first element is ``<speak>``.

    Plain text that merely contains ``<``, ``&`` or markup-like words is not SSML.
    """
    return _SPEAK_START.match(text.strip()) is not None


def check_ssml(text: str) -> int:
    """Validate an SSML document; return its billed length (tags do not count)."""
    body = text.strip()
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        # Entities are how XML bombs work, and CosyVoice has no use for them.
        raise InvalidSsmlError("SSML must not contain a DOCTYPE or entity declarations")
    try:
        # Several sibling <speak> elements are allowed: parse them under one root.
        root = ET.fromstring(f"<ssml-root>{body}</ssml-root>")  # noqa: S314
    except ET.ParseError as err:
        line, column = err.position
        raise InvalidSsmlError(
            f"SSML is not well-formed XML: {_describe(err)} "
            f"(line {line}, column {max(column - 11, 0) if line == 1 else column})"
        ) from None
    except UnicodeEncodeError:
        # The parser reads UTF-8, which a lone surrogate has no form in.
        raise InvalidSsmlError(
            "SSML has a lone surrogate, which is not valid Unicode"
        ) from None
    if (root.text or "").strip():
        raise InvalidSsmlError("SSML has text outside <speak>")
    spoken = []
    for child in root:
        if child.tag != "speak":
            raise InvalidSsmlError(f"SSML root must be <speak>, not <{child.tag}>")
        if (child.tail or "").strip():
            raise InvalidSsmlError("SSML has text outside <speak>")
        for element in child.iter():
            if element.tag not in ALLOWED_TAGS:
                raise InvalidSsmlError(
                    f"CosyVoice does not support the SSML tag <{element.tag}>; "
                    f"use {', '.join(sorted(ALLOWED_TAGS))}"
                )
            if element is not child and element.tag == "speak":
                raise InvalidSsmlError("<speak> elements cannot be nested")
        spoken.append("".join(child.itertext()))
    content = "".join(spoken)
    if not content.strip():
        raise InvalidSsmlError("SSML has nothing to say")
    return billed_length(content)


def spoken_text(text: str) -> str:
    """What ``text`` says, without SSML markup: for an engine that takes no SSML.

    ``<sub alias>`` says its alias and a pause becomes a space; plain text, or a
    document that is not well-formed, is given back as it is.
    """
    if not is_ssml(text) or "<!DOCTYPE" in text or "<!ENTITY" in text:
        return text
    try:
        root = ET.fromstring(f"<ssml-root>{text.strip()}</ssml-root>")  # noqa: S314
    except (ET.ParseError, UnicodeEncodeError):
        return text
    return " ".join(_words(root).split())


def _words(element: ET.Element) -> str:
    if element.tag == "sub" and element.get("alias"):
        inner = str(element.get("alias"))
    elif element.tag == "break":
        inner = " "
    else:
        inner = (element.text or "") + "".join(_words(child) for child in element)
    return inner + (element.tail or "")


def _describe(err: ET.ParseError) -> str:
    # expat's message ends with ": line X, column Y", which we restate ourselves.
    return str(err).split(":", 1)[0]
