"""The CosyVoice client: one-shot, streamed and duplex synthesis over WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Coroutine
from contextlib import aclosing, asynccontextmanager, suppress
from typing import Any

import aiohttp

from .connection import Connection, Timeouts, open_connection
from .credentials import checked_api_key, user_agent
from .endpoints import Endpoint
from .enrollment import VoiceEnrollment
from .errors import CosyVoiceError, SynthesisTimeoutError
from .http import HttpSynthesizer
from .keep_ready import KeepReady, KeepReadySettings
from .options import Route, SynthesisOptions
from .planning import RequestPlan, plan_request
from .pool import ConnectionPool, PoolSettings
from .request_record import RequestRecord, SynthesisResult
from .retry import RetryPolicy
from .router import RoutingSettings, choose_route
from .runner import TaskRunner
from .spoken import SpokenPieces, SpokenStream, with_hint
from .stats import ClientStats
from .task import SynthesisTask, TaskState
from .text_stream import (
    StreamingSettings,
    TextPump,
    read_whole_or_first,
)


class CosyVoiceClient:
    """Talks to DashScope's CosyVoice service through an injected aiohttp session.

    The session is borrowed, never closed here: in Home Assistant it is the shared one.
    The client owns a pool of WebSocket connections (see :mod:`.pool`) shared by all
    its requests and kept ready through silence (see :mod:`.keep_ready`), retries
    transient failures (see :mod:`.retry`) and keeps statistics; :meth:`close` ends
    it all.
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
        keep_ready: KeepReadySettings | None = None,
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
        self.keep_ready = KeepReady(
            self._pool, keep_ready or KeepReadySettings(), self.stats
        )
        """Connections kept open through silence; :meth:`KeepReady.start` starts it."""
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
        self.enrollment = VoiceEnrollment(
            session,
            key,
            self.endpoint,
            timeout=self.timeouts.http,
            user_agent=self.user_agent,
        )
        """The account's own voices: clone, design, list and delete them."""

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

    async def change_settings(
        self, pool: PoolSettings, keep_ready: KeepReadySettings
    ) -> None:
        """New bounds for the pool and keeping ready, taken where the client stands.

        Requests under way finish as they are; the pool's new bound holds from the
        next one; keeping ready restarts with its new count.
        """
        self._pool.settings = pool
        await self.keep_ready.change(keep_ready)

    async def close(self) -> None:
        """Stop keeping ready, close every connection, fail waiting requests."""
        await self.keep_ready.stop()
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
        with record.counted():
            task = await self._runner.start(options, record)
            try:
                yield task
            finally:
                await self._runner.end(task)
            if task.state is TaskState.FINISHED:
                record.add_task(task)
            else:
                record.abandoned()

    async def stream(
        self,
        text: str,
        options: SynthesisOptions,
        routing: RoutingSettings | None = None,
    ) -> AsyncGenerator[bytes]:
        """Audio chunks of ``text`` as they arrive.

        SSML (a ``<speak>`` document) is checked and sent as such. Text over the
        per-message limit goes in several messages, over the per-task limit in several
        tasks whose audio joins into one stream. Failures before the first chunk are
        retried. After it the listener must not hear the beginning twice: a connection
        lost then goes on from the sentence that was cut, on a new one, and other
        failures are raised. ``routing`` overrides the client's for this request.
        """
        plan = plan_request(text, options)
        route = self.route_for(plan, routing)
        record = RequestRecord(self.stats)
        chunks = self._runner.plan_chunks(plan, route, self._http, record)
        async with aclosing(_recorded(chunks, record)) as audio:
            async for chunk in audio:
                yield chunk

    async def stream_text(
        self,
        text: AsyncIterable[str],
        options: SynthesisOptions,
        settings: StreamingSettings | None = None,
        routing: RoutingSettings | None = None,
    ) -> AsyncGenerator[bytes]:
        """Audio of text that is still being written, as it arrives.

        Text known whole at once (one piece that ends straight away, or SSML) takes
        :meth:`stream`, with its router. Otherwise the pieces go, batched at sentence
        ends, into one duplex task whose audio is yielded while more text comes (see
        :mod:`.text_stream`); a long quiet spell or the per-task limit moves the rest to
        a new task, joined into the same stream, and so does a dropped connection, from
        the sentence that was cut.
        """
        settings = settings or StreamingSettings()
        pump = TextPump(text)
        # The handshake goes on while the first sentence is written. Only the socket
        # opens early: a task is billed and times out after 23 s without text.
        early = asyncio.create_task(self._pool.prepare(), name="cosyvoice-prepare")
        try:
            first, whole = await read_whole_or_first(pump, settings)
            if whole:
                chunks = self.stream(first, options, routing)
            else:
                chunks = self._duplex(pump, first, options, settings)
            async with aclosing(chunks):
                async for chunk in chunks:
                    yield chunk
        finally:
            await pump.close()
            await _settled(early)

    def _duplex(
        self,
        pump: TextPump,
        first: str,
        options: SynthesisOptions,
        settings: StreamingSettings,
    ) -> AsyncGenerator[bytes]:
        """Text still being written, as words (:mod:`.spoken`), into duplex tasks.

        The language hint is the first text's: the task starts with it.
        """
        options = with_hint(options, first)
        spoken = SpokenStream(options)
        pieces = SpokenPieces(pump, spoken, settings.pause)
        record = RequestRecord(self.stats)
        duplex = self._runner.duplex(
            pieces, spoken.feed(first), options, settings, record
        )
        return _recorded(duplex, record)

    async def synthesize(
        self,
        text: str,
        options: SynthesisOptions,
        routing: RoutingSettings | None = None,
        *,
        first_audio_within: float | None = None,
    ) -> SynthesisResult:
        """The whole audio of ``text``, with its billed characters and timings.

        Takes SSML, long text and ``routing`` as :meth:`stream` does. The caller gets
        nothing until the end, so even a connection lost mid-audio is retried.
        ``first_audio_within``: seconds after which a request that has made no audio
        yet is given up (retries included) with :class:`SynthesisTimeoutError`.
        """
        plan = plan_request(text, options)
        route = self.route_for(plan, routing)
        record = RequestRecord(self.stats)
        with record.counted():
            work = self._runner.plan_audio(plan, route, self._http, record)
            audio = await _audio_within(work, record, first_audio_within)
        return record.result(audio, options, route)

    def route_for(
        self, plan: RequestPlan, routing: RoutingSettings | None = None
    ) -> Route:
        """The API that will speak ``plan`` (see :mod:`.router`)."""
        return choose_route(
            plan,
            routing or self.routing,
            http_available=self._http is not None,
            warm_connection=self._pool.idle_connections > 0,
        )


async def _audio_within(
    work: Coroutine[Any, Any, bytes], record: RequestRecord, seconds: float | None
) -> bytes:
    """``work``'s audio, given up when no attempt made any within ``seconds``.

    A service that accepts connections and then never answers holds a message no
    longer than that; the request is cancelled, its connection closed.
    """
    if seconds is None:
        return await work
    task = asyncio.ensure_future(work)
    came = asyncio.ensure_future(record.audio_came.wait())
    try:
        done, _ = await asyncio.wait(
            (task, came), timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            raise SynthesisTimeoutError(f"DashScope made no audio within {seconds:g} s")
        return await task
    finally:
        came.cancel()
        if not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError, CosyVoiceError):
                await task


async def _settled(early: asyncio.Task[None]) -> None:
    """An early connection's task, ended: its failure is the request's to report."""
    if not early.done():
        early.cancel()
    with suppress(asyncio.CancelledError, CosyVoiceError):
        await early


async def _recorded(
    chunks: AsyncGenerator[bytes], record: RequestRecord
) -> AsyncGenerator[bytes]:
    """The chunks, with the request counted as failed or succeeded at the end."""
    with record.counted():
        async with aclosing(chunks):
            async for chunk in chunks:
                yield chunk
