"""Tasks on pooled connections: started, retried and torn down in one place.

Every path of the client (WebSocket or HTTP, streamed or whole) goes through these
few loops, so when to try again (:func:`.retry.worth_retrying`) and how a task gives
its connection back are written once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from functools import partial

from .audio import task_joiner
from .connection import Timeouts
from .errors import ConnectionDroppedError, CosyVoiceError
from .http import HttpResponse, HttpSynthesizer
from .options import Route, SynthesisOptions
from .planning import RequestPlan
from .pool import ConnectionPool
from .request_record import RequestRecord
from .retry import RetryPolicy
from .stats import ClientStats
from .task import SynthesisTask, TaskState
from .text import Piece
from .text_stream import StreamingSettings, TextPump, stream_text_audio

_LOGGER = logging.getLogger(__name__)


class TaskRunner:
    """Starts tasks on the pool, retries what may be retried, and ends every task."""

    def __init__(
        self,
        pool: ConnectionPool,
        retry: RetryPolicy,
        timeouts: Timeouts,
        stats: ClientStats,
    ) -> None:
        """Work with this pool, retry policy and timeouts; count retries in stats."""
        self._pool = pool
        self._retry = retry
        self._timeouts = timeouts
        self._stats = stats

    async def start(
        self, options: SynthesisOptions, record: RequestRecord
    ) -> SynthesisTask:
        """Get a connection and start a task on it, retrying transient failures."""
        while True:
            try:
                connection, reused = await self._pool.acquire()
            except CosyVoiceError as err:
                if await self.may_retry(err, record):
                    continue
                raise
            task = SynthesisTask(
                connection, options, timeouts=self._timeouts, reused_connection=reused
            )
            try:
                await task.start()
            except BaseException as err:
                await self.end(task)
                if isinstance(err, CosyVoiceError) and await self.may_retry(
                    err, record
                ):
                    continue
                raise
            return task

    async def end(self, task: SynthesisTask) -> None:
        """Give the task's connection back, and close it if the task did not finish.

        The pool drops a connection whose task did not finish.
        """
        if task.state is not TaskState.FINISHED:
            task.connection.broken = True
        self._pool.release(task.connection)
        await task.close_if_unfinished()

    async def plan_chunks(
        self,
        plan: RequestPlan,
        route: Route,
        http: HttpSynthesizer | None,
        record: RequestRecord,
    ) -> AsyncGenerator[bytes]:
        """The audio of a planned request as it comes, its tasks joined in one stream.

        Each task is retried until its first chunk is out.
        """
        if route == "http":
            attempts = [partial(self.http_chunks, http, plan, record)]
        else:
            attempts = [
                partial(self.task_audio, pieces, plan.options, record)
                for pieces in plan.tasks
            ]
        for index, attempt in enumerate(attempts):
            joiner = task_joiner(plan.options.format, index)
            async with aclosing(self.streamed(attempt, record)) as chunks:
                async for chunk in chunks:
                    if audio := joiner(chunk):
                        yield audio

    async def plan_audio(
        self,
        plan: RequestPlan,
        route: Route,
        http: HttpSynthesizer | None,
        record: RequestRecord,
    ) -> bytes:
        """All audio of a planned request; each task is retried from its start."""
        if route == "http":
            return await self.whole(partial(self.http_file, http, plan, record), record)
        files = [
            await self.whole(
                partial(
                    self.task_file,
                    pieces,
                    plan.options,
                    partial(task_joiner, plan.options.format, index),
                    record,
                ),
                record,
            )
            for index, pieces in enumerate(plan.tasks)
        ]
        return b"".join(files)

    async def task_audio(
        self, pieces: list[Piece], options: SynthesisOptions, record: RequestRecord
    ) -> AsyncGenerator[bytes]:
        """One attempt: a task for these text pieces, its audio as it comes."""
        task = await self.start(options, record)
        try:
            for piece in pieces:
                await task.send_text(piece.text, length=piece.length)
            await task.finish()
            async for chunk in task:
                record.audio_came.set()
                yield chunk
        finally:
            await self.end(task)
        record.add_task(task)

    async def task_file(
        self,
        pieces: list[Piece],
        options: SynthesisOptions,
        new_joiner: Callable[[], Callable[[bytes], bytes]],
        record: RequestRecord,
    ) -> bytes:
        """One attempt: all audio of a task for these text pieces.

        Each attempt joins its audio afresh (``new_joiner``): a retry starts over.
        """
        joiner = new_joiner()
        async with aclosing(self.task_audio(pieces, options, record)) as chunks:
            return b"".join([joiner(chunk) async for chunk in chunks])

    async def streamed(
        self,
        attempt: Callable[[], AsyncGenerator[bytes]],
        record: RequestRecord,
    ) -> AsyncGenerator[bytes]:
        """The chunks of ``attempt()``, tried again until its first chunk is out."""
        while True:
            delivered = False
            try:
                async with aclosing(attempt()) as chunks:
                    async for chunk in chunks:
                        delivered = True
                        yield chunk
            except CosyVoiceError as err:
                if delivered or not await self.may_retry(err, record):
                    raise
                continue
            return

    async def whole(
        self, attempt: Callable[[], Awaitable[bytes]], record: RequestRecord
    ) -> bytes:
        """The result of ``attempt()``, tried again from the start as policy allows.

        Nothing was handed out before the end, so even a connection lost mid-audio
        is tried again.
        """
        while True:
            try:
                return await attempt()
            except CosyVoiceError as err:
                if not await self.may_retry(err, record, restartable=True):
                    raise

    async def duplex(
        self,
        pump: TextPump,
        first: str,
        options: SynthesisOptions,
        settings: StreamingSettings,
        record: RequestRecord,
    ) -> AsyncGenerator[bytes]:
        """Text still arriving, into duplex tasks; their audio, joined, out."""

        async def end(task: SynthesisTask) -> None:
            await self.end(task)
            if task.state is TaskState.FINISHED:
                record.add_task(task)

        start = partial(self.start, options, record)
        joined, joiner = 0, task_joiner(options.format, 0)
        async with aclosing(
            stream_text_audio(pump, first, settings, start, end)
        ) as audio:
            async for index, chunk in audio:
                if index != joined:
                    joined, joiner = index, task_joiner(options.format, index)
                if data := joiner(chunk):
                    record.audio_started()
                    yield data

    async def http_chunks(
        self, http: HttpSynthesizer | None, plan: RequestPlan, record: RequestRecord
    ) -> AsyncGenerator[bytes]:
        """One attempt at the SSE audio of a short text."""
        assert http is not None
        response = HttpResponse()
        async for chunk in http.stream(plan.tasks[0][0].text, plan.options, response):
            record.audio_started()
            yield chunk
        record.add_http(response)

    async def http_file(
        self, http: HttpSynthesizer | None, plan: RequestPlan, record: RequestRecord
    ) -> bytes:
        """One attempt at the whole audio of a short text from the HTTP API."""
        assert http is not None
        response = HttpResponse()
        audio = await http.download(plan.tasks[0][0].text, plan.options, response)
        record.audio_started()
        record.add_http(response)
        return audio

    async def may_retry(
        self, error: CosyVoiceError, record: RequestRecord, *, restartable: bool = False
    ) -> bool:
        """Decide on another attempt, and wait out its backoff."""
        if isinstance(error, ConnectionDroppedError) and error.stale_connection:
            _LOGGER.debug("Reused connection was dead (%s); trying another", error)
            return True
        record.failures += 1
        elapsed = time.monotonic() - record.began
        if self._pool.closed or not self._retry.should_retry(
            error, record.failures, elapsed, restartable=restartable
        ):
            return False
        delay = self._retry.delay(record.failures)
        _LOGGER.debug(
            "Retrying after %s in %.2f s (attempt %d of %d)",
            error,
            delay,
            record.failures + 1,
            self._retry.attempts,
        )
        self._stats.retries += 1
        await asyncio.sleep(delay)
        return True
