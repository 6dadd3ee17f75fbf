"""Emulator settings and the failures it can be told to inject."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Used when Fault.handshake() is given no code: the gateway's usual code for
# each status (protocol doc §5.2).
_HANDSHAKE_CODES = {
    401: "InvalidApiKey",
    403: "AccessDenied",
    404: "NotFound",
    429: "Throttling.RateQuota",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

_HANDSHAKE_MESSAGES = {
    "InvalidApiKey": "Invalid API-key provided.",
    "AccessDenied": "Access denied.",
    "Throttling.RateQuota": "Requests rate limit exceeded, please try again later.",
    "InternalError": "An internal error has occured, please try again later.",
    "ServiceUnavailable": "The service is temporarily unavailable.",
}

RATE_QUOTA_CODE = "Throttling.RateQuota"
RATE_QUOTA_MESSAGE = _HANDSHAKE_MESSAGES[RATE_QUOTA_CODE]


def handshake_message(code: str) -> str:
    """Return the message the gateway sends with a handshake error ``code``."""
    return _HANDSHAKE_MESSAGES.get(code, f"Request failed: {code}.")


class FaultKind(StrEnum):
    """What an injected fault does."""

    HANDSHAKE = "handshake"
    """Reject the WebSocket upgrade with an HTTP error."""
    TASK_FAILED = "task-failed"
    """Answer the task with task-failed, then close the socket."""
    DROP = "drop"
    """Abort the TCP connection without a close frame."""
    HANG = "hang"
    """Send task-started, then nothing ever again."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One failure to inject; build it with the class methods."""

    kind: FaultKind
    status: int = 0
    code: str | None = None
    message: str | None = None
    after_audio: bool = False

    @classmethod
    def handshake(cls, status: int, code: str | None = None) -> Fault:
        """Reject the next WebSocket upgrade with ``status`` and a JSON error body."""
        return cls(
            FaultKind.HANDSHAKE,
            status=status,
            code=code or _HANDSHAKE_CODES.get(status, "InternalError"),
        )

    @classmethod
    def task_failed(
        cls, code: str, message: str, *, after_audio: bool = False
    ) -> Fault:
        """Fail the next task: instead of task-started, or after its first audio frame."""
        return cls(
            FaultKind.TASK_FAILED, code=code, message=message, after_audio=after_audio
        )

    @classmethod
    def drop(cls, *, after_audio: bool) -> Fault:
        """Abort the next task's connection before any audio or after the first frame."""
        return cls(FaultKind.DROP, after_audio=after_audio)

    @classmethod
    def hang(cls) -> Fault:
        """Start the next task and then never answer again."""
        return cls(FaultKind.HANG)

    @property
    def is_handshake(self) -> bool:
        """Whether this fault is consumed by a handshake (else by a run-task)."""
        return self.kind is FaultKind.HANDSHAKE


# What a random fault can be (soak tests): split by where it is consumed.
RANDOM_HANDSHAKE_FAULTS = (Fault.handshake(500), Fault.handshake(429))
RANDOM_TASK_FAULTS = (
    Fault.drop(after_audio=False),
    Fault.drop(after_audio=True),
    Fault.task_failed(RATE_QUOTA_CODE, RATE_QUOTA_MESSAGE),
)


@dataclass
class EmulatorConfig:
    """How the emulator behaves; tests may change fields while it runs."""

    api_keys: set[str] = field(default_factory=lambda: {"sk-emulator"})
    """Keys accepted in ``Authorization: Bearer <key>``."""
    handshake_delay: float = 0.0
    """Seconds to wait before answering a WebSocket upgrade."""
    first_audio_delay: float = 0.0
    """Seconds between a task's first sentence being ready and its first audio."""
    realtime_factor: float = 0.0
    """0 sends audio as fast as possible; 1.0 paces frames at real time."""
    chunk_ms: int = 100
    """Audio duration carried by one binary frame (before encoding)."""
    ms_per_char: float = 80.0
    """Audio duration per billed character at ``rate`` 1.0."""
    idle_timeout: float = 60.0
    """Close a connection with no running task after this many seconds."""
    task_text_timeout: float = 23.0
    """Fail a task that gets no text (and sends no audio) for this many seconds."""
    timeout_error_code: str = "InvalidParameter"
    """``error_code`` of the task-failed sent by the text timeout (doc §9.2)."""
    legacy_events: bool = False
    """Send the older result-generated events: no ``output.type``, one per frame."""
    random_fault_rate: float = 0.0
    """Probability that a handshake, or a task, gets a random fault."""
    random_seed: int | None = None
    """Seed of the random faults, for reproducible soak tests."""
    mid_task_run_task_cancels: bool = False
    """A run-task during a task cancels it (one doc) instead of failing (default)."""
