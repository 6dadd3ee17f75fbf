"""What the home has seen of an account's messages: counted here, shown by the sensors.

The client's statistics see only what reached it; a message refused before (a bad
option, an unknown voice) never does. Every message ends in :mod:`.reactions`
(spoken, or not), which counts it here. These are this run's counts: the sensors add
them to what they restored, so their totals outlive reloads and restarts.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.util import dt as dt_util

_LOGGER = logging.getLogger(__name__)

FAILURES_KEPT = 20
"""Failed messages diagnostics list, most recent last."""


@dataclass(frozen=True, slots=True)
class FailedMessage:
    """A message CosyVoice did not speak, as diagnostics list it: never its text."""

    at: datetime
    profile: str
    """The voice profile's title."""
    profile_id: str
    kind: str
    """What went wrong: one of the client's error kinds."""
    length: int | None
    """The message's length in characters, when it was known whole."""
    fallback: str | None
    """The entity that spoke it instead, if one did."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, the time in ISO 8601."""
        return {
            "at": self.at.isoformat(),
            "profile": self.profile,
            "profile_id": self.profile_id,
            "kind": self.kind,
            "length": self.length,
            "fallback": self.fallback,
        }


@dataclass(frozen=True, slots=True)
class LastError:
    """The kind of the last failed message and the client's words for it."""

    kind: str
    message: str


class Health:
    """An account's messages since its entry was set up, pushed to listeners.

    Listeners run at once, in the event loop, so a sensor shows a failure in the
    same turn as the caller gets its error.
    """

    def __init__(self) -> None:
        """Nothing asked yet."""
        self.since = dt_util.utcnow()
        self.requests = 0
        """Messages asked of CosyVoice, spoken or not."""
        self.failures = 0
        """Messages CosyVoice did not speak, the caller's mistakes included."""
        self.spoken_by_fallback = 0
        self.last_error: LastError | None = None
        self.recent: deque[FailedMessage] = deque(maxlen=FAILURES_KEPT)
        self.unspoken: dict[str, FailedMessage] = {}
        """Each voice profile's latest message, by profile id, while CosyVoice did
        not speak it: its entity shows it until CosyVoice speaks for it again."""
        self._listeners: list[Callable[[], None]] = []

    def spoke(self, profile_id: str | None = None) -> None:
        """CosyVoice spoke a message (for the voice profile ``profile_id``)."""
        self.requests += 1
        if profile_id is not None:
            self.unspoken.pop(profile_id, None)
        self._changed()

    def failed(self, failure: FailedMessage, message: str) -> None:
        """CosyVoice did not speak a message; ``message``: the error's own words."""
        self.requests += 1
        self.failures += 1
        if failure.fallback is not None:
            self.spoken_by_fallback += 1
        self.last_error = LastError(failure.kind, message)
        self.recent.append(failure)
        self.unspoken[failure.profile_id] = failure
        self._changed()

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every change; returns what removes it (twice is fine)."""
        self._listeners.append(listener)

        def remove() -> None:
            with suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    def _changed(self) -> None:
        # A broken sensor must not turn a message's outcome into another error.
        for listener in tuple(self._listeners):
            try:
                listener()
            except Exception:
                _LOGGER.exception("Health listener %r failed", listener)

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics: this run's counts and recent failures, never a text."""
        return {
            "since": self.since.isoformat(),
            "requests": self.requests,
            "failures": self.failures,
            "spoken_by_fallback": self.spoken_by_fallback,
            "recent_errors": [failure.as_dict() for failure in self.recent],
        }
