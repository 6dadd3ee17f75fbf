"""One WebSocket connection: the duplex protocol's state machine (doc §2, §8.2).

IDLE (no task) → run-task → STARTED → finish-task → FINISHING → task-finished
→ IDLE again, so one socket carries many tasks, one at a time. Any task-failed
closes the socket, as the real service does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from . import events
from .config import EmulatorConfig, Fault, FaultKind
from .enrollment import VoiceStore
from .faults import FaultPlan
from .params import (
    INVALID_PARAMETER,
    MAX_CHARS_PER_TASK,
    MAX_CHARS_PER_TEXT,
    SSML_SINGLE_TEXT,
    SSML_UNSUPPORTED,
    TEXT_IS_NULL,
    TaskError,
    parse_run_task,
    text_too_long,
)
from .records import TaskRecord
from .speech_params import describe
from .task import CLOSE_AFTER_FAILURE, Outbox, TaskRun
from .text import billed_characters, has_ssml_markup, strip_ssml

_LOGGER = logging.getLogger(__name__)

CLOSE_INVALID_DATA = 1007
CLOSE_IDLE = 1000
TIMEOUT_MESSAGE = "request timeout after 23 seconds."
_RUN_TASK_ENVELOPE = {
    "task_group": "audio",
    "task": "tts",
    "function": "SpeechSynthesizer",
}


def invalid_action(action: str) -> str:
    """The message for a message that does not fit the connection's state."""
    return f"Invalid action('{action}')! Please follow the protocol!"


class InvalidMessageError(Exception):
    """A message the service would not even parse: the socket closes with 1007."""


