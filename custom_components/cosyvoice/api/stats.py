"""Counters and latency windows of one client, for diagnostics and sensors."""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import CosyVoiceError

_LOGGER = logging.getLogger(__name__)

LATENCY_WINDOW = 200
"""Requests kept for the latency percentiles."""
ERRORS_KEPT = 10


@dataclass(slots=True)
class RecentError:
    """One failure, as diagnostics show it."""

    at: float
    """Unix time."""
    kind: str
    message: str
    code: str | None
    error_kind: str
    """What went wrong, as :attr:`CosyVoiceError.kind` says it."""


@dataclass(slots=True)
class ClientStats:
    """What a client has done since it was made."""

    requests: int = 0
    successes: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    """By error class name."""
    retries: int = 0
    connections_opened: int = 0
    connections_reused: int = 0
    connections_closed: int = 0
    renewals: int = 0
    """Idle connections replaced by fresh ones before the service closed them."""
    renewal_failures: int = 0
    billed_characters: int = 0
    first_audio: deque[float] = field(
        default_factory=lambda: deque(maxlen=LATENCY_WINDOW)
    )
    """Seconds from request to first audio byte, recent requests."""
    total_time: deque[float] = field(
        default_factory=lambda: deque(maxlen=LATENCY_WINDOW)
    )
    recent_errors: deque[RecentError] = field(
        default_factory=lambda: deque(maxlen=ERRORS_KEPT)
    )
    _listeners: list[Callable[[], None]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    @property
    def last_error(self) -> RecentError | None:
        """The most recent failure of a request, or ``None`` before the first."""
        return self.recent_errors[-1] if self.recent_errors else None

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every :meth:`changed`; returns what removes it.

        Numbers are pushed, so a dashboard needs no polling. Listeners run at once, in
        the task that made the change (Home Assistant's event loop), so they must be
        quick and must not block. Removing twice is harmless.
        """
        self._listeners.append(listener)

        def remove() -> None:
            with suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    def changed(self) -> None:
        """Tell the listeners that a request ended or a connection opened or closed.

        A listener that raises is logged and skipped: a broken dashboard must never
        fail the request that happened to update it.
        """
        for listener in tuple(self._listeners):
            try:
                listener()
            except Exception:
                _LOGGER.exception("Statistics listener %r failed", listener)

    def first_audio_ms(self) -> dict[str, float | None]:
        """p50 and p95 of the time to first audio over the recent requests, in ms."""
        return percentiles_ms(self.first_audio)

    def record_error(self, kind: str, error: CosyVoiceError) -> None:
        """Count a failed request and keep its message for diagnostics."""
        self.failures[kind] += 1
        self.recent_errors.append(
            RecentError(time.time(), kind, str(error), error.code, error.kind)
        )

    def as_dict(self, open_connections: int, idle_connections: int) -> dict[str, Any]:
        """A JSON-ready snapshot; latencies in milliseconds, times in ISO 8601 (UTC)."""
        return {
            "requests": self.requests,
            "successes": self.successes,
            "failures": sum(self.failures.values()),
            "failures_by_error": dict(self.failures),
            "retries": self.retries,
            "connections_opened": self.connections_opened,
            "connections_reused": self.connections_reused,
            "connections_closed": self.connections_closed,
            "renewals": self.renewals,
            "renewal_failures": self.renewal_failures,
            "open_connections": open_connections,
            "idle_connections": idle_connections,
            "billed_characters": self.billed_characters,
            "first_audio_ms": percentiles_ms(self.first_audio),
            "total_ms": percentiles_ms(self.total_time),
            "recent_errors": [
                {
                    "at": datetime.fromtimestamp(e.at, UTC).isoformat(),
                    "kind": e.kind,
                    "message": e.message,
                    "code": e.code,
                }
                for e in self.recent_errors
            ],
        }


def percentiles_ms(samples: deque[float]) -> dict[str, float | None]:
    """p50 and p95 (nearest rank) of a window of seconds, in milliseconds."""
    if not samples:
        return {"p50": None, "p95": None}
    ordered = sorted(samples)

    def rank(fraction: float) -> float:
        index = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
        return round(ordered[index] * 1000, 1)

    return {"p50": rank(0.5), "p95": rank(0.95)}
