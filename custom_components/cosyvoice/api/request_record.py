"""What one caller request did, across its tasks and attempts: the client's statistics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .audio import EXTENSIONS, AudioFormat
from .errors import CosyVoiceError
from .http import HttpResponse
from .options import Route, SynthesisOptions
from .stats import ClientStats
from .task import SynthesisTask


@dataclass(frozen=True, slots=True)
class SynthesisResult:
    """The audio of one finished request and what it cost."""

    audio: bytes
    format: AudioFormat
    sample_rate: int
    characters: int
    """Billed characters as the service reported them."""
    first_audio_latency: float | None
    """Seconds from the request to its first audio byte."""
    total_time: float
    task_id: str
    """Task id (WebSocket) or request id (HTTP) of the last request to the service."""
    request_uuid: str | None = None
    route: Route = "websocket"

    @property
    def extension(self) -> str:
        """File extension of the audio (``ogg`` for opus)."""
        return EXTENSIONS[self.format]


class RequestRecord:
    """Timings, billed characters and the outcome of one request, counted once."""

    def __init__(self, stats: ClientStats) -> None:
        """Start the clock and count the request."""
        self.stats = stats
        self.began = time.monotonic()
        self.failures = 0
        """Failed attempts in a row (the retry budget reads it)."""
        self.budget_began = self.began
        """When the attempts that the retry deadline counts began."""
        self.characters = 0
        self.first_audio_at: float | None = None
        self.last_id: str | None = None
        self.request_uuid: str | None = None
        self.audio_came = asyncio.Event()
        """Set once any attempt made audio: what a first-audio deadline waits for."""
        self._recorded = False
        stats.requests += 1

    def progressed(self) -> None:
        """A resumed stream got further: its earlier failures no longer count."""
        self.failures = 0
        self.budget_began = time.monotonic()

    def audio_started(self) -> None:
        """The caller got its first audio now (if it had none before)."""
        self.audio_came.set()
        if self.first_audio_at is None:
            self.first_audio_at = time.monotonic()

    def add_task(self, task: SynthesisTask) -> None:
        """A WebSocket task of this request finished."""
        self.characters += task.characters or 0
        if self.first_audio_at is None:
            self.first_audio_at = task.first_audio_at
        self.last_id, self.request_uuid = task.task_id, task.request_uuid

    def add_http(self, response: HttpResponse) -> None:
        """An HTTP request of this request finished."""
        self.characters += response.characters or 0
        self.last_id = response.request_id

    def first_audio_latency(self) -> float | None:
        """Seconds from the request to its first audio, if any came."""
        if self.first_audio_at is None:
            return None
        return self.first_audio_at - self.began

    def result(
        self, audio: bytes, options: SynthesisOptions, route: Route
    ) -> SynthesisResult:
        """What the finished request made, for the caller."""
        return SynthesisResult(
            audio=audio,
            format=options.format,
            sample_rate=options.sample_rate,
            characters=self.characters,
            first_audio_latency=self.first_audio_latency(),
            total_time=time.monotonic() - self.began,
            task_id=self.last_id or "",
            request_uuid=self.request_uuid,
            route=route,
        )

    @contextmanager
    def counted(self) -> Iterator[None]:
        """Count the request as failed if the block raises, else as succeeded."""
        try:
            yield
        except BaseException as err:
            self.failed(err)
            raise
        self.succeeded()

    def succeeded(self) -> None:
        """Count the request as a success."""
        if not self._recorded:
            self._recorded = True
            self.stats.successes += 1
            self.stats.billed_characters += self.characters
            latency = self.first_audio_latency()
            if latency is not None:
                self.stats.first_audio.append(latency)
            self.stats.total_time.append(time.monotonic() - self.began)
            self.stats.changed()

    def abandoned(self) -> None:
        """The caller left a duplex task before it finished."""
        if not self._recorded:
            self._recorded = True
            self.stats.failures["Abandoned"] += 1
            self.stats.changed()

    def failed(self, error: BaseException) -> None:
        """Count the request as failed, by the kind of error."""
        if self._recorded:
            return
        self._recorded = True
        kind = type(error).__name__
        if isinstance(error, CosyVoiceError):
            self.stats.record_error(kind, error)
        elif not isinstance(error, (GeneratorExit, asyncio.CancelledError)):
            self.stats.failures[kind] += 1
        else:
            self.stats.failures["Cancelled"] += 1
        self.stats.changed()
