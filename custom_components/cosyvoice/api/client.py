"""The CosyVoice client: one-shot, streamed and duplex synthesis over WebSocket."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiohttp

from .audio import EXTENSIONS, AudioFormat, WavHeaderStripper
from .connection import Connection, Timeouts, open_connection
from .credentials import checked_api_key, user_agent
from .endpoints import Endpoint
from .http import HttpResponse, HttpSynthesizer
from .options import SynthesisOptions
from .planning import RequestPlan, plan_request
from .pool import ConnectionPool, PoolSettings
from .request_record import RequestRecord
from .retry import RetryPolicy
from .router import Route, RoutingSettings, choose_route
from .runner import TaskRunner
from .stats import ClientStats
from .task import SynthesisTask, TaskState
from .text_stream import (
    StreamingSettings,
    TextPump,
    read_whole_or_first,
    stream_text_audio,
)


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
        key = checked_api_key(api_key)
        self._session = session
        self._api_key = key
        self.endpoint = endpoint or Endpoint.for_region("cn")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.stats = ClientStats()
        self._pool = ConnectionPool(self.connect, pool or PoolSettings(), self.stats)
        self._runner = TaskRunner(self._pool, self.retry, self.timeouts, self.stats)
        self.routing = routing or RoutingSettings()
        self.user_agent = user_agent()
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
        record = RequestRecord(self.stats)
        try:
            task = await self._runner.start(options, record)
        except BaseException as err:
            record.failed(err)
            raise
        try:
            yield task
        except BaseException as err:
            record.failed(err)
            raise
        finally:
            await self._runner.end(task)
        if task.state is TaskState.FINISHED:
            record.add_task(task)
            record.succeeded()
        else:
            record.abandoned()

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
        record = RequestRecord(self.stats)
        try:
            if route == "http":
                attempts = [partial(self._http_chunks, plan, record)]
            else:
                attempts = [
                    partial(self._runner.task_audio, pieces, plan.options, record)
                    for pieces in plan.tasks
                ]
            for index, attempt in enumerate(attempts):
                joiner = _joiner(plan.options, index)
                async with aclosing(self._runner.streamed(attempt, record)) as chunks:
                    async for chunk in chunks:
                        if audio := joiner(chunk):
                            yield audio
        except BaseException as err:
            record.failed(err)
            raise
        record.succeeded()

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
            chunks = (
                self.stream(first, options)
                if whole
                else self._duplex(pump, first, options, settings)
            )
            async with aclosing(chunks):
                async for chunk in chunks:
                    yield chunk
        finally:
            await pump.close()

    async def synthesize(self, text: str, options: SynthesisOptions) -> SynthesisResult:
        """The whole audio of ``text``, with its billed characters and timings.

        Takes SSML and long text as :meth:`stream` does. The caller gets nothing until
        the end, so even a connection lost mid-audio is retried.
        """
        plan = plan_request(text, options)
        route = self.route_for(plan)
        record = RequestRecord(self.stats)
        try:
            if route == "http":
                audio = await self._runner.whole(
                    partial(self._http_file, plan, record), record
                )
            else:
                files = [
                    await self._runner.whole(
                        partial(
                            self._runner.task_file,
                            pieces,
                            plan.options,
                            partial(_joiner, plan.options, index),
                            record,
                        ),
                        record,
                    )
                    for index, pieces in enumerate(plan.tasks)
                ]
                audio = b"".join(files)
        except BaseException as err:
            record.failed(err)
            raise
        record.succeeded()
        return SynthesisResult(
            audio=audio,
            format=options.format,
            sample_rate=options.sample_rate,
            characters=record.characters,
            first_audio_latency=record.first_audio_latency(),
            total_time=time.monotonic() - record.began,
            task_id=record.last_id or "",
            request_uuid=record.request_uuid,
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

    async def _duplex(
        self,
        pump: TextPump,
        first: str,
        options: SynthesisOptions,
        settings: StreamingSettings,
    ) -> AsyncGenerator[bytes]:
        """Text still arriving, into duplex tasks; their audio, joined, out."""
        record = RequestRecord(self.stats)

        async def end(task: SynthesisTask) -> None:
            await self._runner.end(task)
            if task.state is TaskState.FINISHED:
                record.add_task(task)

        start = partial(self._runner.start, options, record)
        joiners: dict[int, Callable[[bytes], bytes]] = {}
        try:
            async with aclosing(
                stream_text_audio(pump, first, settings, start, end)
            ) as audio:
                async for index, chunk in audio:
                    joiner = joiners.setdefault(index, _joiner(options, index))
                    if data := joiner(chunk):
                        record.audio_started()
                        yield data
        except BaseException as err:
            record.failed(err)
            raise
        record.succeeded()

    async def _http_chunks(
        self, plan: RequestPlan, record: RequestRecord
    ) -> AsyncGenerator[bytes]:
        """One attempt at the SSE audio of a short text."""
        assert self._http is not None
        response = HttpResponse()
        async for chunk in self._http.stream(plan.tasks[0][0], plan.options, response):
            record.audio_started()
            yield chunk
        record.add_http(response)

    async def _http_file(self, plan: RequestPlan, record: RequestRecord) -> bytes:
        """One attempt at the whole audio of a short text from the HTTP API."""
        assert self._http is not None
        response = HttpResponse()
        audio = await self._http.download(plan.tasks[0][0], plan.options, response)
        record.audio_started()
        record.add_http(response)
        return audio


def _joiner(options: SynthesisOptions, task_index: int) -> Callable[[bytes], bytes]:
    """How a task's audio joins the stream: later WAV tasks lose their header."""
    if options.format == "wav" and task_index > 0:
        return WavHeaderStripper().feed
    return _unchanged


def _unchanged(chunk: bytes) -> bytes:
    return chunk
