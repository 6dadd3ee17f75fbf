"""What the emulator remembers of each task, for tests to inspect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TaskState = Literal[
    "running", "finished", "failed", "dropped", "cancelled", "malformed"
]
Api = Literal["websocket", "http"]


@dataclass
class TaskRecord:
    """One run-task or HTTP synthesis request as the emulator saw and answered it.

    Filled in live. An HTTP request's ``task_id`` is its ``request_id``.
    """

    task_id: str
    connection_id: int
    """1 for the first accepted connection, then 2, 3, …; 0 for HTTP requests."""
    model: str
    parameters: dict[str, Any]
    """The run-task ``payload.parameters`` exactly as received; for HTTP, the
    body's ``parameters`` overlaid with its ``input`` minus ``text``."""
    format: str = "mp3"
    """Audio format after mapping ``"Default"`` to mp3."""
    sample_rate: int = 22050
    """Sample rate after mapping 0 to 22050."""
    texts: list[str] = field(default_factory=list)
    """Each accepted continue-task text, in order."""
    frames: list[bytes] = field(default_factory=list)
    """Every binary frame sent for this task, in order; for HTTP, each SSE
    chunk decoded, or the one whole file of a non-streaming request."""
    sentences: list[str] = field(default_factory=list)
    """WebSocket: each sentence as the emulator split and began speaking it."""
    frame_sentences: list[int] = field(default_factory=list)
    """WebSocket: the sentence index each of :attr:`frames` was announced with."""
    characters: int = 0
    """Characters billed so far (Han characters count 2)."""
    state: TaskState = "running"
    error_code: str | None = None
    api: Api = "websocket"
    """Which API served it: the duplex WebSocket or the HTTP SpeechSynthesizer."""
    audio_url: str | None = None
    """HTTP only: the URL under which the whole audio file is served."""

    @property
    def audio(self) -> bytes:
        """All audio bytes sent for this task."""
        return b"".join(self.frames)
