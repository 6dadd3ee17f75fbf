"""One synthesis task: run-task, text in over time, audio out as it arrives."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from enum import Enum

import aiohttp

from . import protocol
from .connection import Connection, Timeouts
from .errors import (
    ConnectionDroppedError,
    CosyVoiceError,
    InvalidTextError,
    ProtocolError,
    SynthesisTimeoutError,
    error_from_code,
)
from .options import SynthesisOptions
from .sentences import SentenceLedger
from .text import MAX_CHARS_PER_MESSAGE, MAX_CHARS_PER_TASK, check_text

_LOGGER = logging.getLogger(__name__)


class TaskState(Enum):
    """Where a task is in its life."""

    NEW = "new"
    STARTED = "started"
    FINISHING = "finishing"
    FINISHED = "finished"
    FAILED = "failed"


class SynthesisTask:
    """A duplex synthesis task on one connection.

    Send text with :meth:`send_text` (any number of pieces, while audio is already
    coming back), end input with :meth:`finish`, and iterate the task for audio chunks
    as they arrive. One reader and one writer may work at the same time.
    """

    def __init__(
        self,
        connection: Connection,
        options: SynthesisOptions,
        *,
        timeouts: Timeouts,
        task_id: str | None = None,
        reused_connection: bool = False,
    ) -> None:
        """Prepare a task; nothing is sent until :meth:`start`."""
        self.connection = connection
        self.options = options
        self.task_id = task_id or protocol.new_task_id()
        self.state = TaskState.NEW
        self.characters: int | None = None
        """Billed characters, final once the task finished."""
        self.request_uuid: str | None = None
        self.sent_characters = 0
        self.audio_bytes = 0
        self.first_audio_at: float | None = None
        self.finished_at: float | None = None
        self._timeouts = timeouts
        self._error: CosyVoiceError | None = None
        self._finish_sent_at = 0.0
        self.reused_connection = reused_connection
        """The connection had carried earlier tasks."""
        self.sentences = SentenceLedger(trusted=not options.enable_ssml)
        """Which of the text sent was heard whole: where a cut task may go on from."""

    @property
    def done(self) -> bool:
        """The task ended, well or badly."""
        return self.state in (TaskState.FINISHED, TaskState.FAILED)

    async def start(self) -> None:
        """Send run-task and wait for task-started."""
        if self.state is not TaskState.NEW:
            raise RuntimeError("task already started")
        await self._send(protocol.run_task(self.task_id, self.options))
        while True:
            message = await self._receive(self._timeouts.task_started, "task-started")
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise self._fail(ProtocolError("audio arrived before task-started"))
            event = self._parse(message.data)
            if isinstance(event, protocol.TaskStarted):
                self.state = TaskState.STARTED
                return
            if isinstance(event, protocol.TaskFailed):
                raise self._fail_with(event)
            raise self._fail(
                ProtocolError(f"{type(event).__name__} before task-started")
            )

    async def send_text(self, text: str, *, length: int | None = None) -> None:
        """Send the next piece of text (a continue-task).

        ``length``: its billed characters, when the caller measured and checked it
        already (a planned or batched piece); else it is checked here.
        """
        self._check_can_send()
        if length is None:
            length = check_text(text, limit=MAX_CHARS_PER_MESSAGE)
        if self.sent_characters + length > MAX_CHARS_PER_TASK:
            raise InvalidTextError(
                f"a task takes at most {MAX_CHARS_PER_TASK} billed characters"
            )
        self.sent_characters += length
        self.sentences.sent(text)
        await self._send(protocol.continue_task(self.task_id, text))

    async def flush(self) -> None:
        """Ask the service to speak the text it buffers (an unfinished sentence) now."""
        self._check_can_send()
        await self._send(protocol.flush_task(self.task_id))

    async def finish(self) -> None:
        """End input (finish-task): the service speaks what is buffered, then ends."""
        self._check_can_send()
        if self.sent_characters == 0:
            raise InvalidTextError("text is empty")
        await self._send(protocol.finish_task(self.task_id))
        self.state = TaskState.FINISHING
        self._finish_sent_at = time.monotonic()

    async def close_if_unfinished(self) -> None:
        """Abandon the task if it has not ended: its connection is closed.

        Closing the socket is the one documented way to stop a task at once; a
        half-finished task would leave the connection in an unknown state.
        """
        if self.state is not TaskState.FINISHED:
            if not self.done:
                _LOGGER.debug(
                    "Abandoning task %s in state %s", self.task_id, self.state
                )
                self.state = TaskState.FAILED
            await self.connection.close()

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Audio chunks in order, as the service sends them."""
        return self._audio()

    async def _audio(self) -> AsyncIterator[bytes]:
        if self.state is TaskState.NEW:
            raise RuntimeError("start the task before reading audio")
        if self._error is not None:
            raise self._error  # It failed while text was sent, before anyone read.
        last_message_at = time.monotonic()
        while not self.done:
            try:
                message = await self.connection.ws.receive(
                    timeout=self._timeouts.response
                )
            except TimeoutError:
                # Before finish-task the service may just be waiting for more text.
                silent = time.monotonic() - max(last_message_at, self._finish_sent_at)
                if (
                    self.state is TaskState.FINISHING
                    and silent >= self._timeouts.response
                ):
                    raise self._fail(
                        SynthesisTimeoutError(
                            f"no answer from DashScope for {silent:.0f} s "
                            f"(task {self.task_id})"
                        )
                    ) from None
                continue
            last_message_at = time.monotonic()
            if message.type is aiohttp.WSMsgType.BINARY:
                if not message.data:
                    continue
                if self.first_audio_at is None:
                    self.first_audio_at = last_message_at
                self.audio_bytes += len(message.data)
                yield message.data
            elif message.type is aiohttp.WSMsgType.TEXT:
                self._handle_event(self._parse(message.data))
            else:
                raise self._dropped(message)

    def _handle_event(self, event: protocol.Event) -> None:
        if isinstance(event, protocol.ResultGenerated):
            self.sentences.heard(event)
            if event.characters is not None:
                self.characters = event.characters
        elif isinstance(event, protocol.TaskFinished):
            if event.characters is not None:
                self.characters = event.characters
            self.request_uuid = event.request_uuid
            self.state = TaskState.FINISHED
            self.finished_at = time.monotonic()
            self.connection.tasks_run += 1
            self.connection.last_used_at = self.finished_at
        elif isinstance(event, protocol.TaskFailed):
            raise self._fail_with(event)
        else:
            raise self._fail(ProtocolError("task-started arrived twice"))

    def _check_can_send(self) -> None:
        if self._error is not None:
            raise self._error
        if self.state is not TaskState.STARTED:
            raise RuntimeError(f"cannot send text to a task that is {self.state.value}")

    async def _send(self, data: str) -> None:
        try:
            await self.connection.ws.send_str(data)
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            # A concurrent reader may already know why (a task-failed event).
            raise self._error or self._dropped(err) from None

    async def _receive(self, timeout: float, waiting_for: str) -> aiohttp.WSMessage:
        try:
            message = await self.connection.ws.receive(timeout=timeout)
        except TimeoutError:
            raise self._fail(
                SynthesisTimeoutError(
                    f"no {waiting_for} from DashScope in {timeout:g} s"
                )
            ) from None
        if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            raise self._dropped(message)
        return message

    def _parse(self, data: str) -> protocol.Event:
        try:
            event = protocol.parse_event(data)
        except ProtocolError as err:
            raise self._fail(err) from None
        if event.task_id != self.task_id:
            raise self._fail(
                ProtocolError(
                    f"event for task {event.task_id!r} arrived on task {self.task_id!r}"
                )
            )
        return event

    def _fail_with(self, event: protocol.TaskFailed) -> CosyVoiceError:
        return self._fail(
            error_from_code(
                event.error_code, event.error_message, request_id=self.task_id
            )
        )

    def _dropped(self, cause: object) -> CosyVoiceError:
        detail = (
            f"close code {cause.data}"
            if isinstance(cause, aiohttp.WSMessage)
            and cause.type is aiohttp.WSMsgType.CLOSE
            else repr(cause.type.name)
            if isinstance(cause, aiohttp.WSMessage)
            else repr(cause)
        )
        return self._fail(
            ConnectionDroppedError(
                f"connection to DashScope lost during task {self.task_id} ({detail})",
                audio_delivered=self.audio_bytes > 0,
                stale_connection=self.reused_connection and self.audio_bytes == 0,
            )
        )

    def _fail(self, error: CosyVoiceError) -> CosyVoiceError:
        self.state = TaskState.FAILED
        self.connection.broken = True
        if error.request_id is None:
            error.request_id = self.task_id
        error.after_audio = error.after_audio or self.audio_bytes > 0
        self._error = error
        _LOGGER.debug("Task %s failed: %s", self.task_id, error)
        return error
