"""One synthesis task: a worker that turns queued text into events and audio frames.

The worker runs beside the connection's receive loop, so text keeps arriving
while audio goes out (the duplex protocol). All writes to the socket go
through an :class:`Outbox`, whose lock keeps each sentence-synthesis event and
its binary frame together.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from . import events
from .audio import Chunker, Samples, StreamEncoder, make_encoder
from .config import EmulatorConfig, Fault, FaultKind
from .params import TaskParams
from .records import TaskRecord
from .text import SentenceSplitter, billed_characters

_LOGGER = logging.getLogger(__name__)

# Close code and reason after a task-failed; the real server's are unknown.
CLOSE_AFTER_FAILURE = 1000


class Outbox:
    """Serialises writes to one WebSocket."""

    def __init__(self, ws: ServerConnection) -> None:
        """Wrap ``ws``; hold :attr:`lock` to write several messages back to back."""
        self.ws = ws
        self.lock = asyncio.Lock()

    async def send_event(self, event: events.Event) -> None:
        """Send one JSON event (takes the lock)."""
        async with self.lock:
            await self.send_locked(event)

    async def send_locked(self, event: events.Event) -> None:
        """Send one JSON event; the caller holds :attr:`lock`."""
        await self.ws.send(_dumps(event))

    async def send_raw(self, text: str) -> None:
        """Send one text frame as it is, event or not (takes the lock)."""
        async with self.lock:
            await self.ws.send(text)

    async def send_pair(self, event: events.Event, audio: bytes) -> None:
        """Send an event and the binary frame it announces, with nothing between."""
        async with self.lock:
            await self.ws.send(_dumps(event))
            await self.ws.send(audio)


def _dumps(event: events.Event) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


class _TaskEndedError(Exception):
    """The worker ended the task itself (an injected fault); stop quietly."""


class TaskRun:
    """A running task: its record, its parameters and its synthesis worker."""

    def __init__(
        self,
        *,
        record: TaskRecord,
        params: TaskParams,
        config: EmulatorConfig,
        outbox: Outbox,
        fault: Fault | None,
        on_activity: Callable[[], None],
        on_finished: Callable[[TaskRun], None],
    ) -> None:
        """Prepare the task; :meth:`start` launches its worker."""
        self.record = record
        self.params = params
        self.finishing = False
        """finish-task was received: no more text, no text timeout."""
        self.hung = fault is not None and (
            fault.kind is FaultKind.HANG
            or (fault.kind is FaultKind.MALFORMED and not fault.after_audio)
        )
        """An injected hang: the task never answers again."""
        self.submitted_characters = 0
        """Billed characters of all accepted text, synthesised or not."""
        self.continue_count = 0
        self._config = config
        self._outbox = outbox
        self._fault = fault
        self._on_activity = on_activity
        self._on_finished = on_finished
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._splitter = SentenceSplitter()
        # Snapshot the timing settings: a task keeps the voice it started with.
        self._ms_per_char = config.ms_per_char
        self._chunk_samples = max(1, params.sample_rate * config.chunk_ms // 1000)
        self._synth = params.synth(self._ms_per_char)
        self._encoder: StreamEncoder | None = None
        self._sentences = 0
        self._sentences_ended = 0
        self._frames_since_end = 0
        """Frames sent since the last sentence ended (an after-audio fault counts them)."""
        self._audio_started = False
        self._samples_sent = 0
        self._worker: asyncio.Task[None] | None = None

    @property
    def task_id(self) -> str:
        """The id the client chose in run-task."""
        return self.record.task_id

    def start(self) -> None:
        """Launch the synthesis worker (a hung task gets none)."""
        if not self.hung:
            self._worker = asyncio.create_task(
                self._run(), name=f"emulator-task-{self.task_id}"
            )

    def feed(self, text: str) -> None:
        """Queue text for synthesis."""
        self._queue.put_nowait(("text", text))

    def flush(self) -> None:
        """Synthesise whatever is buffered, even an incomplete sentence."""
        self._queue.put_nowait(("flush", ""))

    def finish(self) -> None:
        """Synthesise the rest, then send task-finished."""
        self.finishing = True
        self._queue.put_nowait(("finish", ""))

    async def stop(self) -> None:
        """Stop the worker at once (the caller decides what to tell the client)."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    async def _run(self) -> None:
        try:
            while True:
                kind, text = await self._queue.get()
                if kind == "text":
                    sentences = self._splitter.feed(text)
                else:
                    sentences = self._splitter.drain()
                for sentence in sentences:
                    await self._speak(sentence)
                if kind == "finish":
                    await self._finish()
                    return
        except (_TaskEndedError, ConnectionClosed):
            pass  # The task ended itself, or the client went away.
        except asyncio.CancelledError:
            raise
        except Exception:
            # The client only sees the socket close; the log says why.
            _LOGGER.exception("task %s: synthesis failed", self.task_id)
            self.record.state = "failed"
            self.record.error_code = "InternalError"
            with contextlib.suppress(Exception):
                await self._outbox.send_event(
                    events.task_failed(
                        self.task_id,
                        "InternalError",
                        "An internal error has occured, please try again later.",
                    )
                )
                await self._outbox.ws.close(CLOSE_AFTER_FAILURE)
        finally:
            if self._encoder is not None:
                self._encoder.close()

    async def _speak(self, sentence: str) -> None:
        if not self._audio_started:
            self._audio_started = True
            if self._config.first_audio_delay > 0:
                await asyncio.sleep(self._config.first_audio_delay)
        index = self._sentences
        self._sentences += 1
        self.record.sentences.append(sentence)
        self.record.characters += billed_characters(sentence)
        legacy = self._config.legacy_events
        if not legacy:
            await self._outbox.send_event(
                events.sentence_begin(self.task_id, index, sentence)
            )
        start_ms = self._samples_sent * 1000 / self.params.sample_rate
        # Render character by character: a 20,000-character sentence must not
        # become one huge array or one long stretch without yielding.
        chunker = Chunker(self._chunk_samples)
        for char in sentence:
            for chunk in chunker.push(self._synth.render(char)):
                await self._send_audio(index, chunk)
        rest = chunker.drain()
        if len(rest):
            await self._send_audio(index, rest)
        if not legacy:
            words = (
                self._words(sentence, start_ms) if self.params.word_timestamps else []
            )
            await self._outbox.send_event(
                events.sentence_end(
                    self.task_id, index, sentence, self.record.characters, words
                )
            )
        self._sentences_ended += 1
        self._frames_since_end = 0
        await self._strike_if_due()

    def _words(self, sentence: str, start_ms: float) -> list[events.Word]:
        return events.word_timestamps(
            sentence, start_ms, self._ms_per_char / self.params.rate
        )

    def _encode(self, samples: Samples) -> bytes:
        if self._encoder is None:
            self._encoder = make_encoder(
                self.params.format, self.params.sample_rate, self.params.bit_rate_kbps
            )
        return self._encoder.encode(samples)

    async def _send_audio(self, index: int, samples: Samples) -> None:
        data = self._encode(samples)
        self._samples_sent += len(samples)
        if not data:
            return  # The encoder is still filling a frame; never send empty frames.
        factor = self._config.realtime_factor
        if self.record.frames and factor > 0:
            await asyncio.sleep(len(samples) / self.params.sample_rate * factor)
        await self._send_frame(index, data)

    async def _send_frame(self, index: int, data: bytes) -> None:
        if self._config.legacy_events:
            event = events.legacy_result(self.task_id, index, self.record.characters)
        else:
            event = events.sentence_synthesis(self.task_id, index)
        await self._outbox.send_pair(event, data)
        self.record.frames.append(data)
        self.record.frame_sentences.append(index)
        self._on_activity()
        # send() does not yield while the socket buffer has room: let the
        # receive loop (and other connections) run between frames.
        await asyncio.sleep(0)
        self._frames_since_end += 1
        await self._strike_if_due()

    async def _strike_if_due(self) -> None:
        """Inject an after-audio fault once the task's audio reached its position.

        Called after every frame and every sentence-end; "at least" so that a
        sentence that made no frame of its own (an encoder filling a frame) does
        not let the position pass by.
        """
        fault = self._fault
        if (
            fault is None
            or not fault.after_audio
            or not self.record.frames
            or self._sentences_ended < fault.sentences
            or self._frames_since_end < fault.frames
        ):
            return
        self._fault = None
        if fault.kind is FaultKind.DROP:
            self.record.state = "dropped"
            _abort(self._outbox.ws)
            raise _TaskEndedError
        if fault.kind is FaultKind.TASK_FAILED:
            self.record.state = "failed"
            self.record.error_code = fault.code
            await self._outbox.send_event(
                events.task_failed(self.task_id, fault.code or "", fault.message or "")
            )
            await self._outbox.ws.close(CLOSE_AFTER_FAILURE)
            raise _TaskEndedError
        if fault.kind is FaultKind.MALFORMED:
            self.record.state = "malformed"
            await self._outbox.send_raw(events.GARBLED_FRAME)
            raise _TaskEndedError

    async def _finish(self) -> None:
        if self._encoder is not None:
            tail = self._encoder.flush()
            if tail:
                await self._send_frame(max(self._sentences - 1, 0), tail)
        await self._outbox.send_event(
            events.task_finished(self.task_id, self.record.characters)
        )
        self.record.state = "finished"
        self._on_finished(self)


def _abort(ws: ServerConnection) -> None:
    """Drop the TCP connection without a close frame, as a network failure would."""
    ws.transport.abort()
