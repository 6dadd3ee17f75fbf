"""Turning a caller's text into what is sent: SSML or plain, messages, tasks.

The text is measured (billed characters) once, here; its pieces carry their lengths
to the router and the tasks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

from .errors import TextTooLongError
from .options import SynthesisOptions
from .split import group_for_tasks, split_measured
from .spoken import spoken_whole
from .ssml import check_ssml, is_ssml
from .text import MAX_CHARS_PER_MESSAGE, Piece, check_text

MAX_CHARS_PER_REQUEST: Final = 1_000_000
"""Billed characters one request may carry: about 20 hours of speech."""


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """The options to send with, and the text pieces of each consecutive task."""

    options: SynthesisOptions
    tasks: list[list[Piece]]
    ssml: bool
    length: int
    """Billed characters of the whole text."""


def plan_request(text: str, options: SynthesisOptions) -> RequestPlan:
    """Check ``text`` and cut it to the service's limits; raises before any I/O.

    What is sent is the text's words (:func:`.spoken.spoken_whole`), measured here.
    """
    text, options = spoken_whole(text, options)
    length = check_text(text, limit=MAX_CHARS_PER_REQUEST)
    if is_ssml(text):
        # Refused here for a model without SSML, before the document is read.
        ssml_options = dataclasses.replace(options, enable_ssml=True)
        check_ssml(text)
        # The service takes an SSML document in one message only.
        if length > MAX_CHARS_PER_MESSAGE:
            raise TextTooLongError(
                f"an SSML document must fit in one message of {MAX_CHARS_PER_MESSAGE}"
                f" billed characters; this one has {length}",
                length=length,
                limit=MAX_CHARS_PER_MESSAGE,
            )
        return RequestPlan(ssml_options, [[Piece(text, length)]], True, length)
    tasks = group_for_tasks(split_measured(text, length))
    return RequestPlan(options, tasks, ssml=False, length=length)
