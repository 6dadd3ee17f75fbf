"""The CosyVoice client: one-shot, streamed and duplex synthesis over WebSocket."""

from __future__ import annotations

import platform
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from .audio import EXTENSIONS, AudioFormat
from .connection import Connection, Timeouts, open_connection
from .endpoints import Endpoint
from .errors import InvalidOptionError
from .options import SynthesisOptions
from .task import SynthesisTask
from .text import check_text

VERSION = "0.1.0"


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
    request_uuid: str | None = None

    @property
    def extension(self) -> str:
        """File extension of the audio (``ogg`` for opus)."""
        return EXTENSIONS[self.format]


class CosyVoiceClient:
    """Talks to DashScope's CosyVoice service through an injected aiohttp session.

    The session is borrowed, never closed here: in Home Assistant it is the shared one.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        endpoint: Endpoint | None = None,
        *,
        timeouts: Timeouts | None = None,
    ) -> None:
        """Check the key's shape (never its value in a message) and keep the settings."""
        key = api_key.strip()
        if not key:
            raise InvalidOptionError("api_key", "the API key is empty")
        if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
            raise InvalidOptionError(
                "api_key", "the API key contains characters an API key cannot have"
            )
        self._session = session
        self._api_key = key
        self.endpoint = endpoint or Endpoint.for_region("cn")
        self.timeouts = timeouts or Timeouts()
        self.user_agent = (
            f"ha-cosyvoice/{VERSION} aiohttp/{aiohttp.__version__} "
            f"python/{platform.python_version()}"
        )

    def __repr__(self) -> str:
        """Describe the client without its key."""
        return f"<CosyVoiceClient {self.endpoint.region} {self.endpoint.host}>"

    async def connect(self) -> Connection:
        """Open a new WebSocket connection to the service."""
        return await open_connection(
            self._session,
            self.endpoint,
            self._api_key,
            timeout=self.timeouts.connect,
            user_agent=self.user_agent,
        )

    @asynccontextmanager
    async def open_task(
        self, options: SynthesisOptions
    ) -> AsyncIterator[SynthesisTask]:
        """A started duplex task: send text pieces, finish, iterate the audio.

        Leaving the block before the task finished closes its connection.
        """
        connection = await self.connect()
        task = SynthesisTask(connection, options, timeouts=self.timeouts)
        try:
            await task.start()
            yield task
        finally:
            await task.close()
            await connection.close()

    async def stream(
        self, text: str, options: SynthesisOptions
    ) -> AsyncIterator[bytes]:
        """Audio chunks of ``text`` as they arrive."""
        check_text(text)
        async with self.open_task(options) as task:
            await task.send_text(text)
            await task.finish()
            async for chunk in task:
                yield chunk

    async def synthesize(self, text: str, options: SynthesisOptions) -> SynthesisResult:
        """The whole audio of ``text``, with its billed characters and timings."""
        check_text(text)
        begin = time.monotonic()
        async with self.open_task(options) as task:
            await task.send_text(text)
            await task.finish()
            audio = b"".join([chunk async for chunk in task])
        return SynthesisResult(
            audio=audio,
            format=options.format,
            sample_rate=options.sample_rate,
            characters=task.characters if task.characters is not None else 0,
            first_audio_latency=(
                task.first_audio_at - begin if task.first_audio_at is not None else None
            ),
            total_time=time.monotonic() - begin,
            task_id=task.task_id,
            request_uuid=task.request_uuid,
        )
