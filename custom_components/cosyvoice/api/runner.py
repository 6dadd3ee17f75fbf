"""Tasks on pooled connections: started, retried, resumed and torn down in one place.

Every path of the client (WebSocket or HTTP, streamed or whole) goes through these
few loops, so when to try again (:func:`.errors.worth_retrying`), where a cut stream
goes on from (:class:`Speech`) and how a task gives its connection back are written
once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from functools import partial

from .connection import Timeouts
from .errors import ConnectionDroppedError, CosyVoiceError, worth_retrying
from .http import HttpResponse, HttpSynthesizer
from .joining import AudioJoiner, joined
from .options import Route, SynthesisOptions
from .planning import RequestPlan
from .pool import ConnectionPool
from .request_record import RequestRecord
from .retry import RetryPolicy
from .split import split_measured
from .stats import ClientStats
from .task import SynthesisTask, TaskState
from .text import Piece, billed_length
from .text_stream import PieceSource, StreamingSettings, stream_text_audio

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

    async def speech(
        self, options: SynthesisOptions, record: RequestRecord, joiner: AudioJoiner
    ) -> Speech:
        """A started :class:`Speech`: text in, joined audio out, resumed when cut."""
        speech = Speech(self, options, record, joiner)
        await speech.begin()
        return speech

    async def plan_chunks(
        self,
        plan: RequestPlan,
        route: Route,
        http: HttpSynthesizer | None,
        record: RequestRecord,
    ) -> AsyncGenerator[bytes]:
        """The audio of a planned request as it comes, its tasks joined in one stream.

        A WebSocket task cut after some sentences goes on from the cut one; the HTTP
        API is retried until its first chunk is out.
        """
        joiner = AudioJoiner(plan.options.format)
        if route == "http":
            joiner.start_task()
            attempt = partial(self.http_chunks, http, plan, record)
            async with aclosing(self.streamed(attempt, record)) as chunks:
                async for chunk in chunks:
                    if audio := joiner.feed(chunk):
                        yield audio
            if audio := joiner.end_task():
                yield audio
            return
        for pieces in plan.tasks:
            speech = await self.speech(plan.options, record, joiner)
            try:
                for piece in pieces:
                    await speech.send_text(piece.text, length=piece.length)
                await speech.finish()
                async for audio in speech:
                    yield audio
            finally:
                await speech.close()

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
                partial(self.task_file, pieces, plan.options, record), record
            )
            for pieces in plan.tasks
        ]
        return joined(plan.options.format, files)

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
        self, pieces: list[Piece], options: SynthesisOptions, record: RequestRecord
    ) -> bytes:
        """One attempt: all audio of a task for these text pieces, as it was sent.

        A retry starts over: its audio replaces the failed attempt's.
        """
        async with aclosing(self.task_audio(pieces, options, record)) as chunks:
            return b"".join([chunk async for chunk in chunks])

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
        pump: PieceSource,
        first: str,
        options: SynthesisOptions,
        settings: StreamingSettings,
        record: RequestRecord,
    ) -> AsyncGenerator[bytes]:
        """Text still arriving, into duplex tasks; their audio, joined, out."""
        start = partial(self.speech, options, record, AudioJoiner(options.format))
        async with aclosing(stream_text_audio(pump, first, settings, start)) as audio:
            async for data in audio:
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
        self,
        error: CosyVoiceError,
        record: RequestRecord,
        *,
        restartable: bool = False,
        resumable: bool = False,
    ) -> bool:
        """Decide on another attempt, and wait out its backoff."""
        if isinstance(error, ConnectionDroppedError) and error.stale_connection:
            _LOGGER.debug("Reused connection was dead (%s); trying another", error)
            return True
        record.failures += 1
        elapsed = time.monotonic() - record.budget_began
        if self._pool.closed or not self._retry.should_retry(
            error,
            record.failures,
            elapsed,
            restartable=restartable,
            resumable=resumable,
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


class Speech:
    """Text said on one task, and from the cut sentence on a new one if it breaks off.

    When a task's connection drops after some of its audio was heard, what was given to
    it and not heard whole (from the start of the sentence that was cut, see
    :mod:`.sentences`) goes to a new task, as the retry policy allows, and that task's
    audio joins the stream: no sentence is lost, only the cut one is heard again. Where
    the sentences heard cannot be told for certain, the error is raised.

    One writer (:meth:`send_text`, :meth:`flush`, :meth:`finish`) and one reader
    (iterating) may work at once; the lock keeps the writer off a new task until the
    text it must say again was sent to it.
    """

    def __init__(
        self,
        runner: TaskRunner,
        options: SynthesisOptions,
        record: RequestRecord,
        joiner: AudioJoiner,
    ) -> None:
        """Nothing starts before :meth:`begin`."""
        self._runner = runner
        self._options = options
        self._record = record
        self._joiner = joiner
        self._task: SynthesisTask | None = None
        self._given: list[str] = []
        """Text given to the current task, whether sending it worked or not."""
        self.sent_characters = 0
        """Billed characters given to the current task (its limit reads it)."""
        self._finished = False
        self._flushed = False
        self._aborted = False
        self._stopped: CosyVoiceError | None = None
        """Why it could not go on: the writer hears it too."""
        self._lock = asyncio.Lock()

    async def begin(self) -> None:
        """Start the first task (getting a connection is retried)."""
        self._task = await self._runner.start(self._options, self._record)

    async def send_text(self, text: str, *, length: int) -> bool:
        """Give the task more text, measured.

        False if it takes none: it ended, or was cut when all its text had been heard
        (so a new task is as good, and the writer starts one).
        """
        async with self._lock:
            if self._stopped is not None:
                raise self._stopped
            if self._task is None:
                return False
            await self._give(self._task, text, length)
            return True

    async def flush(self) -> None:
        """Ask the task to speak the unfinished sentence it holds, now."""
        async with self._lock:
            if self._task is not None:
                self._flushed = True
                await _quietly(self._task, self._task.flush())

    async def finish(self) -> None:
        """No more text: the task says what it holds, then ends."""
        async with self._lock:
            if self._task is not None and not self._finished:
                self._finished = True
                await _quietly(self._task, self._task.finish())

    async def abort(self) -> None:
        """Stop at once and never go on: the writer failed, and its error is the cause."""
        self._aborted = True
        if self._task is not None:
            await self._task.close_if_unfinished()

    async def close(self) -> None:
        """End the current task: its connection is closed unless it finished."""
        task, self._task = self._task, None
        if task is not None:
            await self._runner.end(task)

    def __aiter__(self) -> AsyncIterator[bytes]:
        """The audio of every task in turn, joined into the request's stream."""
        return self._audio()

    async def _audio(self) -> AsyncIterator[bytes]:
        # A writer that failed while a task was being replaced found none to stop.
        while (task := self._task) is not None and not self._aborted:
            self._joiner.start_task()
            try:
                async for chunk in task:
                    if data := self._joiner.feed(chunk):
                        self._record.audio_started()
                        yield data
            except CosyVoiceError as err:
                if self._aborted:
                    raise
                if data := self._joiner.cut():
                    yield data
                await self._go_on(task, err)
                continue
            if task.state is not TaskState.FINISHED:
                return  # Abandoned by a failed writer, whose error ends the stream.
            if data := self._joiner.end_task():
                yield data
            await self.close()
            self._record.add_task(task)

    async def _go_on(self, cut: SynthesisTask, error: CosyVoiceError) -> None:
        """After ``cut`` broke off, a new task says what was not heard whole.

        Raises ``error`` when the policy allows no more, or the sentences heard are
        not known (then nothing can be said again without repeating some).
        """
        async with self._lock:
            self._task = None
            await self._runner.end(cut)
            spoken = cut.sentences.spoken
            if error.after_audio:
                self._record.add_task(cut)  # its sentences were made, and billed
            elif spoken is None:
                spoken = 0  # nothing was heard: all of it may be said again
            if spoken is not None and cut.sentences.sentences:
                self._record.progressed()
            rest = "".join(self._given)[spoken:] if spoken is not None else None
            if (
                rest is not None
                and not rest.strip()
                and worth_retrying(error, resumable=True)
            ):
                return  # All heard; a writer's next text takes a new task.
            try:
                if rest is None or not await self._runner.may_retry(
                    error, self._record, resumable=True
                ):
                    raise error
                self._task = await self._runner.start(self._options, self._record)
            except CosyVoiceError as err:
                self._stopped = err
                raise
            _LOGGER.debug(
                "Task %s cut after %d sentences; task %s says the %d characters left",
                cut.task_id,
                cut.sentences.sentences,
                self._task.task_id,
                len(rest),
            )
            await self._say_again(self._task, rest)

    async def _say_again(self, task: SynthesisTask, rest: str) -> None:
        """Give a new task the text its cut one did not say, then its last word."""
        flushed = self._flushed
        self._given, self.sent_characters = [], 0
        for piece in split_measured(rest, billed_length(rest)):
            await self._give(task, piece.text, piece.length)
        if self._finished:
            await _quietly(task, task.finish())
        elif flushed:
            self._flushed = True
            await _quietly(task, task.flush())

    async def _give(self, task: SynthesisTask, text: str, length: int) -> None:
        self._given.append(text)
        self.sent_characters += length
        self._flushed = False
        await _quietly(task, task.send_text(text, length=length))


async def _quietly(task: SynthesisTask, sending: Awaitable[None]) -> None:
    """Send to ``task``; if the task failed, that is for its reader to resume or raise."""
    try:
        await sending
    except CosyVoiceError:
        if task.state is not TaskState.FAILED:
            raise