class Session:
    """Serves the tasks of one accepted WebSocket connection."""

    def __init__(
        self,
        ws: ServerConnection,
        connection_id: int,
        config: EmulatorConfig,
        tasks: list[TaskRecord],
        faults: FaultPlan,
        *,
        custom_voices: VoiceStore | None = None,
    ) -> None:
        """Serve ``ws``; records go to ``tasks``, faults come from ``faults``.

        ``custom_voices`` is the store of the key the connection was opened with.
        """
        self._ws = ws
        self._custom_voices = custom_voices
        self._id = connection_id
        self._config = config
        self._tasks = tasks
        self._faults = faults
        self._outbox = Outbox(ws)
        self._run: TaskRun | None = None
        self._last_finished: str | None = None
        self._timer: asyncio.Timeout | None = None

    async def serve(self) -> None:
        """Answer messages until the connection ends; then stop any task."""
        try:
            await self._receive_loop()
        except ConnectionClosed:
            pass
        finally:
            run, self._run = self._run, None
            if run is not None:
                await run.stop()
                if run.record.state == "running":
                    run.record.state = "cancelled"

    async def _receive_loop(self) -> None:
        while True:
            try:
                async with asyncio.timeout_at(self._deadline()) as timer:
                    self._timer = timer
                    message = await self._ws.recv()
            except TimeoutError:
                if not await self._on_timeout():
                    return
                continue
            finally:
                self._timer = None
            try:
                if not await self._dispatch(message):
                    return
            except InvalidMessageError as exc:
                await self._close_invalid(str(exc))
                return

    # --- timers ------------------------------------------------------------

    def _deadline(self) -> float | None:
        now = asyncio.get_running_loop().time()
        run = self._run
        if run is None:
            return now + self._config.idle_timeout
        if run.hung or run.finishing or run.record.state != "running":
            return None
        return now + self._config.task_text_timeout

    def _rearm(self) -> None:
        """Restart the running timer after a state change or outgoing audio."""
        if self._timer is not None and not self._timer.expired():
            self._timer.reschedule(self._deadline())

    async def _on_timeout(self) -> bool:
        run = self._run
        if run is None:
            _LOGGER.info("connection %d: idle, closing", self._id)
            await self._ws.close(CLOSE_IDLE, "Bye")
            return False
        if self._deadline() is None:
            return True  # The task moved on while the timer fired.
        return await self._fail(
            run.task_id,
            self._config.timeout_error_code,
            TIMEOUT_MESSAGE,
            only_if_running=True,
        )

    # --- messages ----------------------------------------------------------

    async def _dispatch(self, message: str | bytes) -> bool:
        """Handle one client message; False once the connection must end."""
        if isinstance(message, bytes):
            raise InvalidMessageError("binary messages are not accepted")
        try:
            data = json.loads(message)
        except ValueError:
            raise InvalidMessageError("invalid JSON") from None
        header = data.get("header") if isinstance(data, dict) else None
        if not isinstance(header, dict):
            raise InvalidMessageError("missing header")
        action, task_id = header.get("action"), header.get("task_id")
        if not isinstance(action, str) or not action:
            raise InvalidMessageError("missing header.action")
        if not isinstance(task_id, str) or not task_id:
            raise InvalidMessageError("missing header.task_id")
        if header.get("streaming") != "duplex":
            raise InvalidMessageError("header.streaming must be 'duplex'")
        payload = data.get("payload")
        if not isinstance(payload, dict):
            raise InvalidMessageError("missing payload")

        if self._run is not None and self._run.record.state != "running":
            return True  # The task failed or dropped itself; the socket is closing.
        if self._run is not None and self._run.hung:
            # An injected hang answers nothing, ever; it only keeps the text.
            if action == "continue-task":
                text = _input(payload).get("text")
                if isinstance(text, str):
                    self._run.record.texts.append(text)
            return True
        if action == "run-task":
            return await self._on_run_task(task_id, payload)
        if action == "continue-task":
            return await self._on_continue_task(task_id, payload)
        if action == "finish-task":
            return await self._on_finish_task(task_id, payload)
        return await self._fail(task_id, INVALID_PARAMETER, invalid_action(action))

    async def _on_run_task(self, task_id: str, payload: dict[str, Any]) -> bool:
        task_input = _run_task_input(payload)
        if self._run is not None:
            if not self._config.mid_task_run_task_cancels:
                return await self._fail(
                    task_id, INVALID_PARAMETER, invalid_action("run-task")
                )
            await self._cancel_running(send_finished=False)

        parameters = payload.get("parameters")
        record = TaskRecord(
            task_id=task_id,
            connection_id=self._id,
            model=str(payload.get("model") or ""),
            parameters=parameters if isinstance(parameters, dict) else {},
        )
        self._tasks.append(record)
        try:
            params = parse_run_task(payload, self._custom_voices)
        except TaskError as exc:
            return await self._fail(task_id, exc.code, exc.message, record=record)
        record.format, record.sample_rate = params.format, params.sample_rate

        fault = self._faults.next_task()
        if (
            fault is not None
            and fault.kind is FaultKind.TASK_FAILED
            and not fault.after_audio
        ):
            return await self._fail(
                task_id, fault.code or "", fault.message or "", record=record
            )
        run = TaskRun(
            record=record,
            params=params,
            config=self._config,
            outbox=self._outbox,
            fault=fault,
            on_activity=self._rearm,
            on_finished=self._on_task_finished,
        )
        if not await self._start(run, fault):
            return False
        self._run = run
        run.start()
        text = task_input.get("text")
        if text is not None:
            return await self._accept_text(run, text, flush=False)
        return True

    async def _start(self, run: TaskRun, fault: Fault | None) -> bool:
        """Answer run-task (task-started, or the fault's); False if the socket dropped."""
        record, params = run.record, run.params
        if fault is not None and fault.kind is FaultKind.MALFORMED and run.hung:
            record.state = "malformed"
            await self._outbox.send_raw(events.GARBLED_FRAME)
        else:
            await self._outbox.send_event(events.task_started(record.task_id))
        shaping = describe(record.parameters)
        _LOGGER.info(
            "connection %d: task %s started (%s, %s, %s %d Hz%s)%s",
            self._id,
            record.task_id,
            params.model,
            params.voice,
            params.format,
            params.sample_rate,
            f", {shaping}" if shaping else "",
            f" with fault {fault.kind}" if fault else "",
        )
        if fault is not None and fault.kind is FaultKind.DROP and not fault.after_audio:
            record.state = "dropped"
            self._ws.transport.abort()
            return False
        return True

    async def _on_continue_task(self, task_id: str, payload: dict[str, Any]) -> bool:
        run = self._run
        if run is None or run.task_id != task_id or run.finishing:
            return await self._fail(
                task_id, INVALID_PARAMETER, invalid_action("continue-task")
            )
        task_input = _input(payload)
        flush = task_input.get("flush") is True
        if flush and "text" not in task_input:
            run.flush()
            return True
        return await self._accept_text(run, task_input.get("text"), flush=flush)

    async def _accept_text(self, run: TaskRun, text: Any, *, flush: bool) -> bool:
        params = run.params
        if not isinstance(text, str) or not text:
            return await self._fail(run.task_id, INVALID_PARAMETER, TEXT_IS_NULL)
        if params.enable_ssml and run.continue_count >= 1:
            return await self._fail(run.task_id, INVALID_PARAMETER, SSML_SINGLE_TEXT)
        if params.ssml and params.model == "cosyvoice-v1" and has_ssml_markup(text):
            return await self._fail(run.task_id, INVALID_PARAMETER, SSML_UNSUPPORTED)
        spoken = strip_ssml(text) if params.ssml else text
        billed = billed_characters(spoken)
        if billed > MAX_CHARS_PER_TEXT:
            return await self._fail(
                run.task_id, INVALID_PARAMETER, text_too_long(billed)
            )
        if run.submitted_characters + billed > MAX_CHARS_PER_TASK:
            return await self._fail(
                run.task_id,
                INVALID_PARAMETER,
                f"Text too long: more than {MAX_CHARS_PER_TASK} characters in one task.",
            )
        run.continue_count += 1
        run.submitted_characters += billed
        run.record.texts.append(text)
        # A development tool: its log shows the text exactly as it came over the wire.
        _LOGGER.info("connection %d: task %s text %r", self._id, run.task_id, text)
        run.feed(spoken)
        if flush:
            run.flush()
        return True

    async def _on_finish_task(self, task_id: str, payload: dict[str, Any]) -> bool:
        run = self._run
        cancel = _input(payload).get("directive") == "cancel"
        if run is None or run.task_id != task_id:
            if cancel and run is None and task_id == self._last_finished:
                return True  # The cancel crossed the task-finished: nothing to do.
            return await self._fail(
                task_id, INVALID_PARAMETER, invalid_action("finish-task")
            )
        if cancel:
            await self._cancel_running(send_finished=True)
            return True
        if run.finishing:
            return await self._fail(
                task_id, INVALID_PARAMETER, invalid_action("finish-task")
            )
        run.finish()
        return True

    # --- ending tasks --------------------------------------------------------

    def _on_task_finished(self, run: TaskRun) -> None:
        if self._run is run:
            self._run = None
            self._last_finished = run.task_id
            self._rearm()
        _LOGGER.debug(
            "connection %d: task %s finished (%d characters)",
            self._id,
            run.task_id,
            run.record.characters,
        )

    async def _cancel_running(self, *, send_finished: bool) -> None:
        """Stop the running task at once and drop its audio (§2.9)."""
        run = self._run
        if run is None:
            return
        async with self._outbox.lock:
            await run.stop()
            if self._run is not run:
                return  # It finished while we waited for the lock.
            self._run = None
            self._last_finished = run.task_id
            run.record.state = "cancelled"
            if send_finished:
                await self._outbox.send_locked(
                    events.task_finished(run.task_id, run.record.characters)
                )
        self._rearm()

    async def _fail(
        self,
        task_id: str,
        code: str,
        message: str,
        *,
        record: TaskRecord | None = None,
        only_if_running: bool = False,
    ) -> bool:
        """Send task-failed and close the socket; always returns False."""
        async with self._outbox.lock:
            run, self._run = self._run, None
            if only_if_running and run is None:
                return True  # The task finished while we waited for the lock.
            failed = [r for r in (record, run.record if run else None) if r]
            if run is not None:
                await run.stop()
            for failed_record in failed:
                if failed_record.state == "running":
                    failed_record.state = "failed"
                    failed_record.error_code = code
            await self._outbox.send_locked(events.task_failed(task_id, code, message))
        _LOGGER.info(
            "connection %d: task %s failed: %s %s", self._id, task_id, code, message
        )
        await self._ws.close(CLOSE_AFTER_FAILURE)
        return False

    async def _close_invalid(self, reason: str) -> None:
        _LOGGER.info("connection %d: closing, %s", self._id, reason)
        run, self._run = self._run, None
        if run is not None:
            await run.stop()
            run.record.state = "failed"
        await self._ws.close(CLOSE_INVALID_DATA, reason)


def _run_task_input(payload: dict[str, Any]) -> dict[str, Any]:
    """run-task's input, once its envelope is checked: {} or only text."""
    for key, expected in _RUN_TASK_ENVELOPE.items():
        if payload.get(key) != expected:
            raise InvalidMessageError(f"payload.{key} must be {expected!r}")
    task_input = payload.get("input", {})
    if not isinstance(task_input, dict) or set(task_input) - {"text"}:
        raise InvalidMessageError("payload.input must be {} or hold only text")
    return task_input


def _input(payload: dict[str, Any]) -> dict[str, Any]:
    task_input = payload.get("input")
    return task_input if isinstance(task_input, dict) else {}
