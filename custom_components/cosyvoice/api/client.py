"""The CosyVoice client: one-shot, streamed and duplex synthesis over WebSocket."""

from __future__ import annotations

import asyncio
import logging
import platform
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from .audio import EXTENSIONS, AudioFormat, WavHeaderStripper
from .connection import Connection, Timeouts, open_connection
from .endpoints import Endpoint
from .errors import ConnectionDroppedError, CosyVoiceError, InvalidOptionError
from .http import HttpResponse, HttpSynthesizer
from .options import SynthesisOptions
from .planning import RequestPlan, plan_request
from .pool import ConnectionPool, PoolSettings
from .retry import RetryPolicy
from .router import Route, RoutingSettings, choose_route
from .stats import ClientStats
from .task import SynthesisTask, TaskState
from .text_stream import (
    StreamingSettings,
    TextPump,
    read_whole_or_first,
    stream_text_audio,
)

_LOGGER = logging.getLogger(__name__)

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
    """Task id (WebSocket) or request id (HTTP) of the last request to the service."""
    request_uuid: str | None = None
    route: Route = "websocket"

    @property
    def extension(self) -> str:
        """File extension of the audio (``ogg`` for opus)."""
        return EXTENSIONS[self.format]


class CosyVoiceClient:
    """Talks to DashScope's CosyVoice service through an injected aiohttp session.

    The session is borrowed, never closed here: in Home Assistant it is the shared one.
    The client owns a pool of WebSocket connections (see :mod:`.pool`) shared by all
    its requests, retries transient failures (see :mod:`.retry`) and keeps
    statistics; :meth:`close` ends it all.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        endpoint: Endpoint | None = None,
        *,
        timeouts: Timeouts | None = None,
        pool: PoolSettings | None = None,
        retry: RetryPolicy | None = None,
        routing: RoutingSettings | None = None,
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
        self.retry = retry or RetryPolicy()
        self.stats = ClientStats()
        self._pool = ConnectionPool(self.connect, pool or PoolSettings(), self.stats)
        self.routing = routing or RoutingSettings()
        self.user_agent = (
            f"ha-cosyvoice/{VERSION} aiohttp/{aiohttp.__version__} "
            f"python/{platform.python_version()}"
        )
        self._http = (
            HttpSynthesizer(
                session,
                key,
                self.endpoint,
                timeout=self.timeouts.http,
                user_agent=self.user_agent,
            )
            if self.endpoint.http_url
            else None
        )

    def __repr__(self) -> str:
        """Describe the client without its key."""
        return f"<CosyVoiceClient {self.endpoint.region} {self.endpoint.host}>"

    @property
    def pool(self) -> ConnectionPool:
        """The connections this client shares between its requests."""
        return self._pool

    def snapshot(self) -> dict[str, Any]:
        """Statistics as plain data, for diagnostics."""
        return self.stats.as_dict(
            self._pool.open_connections, self._pool.idle_connections
        )

    async def connect(self) -> Connection:
        """Open a new WebSocket connection to the service (outside the pool)."""
        return await open_connection(
            self._session,
            self.endpoint,
            self._api_key,
            timeout=self.timeouts.connect,
            user_agent=self.user_agent,
        )

    async def warm_up(self, connections: int = 1) -> None:
        """Open connections ahead of the first request, so it skips the handshake."""
        opened: list[Connection] = []
        try:
            while len(opened) < min(connections, self._pool.settings.max_connections):
                connection, _ = await self._pool.acquire()
                opened.append(connection)
        finally:
            for connection in opened:
                self._pool.release(connection)

    async def close(self) -> None:
        """Close every connection and fail waiting requests; the client is done."""
        await self._pool.close()

    @asynccontextmanager
    async def open_task(
        self, options: SynthesisOptions
    ) -> AsyncIterator[SynthesisTask]:
        """A started duplex task: send text pieces, finish, iterate the audio.

        Getting a connection and starting the task are retried; what follows is not
        (the caller's text and audio are already flowing). Leaving the block before
        the task finished closes its connection.
        """
        request = _Request(self.stats)
        try:
            task = await self._start_task(options, request)
        except BaseException as err:
            request.failed(err)
            raise
        try:
            yield task
        except BaseException as err:
            request.failed(err)
            raise
        finally:
            self._end_task(task)
            await task.close_if_unfinished()
        if task.state is TaskState.FINISHED:
            request.add_task(task)
            request.succeeded()
        else:
            request.abandoned()

    async def stream(
        self, text: str, options: SynthesisOptions
    ) -> AsyncGenerator[bytes]:
        """Audio chunks of ``text`` as they arrive.

        SSML (a ``<speak>`` document) is checked and sent as such. Text over the
        per-message limit goes in several messages, over the per-task limit in several
        tasks whose audio joins into one stream. Failures before the first chunk are
        retried; after it they are raised, since a retry would make the listener hear
        the beginning twice.
        """
        plan = plan_request(text, options)
        route = self.route_for(plan)
        request = _Request(self.stats)
        try:
            if route == "http":
                async with aclosing(self._http_stream(plan, request)) as http_chunks:
                    async for data in http_chunks:
                        yield data
                request.succeeded()
                return
            for index, pieces in enumerate(plan.tasks):
                joiner = _joiner(plan.options, index)
                async with aclosing(
                    self._attempts(pieces, plan.options, request, restartable=False)
                ) as chunks:
                    async for chunk in chunks:
                        if chunk is not None and (audio := joiner(chunk)):
                            yield audio
        except BaseException as err:
            request.failed(err)
            raise
        request.succeeded()

    async def stream_text(
        self,
        text: AsyncIterable[str],
        options: SynthesisOptions,
        settings: StreamingSettings | None = None,
    ) -> AsyncGenerator[bytes]:
        """Audio of text that is still being written, as it arrives.

        Text known whole at once (one piece that ends straight away, or SSML) takes
        :meth:`stream`, with its router. Otherwise the pieces go, batched at sentence
        ends, into one duplex task whose audio is yielded while more text comes (see
        :mod:`.text_stream`); a long quiet spell or the per-task limit moves the rest to
        a new task, joined into the same stream.
        """
        settings = settings or StreamingSettings()
        pump = TextPump(text)
        try:
            first, whole = await read_whole_or_first(pump, settings)
            if whole:
                async with aclosing(self.stream(first, options)) as chunks:
                    async for chunk in chunks:
                        yield chunk
                return
            request = _Request(self.stats)

            async def start() -> SynthesisTask:
                return await self._start_task(options, request)

            async def end(task: SynthesisTask) -> None:
                self._end_task(task)
                await task.close_if_unfinished()
                if task.state is TaskState.FINISHED:
                    request.add_task(task)

            joiners: dict[int, Callable[[bytes], bytes]] = {}
            try:
                async with aclosing(
                    stream_text_audio(pump, first, settings, start, end)
                ) as audio:
                    async for index, chunk in audio:
                        if index not in joiners:
                            joiners[index] = _joiner(options, index)
                        if data := joiners[index](chunk):
                            if request.first_audio_at is None:
                                request.first_audio_at = time.monotonic()
                            yield data
            except BaseException as err:
                request.failed(err)
                raise
            request.succeeded()
        finally:
            await pump.close()

    async def synthesize(self, text: str, options: SynthesisOptions) -> SynthesisResult:
        """The whole audio of ``text``, with its billed characters and timings.

        Takes SSML and long text as :meth:`stream` does. The caller gets nothing until
        the end, so even a connection lost mid-audio is retried.
        """
        plan = plan_request(text, options)
        route = self.route_for(plan)
        request = _Request(self.stats)
        audio = bytearray()
        try:
            if route == "http":
                audio += await self._http_download(plan, request)
            for index, pieces in enumerate(plan.tasks if route == "websocket" else []):
                joiner = _joiner(plan.options, index)
                parts: list[bytes] = []
                async with aclosing(
                    self._attempts(pieces, plan.options, request, restartable=True)
                ) as chunks:
                    async for chunk in chunks:
                        if chunk is None:
                            parts.clear()
                            joiner = _joiner(plan.options, index)
                        else:
                            parts.append(joiner(chunk))
                audio += b"".join(parts)
        except BaseException as err:
            request.failed(err)
            raise
        request.succeeded()
        return SynthesisResult(
            audio=bytes(audio),
            format=options.format,
            sample_rate=options.sample_rate,
            characters=request.characters,
            first_audio_latency=request.first_audio_latency(),
            total_time=time.monotonic() - request.began,
            task_id=request.last_id or "",
            request_uuid=request.request_uuid,
            route=route,
        )

    def route_for(self, plan: RequestPlan) -> Route:
        """The API that will speak ``plan`` (see :mod:`.router`)."""
        return choose_route(
            plan,
            self.routing,
            http_available=self._http is not None,
            warm_connection=self._pool.idle_connections > 0,
        )

    async def _http_stream(
        self, plan: RequestPlan, request: _Request
    ) -> AsyncGenerator[bytes]:
        """SSE audio of a short text, retried until the first chunk is out."""
        assert self._http is not None
        text = plan.tasks[0][0]
        while True:
            response = HttpResponse()
            delivered = False
            try:
                async for chunk in self._http.stream(text, plan.options, response):
                    if not delivered:
                        request.first_audio_at = time.monotonic()
                    delivered = True
                    yield chunk
            except CosyVoiceError as err:
                if delivered or not await self._may_retry(err, request, None):
                    raise
                continue
            request.add_http(response)
            return

    async def _http_download(self, plan: RequestPlan, request: _Request) -> bytes:
        """The whole audio of a short text from the non-streaming HTTP mode."""
        assert self._http is not None
        text = plan.tasks[0][0]
        while True:
            response = HttpResponse()
            try:
                audio = await self._http.download(text, plan.options, response)
            except CosyVoiceError as err:
                if not await self._may_retry(err, request, None):
                    raise
                continue
            request.first_audio_at = time.monotonic()
            request.add_http(response)
            return audio

    async def _attempts(
        self,
        pieces: list[str],
        options: SynthesisOptions,
        request: _Request,
        *,
        restartable: bool,
    ) -> AsyncGenerator[bytes | None]:
        """Audio of one task's text pieces, attempt after attempt as policy allows.

        A ``None`` tells a ``restartable`` consumer to drop what it got of this task
        so far: the next attempt starts its audio over. The finished task is added to
        the request's record.
        """
        while True:
            task = await self._start_task(options, request)
            restart = False
            try:
                for piece in pieces:
                    await task.send_text(piece)
                await task.finish()
                async for chunk in task:
                    yield chunk
            except CosyVoiceError as err:
                delivered = task.audio_bytes > 0
                if (
                    delivered
                    and restartable
                    and isinstance(err, ConnectionDroppedError)
                ):
                    err.retryable = True
                elif delivered:
                    raise
                if not await self._may_retry(err, request, task):
                    raise
                restart = True
            finally:
                self._end_task(task)
                await task.close_if_unfinished()
            if not restart:
                request.add_task(task)
                return
            if task.audio_bytes:
                yield None

    async def _start_task(
        self, options: SynthesisOptions, request: _Request
    ) -> SynthesisTask:
        """Get a connection and start a task on it, retrying transient failures."""
        while True:
            try:
                connection, reused = await self._pool.acquire()
            except CosyVoiceError as err:
                if await self._may_retry(err, request, None):
                    continue
                raise
            task = SynthesisTask(connection, options, timeouts=self.timeouts)
            task.reused_connection = reused
            try:
                await task.start()
            except BaseException as err:
                self._end_task(task)
                await task.close_if_unfinished()
                if isinstance(err, CosyVoiceError) and await self._may_retry(
                    err, request, task
                ):
                    continue
                raise
            return task

    async def _may_retry(
        self, error: CosyVoiceError, request: _Request, task: SynthesisTask | None
    ) -> bool:
        """Decide on another attempt, and wait out its backoff."""
        if (
            task is not None
            and task.reused_connection
            and isinstance(error, ConnectionDroppedError)
            and task.audio_bytes == 0
        ):
            # A pooled socket the service had already closed: not a real failure.
            _LOGGER.debug("Reused connection was dead (%s); trying another", error)
            return True
        request.failures += 1
        elapsed = time.monotonic() - request.began
        if self._pool.closed or not self.retry.should_retry(
            error, request.failures, elapsed
        ):
            return False
        delay = self.retry.delay(request.failures)
        _LOGGER.debug(
            "Retrying after %s in %.2f s (attempt %d of %d)",
            error,
            delay,
            request.failures + 1,
            self.retry.attempts,
        )
        self.stats.retries += 1
        await asyncio.sleep(delay)
        return True

    def _end_task(self, task: SynthesisTask) -> None:
        """Give the task's connection back to the pool (which drops it if unfit)."""
        if task.state is not TaskState.FINISHED:
            task.connection.broken = True
        self._pool.release(task.connection)


class _Request:
    """Bookkeeping of one caller request across its tasks and attempts."""

    def __init__(self, stats: ClientStats) -> None:
        self.stats = stats
        self.began = time.monotonic()
        self.failures = 0
        self.characters = 0
        self.first_audio_at: float | None = None
        self.last_id: str | None = None
        self.request_uuid: str | None = None
        self._recorded = False
        stats.requests += 1

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
        if self.first_audio_at is None:
            return None
        return self.first_audio_at - self.began

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


def _joiner(options: SynthesisOptions, task_index: int) -> Callable[[bytes], bytes]:
    """How a task's audio joins the stream: later WAV tasks lose their header."""
    if options.format == "wav" and task_index > 0:
        return WavHeaderStripper().feed
    return _unchanged


def _unchanged(chunk: bytes) -> bytes:
    return chunk
