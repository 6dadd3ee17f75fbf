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

# Used when Fault.audio_url() is given no code: what an OSS bucket answers (XML).
_AUDIO_URL_CODES = {
    403: "AccessDenied",
    404: "NoSuchKey",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def handshake_message(code: str) -> str:
    """Return the message the gateway sends with a handshake error ``code``."""
    return _HANDSHAKE_MESSAGES.get(code, f"Request failed: {code}.")


def bearer_key(header: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header (scheme in any case)."""
    scheme, _, key = (header or "").strip().partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def authorized(header: str | None, api_keys: set[str]) -> bool:
    """Whether an ``Authorization`` header is ``Bearer <key>`` (any case) with a known key."""
    key = bearer_key(header)
    return key is not None and key in api_keys


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
    MALFORMED = "malformed"
    """Send a text frame that is no DashScope event, then nothing more for the task."""
    HTTP = "http"
    """Answer the next HTTP synthesis POST with an HTTP error."""
    AUDIO_URL = "audio-url"
    """Answer the next GET of an audio URL with an HTTP error."""
    CUSTOMIZATION = "customization"
    """Answer the next voice enrollment (customization) POST with an HTTP error."""
    VOICE_REJECTED = "voice-rejected"
    """The next voice created ends UNDEPLOYED instead of OK."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One failure to inject; build it with the class methods."""

    kind: FaultKind
    status: int = 0
    code: str | None = None
    message: str | None = None
    after_audio: bool = False
    sentences: int = 0
    """An after-audio fault strikes once this many sentences ended (their
    sentence-end sent) and :attr:`frames` frames went out after the last of them."""
    frames: int = 1
    """0 strikes at the sentence boundary itself, before the next sentence begins."""

    @classmethod
    def handshake(cls, status: int, code: str | None = None) -> Fault:
        """Reject the next WebSocket upgrade with ``status`` and a JSON error body."""
        return cls(
            FaultKind.HANDSHAKE,
            status=status,
            code=code or _HANDSHAKE_CODES.get(status, "InternalError"),
        )

    @classmethod
    def http(cls, status: int, code: str | None = None) -> Fault:
        """Answer the next HTTP SpeechSynthesizer POST with ``status`` and a §5 body."""
        return cls(
            FaultKind.HTTP,
            status=status,
            code=code or _HANDSHAKE_CODES.get(status, "InternalError"),
        )

    @classmethod
    def audio_url(cls, status: int, code: str | None = None) -> Fault:
        """Answer the next GET of an audio URL with ``status`` (an OSS-style XML body)."""
        return cls(
            FaultKind.AUDIO_URL,
            status=status,
            code=code or _AUDIO_URL_CODES.get(status, "InternalError"),
        )

    @classmethod
    def customization(cls, status: int, code: str | None = None) -> Fault:
        """Answer the next voice enrollment POST with ``status`` and a §5 body."""
        return cls(
            FaultKind.CUSTOMIZATION,
            status=status,
            code=code or _HANDSHAKE_CODES.get(status, "InternalError"),
        )

    @classmethod
    def voice_rejected(cls) -> Fault:
        """Make the next ``create_voice`` end ``UNDEPLOYED`` (review failed) instead of OK."""
        return cls(FaultKind.VOICE_REJECTED)

    @classmethod
    def task_failed(
        cls, code: str, message: str, *, after_audio: bool = False
    ) -> Fault:
        """Fail the next task: instead of task-started, or after its first audio frame."""
        return cls(
            FaultKind.TASK_FAILED, code=code, message=message, after_audio=after_audio
        )

    @classmethod
    def drop(cls, *, after_audio: bool, sentences: int = 0, frames: int = 1) -> Fault:
        """Abort the next task's connection before any audio, or in the middle of it.

        With ``after_audio``: once ``sentences`` sentences' audio went out whole and
        ``frames`` frames after them (by default, after the task's first frame), so
        ``frames=0`` cuts between two sentences and ``frames=1`` just inside the next.
        A task that never gets there finishes untouched.
        """
        if not after_audio:
            if (sentences, frames) != (0, 1):
                raise ValueError("a drop before any audio has no place in the audio")
        elif sentences < 0 or frames < 0:
            raise ValueError("a place in the audio counts from 0")
        elif sentences == frames == 0:
            raise ValueError("no audio before the drop: that is after_audio=False")
        return cls(
            FaultKind.DROP, after_audio=after_audio, sentences=sentences, frames=frames
        )

    @classmethod
    def malformed(cls, *, after_audio: bool) -> Fault:
        """Garble the next task: a cut-short event instead of task-started, or after its first audio.

        The connection stays open and the task never ends.
        """
        return cls(FaultKind.MALFORMED, after_audio=after_audio)

    @classmethod
    def hang(cls) -> Fault:
        """Start the next task and then never answer again."""
        return cls(FaultKind.HANG)

    @property
    def is_handshake(self) -> bool:
        """Whether this fault is consumed by a WebSocket handshake."""
        return self.kind is FaultKind.HANDSHAKE


# What a random fault can be (soak tests): split by where it is consumed.
RANDOM_HANDSHAKE_FAULTS = (Fault.handshake(500), Fault.handshake(429))
RANDOM_HTTP_FAULTS = (Fault.http(500), Fault.http(429))
RANDOM_CUSTOMIZATION_FAULTS = (Fault.customization(500), Fault.customization(429))
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
    """Seconds to wait before answering a WebSocket upgrade or an HTTP synthesis
    POST (its connection and answer latency)."""
    first_audio_delay: float = 0.0
    """Seconds between a task's first sentence being ready and its first audio
    (for HTTP: before synthesis starts)."""
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
    """Probability that a handshake, a task, an HTTP synthesis POST or a voice
    enrollment POST gets a random fault."""
    random_seed: int | None = None
    """Seed of the random faults, for reproducible soak tests."""
    mid_task_run_task_cancels: bool = False
    """A run-task during a task cancels it (one doc) instead of failing (default)."""
    region: str = "cn"
    """``"cn"`` (Beijing) or ``"intl"`` (Singapore): intl clones for cosyvoice-v2
    only and designs no voices."""
    voice_deploy_seconds: float = 0.0
    """A created or updated voice stays ``DEPLOYING`` this long, then turns ``OK``."""
    max_voices: int = 1000
    """Voices one API key may hold (cloned and designed together)."""
    unresponsive: bool = False
    """Accept connections and answer nothing, as a service that hangs does: a
    WebSocket upgrade waits unanswered while this is set, and every task started
    meanwhile hangs (task-started, then nothing). The HTTP API is not affected."""
