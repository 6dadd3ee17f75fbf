"""Text that is still being written, in; audio, out: the streaming-input path.

An LLM's answer arrives in small pieces. :class:`TextBatcher` groups them at
sentence (or, for long runs, clause) boundaries, so the service hears whole phrases
and speaks them with natural prosody; :func:`stream_text_audio` sends each batch as a
continue-task of one duplex task while the task's audio flows back, flushes what is
buffered after a short pause, and finishes the task before the service's 23-second
no-text timeout when the writer goes quiet, opening a new one when text resumes. A
task is a :class:`SpeechTask`: the runner's, which goes on from the cut sentence on a
new connection when one drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
)
from dataclasses import dataclass
from typing import Final, Protocol

from .errors import CosyVoiceError, InvalidOptionError
from .split import split_measured
from .text import (
    MAX_CHARS_PER_MESSAGE,
    MAX_CHARS_PER_TASK,
    SENTENCE_MARKS,
    Piece,
    billed_length,
    measure,
)


@dataclass(frozen=True, slots=True)
class StreamingSettings:
    """How text is batched and how long a task may wait for more of it (seconds)."""

    pause: float = 0.3
    """Send whatever text is waiting once the writer has been quiet this long."""
    idle_finish: float = 15.0
    """Finish the task after this long without new text. DashScope fails a task after
    23 s without text; finishing first keeps the audio already made, and the next text
    goes to a new task."""
    clause_chars: int = 40
    """Send at a clause boundary (comma…) once this many characters wait without a
    sentence end."""
    flush_on_pause: bool = True
    """After a pause, also ask the service to speak an unfinished sentence now (the
    SDK's ``flush`` message); the service otherwise waits for the sentence's end."""

    def __post_init__(self) -> None:
        """Refuse values that would stall or spin."""
        if not 0 < self.pause < self.idle_finish:
            raise InvalidOptionError("pause", "pause must be > 0 and < idle_finish")
        if self.clause_chars < 1:
            raise InvalidOptionError("clause_chars", "clause_chars must be 1 or more")


# Sentence ends; "." only before whitespace, so "3.14" and "e.g.x" stay whole.
_SENTENCE_END: Final = re.compile(
    rf"(?:[{SENTENCE_MARKS}]|\.(?=\s))[”’\"')\]）」』》]*"
)
_CLAUSE_END: Final = re.compile(r"[，,、：:—]")


class TextBatcher:
    """Groups incoming text at sentence ends; pure, no I/O."""

    def __init__(self, clause_chars: int = 40) -> None:
        """Start empty."""
        self._pending = ""
        self._clause_chars = clause_chars

    @property
    def pending(self) -> str:
        """Text received but not yet handed out."""
        return self._pending

    def feed(self, text: str) -> list[Piece]:
        """Add text; return the batches now complete (possibly none)."""
        self._pending += text
        cut = 0
        for match in _SENTENCE_END.finditer(self._pending):
            cut = match.end()
        if not cut and len(self._pending) >= self._clause_chars:
            for match in _CLAUSE_END.finditer(self._pending):
                cut = match.end()
        if not cut:
            if billed_length(self._pending) <= MAX_CHARS_PER_MESSAGE:
                return []
            cut = len(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return _pieces(ready)

    def flush(self) -> list[Piece]:
        """Hand out everything pending (after a pause, or at the end of the text)."""
        ready, self._pending = self._pending, ""
        return _pieces(ready)


def _pieces(text: str) -> list[Piece]:
    """Sendable messages: never whitespace only, never over the per-message limit.

    Each is measured here, once, and checked as the task would check it.
    """
    if not text.strip():
        return []
    return split_measured(text, measure(text))


class SpeechTask(Protocol):
    """What the writer sends text into and the reader reads joined audio from."""

    @property
    def sent_characters(self) -> int:
        """Billed characters its current task holds (200,000 at most)."""

    async def send_text(self, text: str, *, length: int) -> bool:
        """Send text of ``length`` billed characters; False if it takes no more."""

    async def flush(self) -> None:
        """Ask for the unfinished sentence it holds to be spoken now."""

    async def finish(self) -> None:
        """No more text."""

    async def abort(self) -> None:
        """Stop at once (the writer failed)."""

    async def close(self) -> None:
        """End it; called once its audio was read, or the stream stopped."""

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Its audio, joined into the stream."""


class PieceSource(Protocol):
    """Where a stream's text comes from: a :class:`TextPump`, or one that shapes it."""

    async def next(self, timeout: float | None) -> str | None:
        """The next piece; None at the end; TimeoutError after ``timeout`` quiet."""

    async def close(self) -> None:
        """Stop reading."""


class _End:
    """The text source is exhausted."""


_END: Final = _End()


class TextPump:
    """Reads an async iterable of text in a task of its own, into a queue.

    Reading in the background lets the sender wait for "the next piece, or a pause"
    without cancelling the source's own ``__anext__`` (which would break it).
    """

    def __init__(self, source: AsyncIterable[str]) -> None:
        """Start reading at once."""
        self._queue: asyncio.Queue[str | _End | BaseException] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(source), name="cosyvoice-text-pump")

    async def _run(self, source: AsyncIterable[str]) -> None:
        try:
            async for piece in source:
                if piece:
                    self._queue.put_nowait(piece)
        except Exception as err:  # noqa: BLE001  # handed to the reader
            self._queue.put_nowait(err)
            return
        self._queue.put_nowait(_END)

    async def next(self, timeout: float | None) -> str | None:
        """The next piece of text; None at the end. Raises TimeoutError on a pause."""
        async with asyncio.timeout(timeout):
            item = await self._queue.get()
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, _End):
            self._queue.put_nowait(_END)  # stay at the end
            return None
        return item

    async def close(self) -> None:
        """Stop reading the source."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def read_whole_or_first(
    pump: TextPump, settings: StreamingSettings
) -> tuple[str, bool]:
    """Collect text until it is clearly still coming, or has ended.

    Returns the text so far and whether it is the whole text. A caller that had the
    whole message (Home Assistant 2025.4 always does, ``tts.speak`` too) sends it as
    one piece that ends at once, so it can take the one-shot path with its router;
    an LLM stream shows a second piece within ``pause``. SSML must be sent whole, so
    a ``<speak>`` document is read to its end.
    """
    text = ""
    while not text.strip():
        piece = await pump.next(None)
        if piece is None:
            return text, True
        text += piece
    ssml = text.lstrip().startswith("<speak")
    while True:
        try:
            piece = await pump.next(None if ssml else settings.pause)
        except TimeoutError:
            return text, False
        if piece is None:
            return text, True
        text += piece
        if not ssml:
            return text, False


class _Writer:
    """Sends the text, batched, into one task after another while it arrives.

    Each task it starts goes into ``tasks`` for the reader; ``None`` there says the
    text is done, an exception that the writer failed (also kept in :attr:`failure`).
    """

    def __init__(
        self,
        pump: PieceSource,
        settings: StreamingSettings,
        start_task: Callable[[], Awaitable[SpeechTask]],
        tasks: asyncio.Queue[SpeechTask | BaseException | None],
    ) -> None:
        """Nothing is sent before :meth:`run`."""
        self._pump = pump
        self._settings = settings
        self._start_task = start_task
        self._tasks = tasks
        self._batcher = TextBatcher(settings.clause_chars)
        self._task: SpeechTask | None = None
        self.started: list[SpeechTask] = []
        self.failure: BaseException | None = None

    async def run(self, first_text: str) -> None:
        """Write everything; on failure, close the open task so the reader wakes."""
        try:
            await self._write(first_text)
            self._tasks.put_nowait(None)
        except BaseException as err:
            self.failure = err
            self._tasks.put_nowait(err)
            if self._task is not None:
                await self._task.abort()
            if not isinstance(err, asyncio.CancelledError):
                return
            raise

    async def _write(self, first_text: str) -> None:
        await self._send(self._batcher.feed(first_text))
        while True:
            try:
                piece = await self._pump.next(self._wait())
            except TimeoutError:
                await self._quiet()
                continue
            if piece is None:
                await self._send(self._batcher.flush())
                break
            await self._send(self._batcher.feed(piece))
        # The first text was not blank, so at least one task was started.
        if self._task is not None:
            await self._task.finish()

    def _wait(self) -> float | None:
        """How long to wait for more text before acting on the quiet."""
        if self._batcher.pending.strip():
            return self._settings.pause
        if self._task is not None:
            return self._settings.idle_finish
        return None

    async def _quiet(self) -> None:
        """The writer paused: send what waits, or finish an idle task."""
        if self._batcher.pending.strip():
            await self._send(self._batcher.flush())
            if self._settings.flush_on_pause and self._task is not None:
                await self._task.flush()
        elif self._task is not None:
            await self._task.finish()
            self._task = None

    async def _send(self, pieces: list[Piece]) -> None:
        for piece in pieces:
            # A task cut with all its text heard takes no more: the next one does.
            while not await (await self._task_for(piece)).send_text(
                piece.text, length=piece.length
            ):
                self._task = None

    async def _task_for(self, piece: Piece) -> SpeechTask:
        """The task the piece goes to: a new one when there is none or it is full."""
        if (
            self._task is not None
            and self._task.sent_characters + piece.length > MAX_CHARS_PER_TASK
        ):
            await self._task.finish()
            self._task = None
        if self._task is None:
            self._task = await self._start_task()
            self.started.append(self._task)
            self._tasks.put_nowait(self._task)
        return self._task


async def stream_text_audio(
    pump: PieceSource,
    first_text: str,
    settings: StreamingSettings,
    start_task: Callable[[], Awaitable[SpeechTask]],
) -> AsyncGenerator[bytes]:
    """Audio of text still arriving, joined, in order.

    A writer task sends batches while this generator reads the audio of one task
    after another. Every task this started is closed when its audio has been read or
    the stream stops.
    """
    tasks: asyncio.Queue[SpeechTask | BaseException | None] = asyncio.Queue()
    writer = _Writer(pump, settings, start_task, tasks)
    job = asyncio.create_task(writer.run(first_text), name="cosyvoice-text-writer")
    ended: set[int] = set()
    try:
        while (item := await tasks.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            try:
                async for chunk in item:
                    yield chunk
            except CosyVoiceError:
                # A failed writer stopped the task to wake us: its error is the cause.
                if writer.failure is not None:
                    raise writer.failure from None
                raise
            finally:
                ended.add(id(item))
                await item.close()
        await job
        if writer.failure is not None:
            raise writer.failure
    finally:
        if not job.done():
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job
        for task in writer.started:
            if id(task) not in ended:
                await task.close()
