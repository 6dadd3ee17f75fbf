"""Turning a caller's text into what is sent: SSML or plain, messages, tasks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

from .errors import InvalidOptionError, TextTooLongError
from .options import SynthesisOptions
from .split import group_for_tasks, split_text
from .ssml import check_ssml, is_ssml
from .text import MAX_CHARS_PER_MESSAGE, check_text

MAX_CHARS_PER_REQUEST: Final = 1_000_000
"""Billed characters one request may carry: about 20 hours of speech."""


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """The options to send with, and the text pieces of each consecutive task."""

    options: SynthesisOptions
    tasks: list[list[str]]
    ssml: bool


def plan_request(text: str, options: SynthesisOptions) -> RequestPlan:
    """Check ``text`` and cut it to the service's limits; raises before any I/O."""
    length = check_text(text, limit=MAX_CHARS_PER_REQUEST)
    if is_ssml(text):
        if not options.model_info.ssml:
            raise InvalidOptionError(
                "enable_ssml", f"{options.model} does not accept SSML"
            )
        check_ssml(text)
        # The service takes an SSML document in one message only.
        if length > MAX_CHARS_PER_MESSAGE:
            raise TextTooLongError(
                f"an SSML document must fit in one message of {MAX_CHARS_PER_MESSAGE}"
                f" billed characters; this one has {length}",
                length=length,
                limit=MAX_CHARS_PER_MESSAGE,
            )
        return RequestPlan(
            dataclasses.replace(options, enable_ssml=True), [[text]], ssml=True
        )
    return RequestPlan(options, group_for_tasks(split_text(text)), ssml=False)
