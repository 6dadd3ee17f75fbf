"""The DashScope duplex WebSocket protocol: message builders and event parsing.

Pure functions, no I/O; the one place where the messages' wire field names live
(the options' own wire names are in :data:`.options.OPTION_TABLE`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from .errors import ProtocolError
from .options import SynthesisOptions, wire_parameters

AUTHORIZATION_HEADER: Final = "Authorization"
WORKSPACE_HEADER: Final = "X-DashScope-WorkSpace"


def new_task_id() -> str:
    """A fresh task id: 32 hex digits, as the official SDK makes them."""
    return uuid.uuid4().hex


def handshake_headers(
    api_key: str, workspace_id: str | None, user_agent: str
) -> dict[str, str]:
    """Headers of the WebSocket upgrade request."""
    headers = {AUTHORIZATION_HEADER: f"Bearer {api_key}", "User-Agent": user_agent}
    if workspace_id:
        headers[WORKSPACE_HEADER] = workspace_id
    return headers


def run_task(task_id: str, options: SynthesisOptions) -> str:
    """The run-task message that opens a synthesis task."""
    parameters = {"text_type": "PlainText", **wire_parameters(options, "websocket")}
    return _message(
        "run-task",
        task_id,
        {
            "task_group": "audio",
            "task": "tts",
            "function": "SpeechSynthesizer",
            "model": options.model,
            "parameters": parameters,
            "input": {},
        },
    )


def continue_task(task_id: str, text: str) -> str:
    """A continue-task message carrying the next piece of text."""
    return _message("continue-task", task_id, {"input": {"text": text}})


def flush_task(task_id: str) -> str:
    """A continue-task asking to speak the buffered text now, without ending input.

    The official SDK's ``streaming_flush()``; not in the service's documentation.
    """
    return _message("continue-task", task_id, {"input": {"flush": True}})


def finish_task(task_id: str) -> str:
    """finish-task: synthesize what is buffered, then end."""
    return _message("finish-task", task_id, {"input": {}})


def _message(action: str, task_id: str, payload: dict[str, Any]) -> str:
    return json.dumps(
        {
            "header": {"action": action, "task_id": task_id, "streaming": "duplex"},
            "payload": payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass(frozen=True, slots=True)
class TaskStarted:
    """The service accepted run-task; text may now be sent."""

    task_id: str


class SentencePart(Enum):
    """Which part of a sentence a result-generated event reports (§2.6)."""

    BEGIN = "sentence-begin"
    SYNTHESIS = "sentence-synthesis"
    """Exactly one binary audio frame of this sentence follows."""
    END = "sentence-end"
    """Every audio frame of the sentence was sent."""


_PARTS: Final = {part.value: part for part in SentencePart}


@dataclass(frozen=True, slots=True)
class ResultGenerated:
    """Progress of one sentence; a ``sentence-synthesis`` one precedes an audio frame."""

    task_id: str
    characters: int | None
    """Billed characters so far (cumulative), where the event says."""
    part: SentencePart | None = None
    """None for the older events, which have no sub-type, and for unknown ones."""
    index: int | None = None
    """The sentence's number in the task, from 0."""
    text: str | None = None
    """The sentence as the service split it; on begin and end, and "the last
    sentence may lack it"."""


@dataclass(frozen=True, slots=True)
class TaskFinished:
    """The task ended normally; the connection may carry another task."""

    task_id: str
    characters: int | None
    """Final billed characters; None when the event omits usage."""
    request_uuid: str | None


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """The task failed; the service closes the connection after this."""

    task_id: str
    error_code: str | None
    error_message: str | None


Event = TaskStarted | ResultGenerated | TaskFinished | TaskFailed


def parse_event(raw: str | bytes) -> Event:
    """Parse one JSON text frame from the service into an event."""
    try:
        message = json.loads(raw)
        header = message["header"]
        event = header["event"]
        task_id = header["task_id"]
    except (ValueError, TypeError, KeyError, RecursionError) as err:
        # RecursionError: JSON nested deeper than the parser goes.
        raise ProtocolError(f"malformed event from the service: {err!r}") from None
    payload = message.get("payload") or {}
    if not isinstance(payload, dict) or not isinstance(task_id, str):
        raise ProtocolError("malformed event from the service: bad payload or task_id")
    if event == "task-started":
        return TaskStarted(task_id)
    if event == "result-generated":
        return _result_generated(task_id, payload)
    if event == "task-finished":
        attributes = header.get("attributes")
        return TaskFinished(
            task_id=task_id,
            characters=_usage_characters(payload),
            request_uuid=_str_or_none(attributes.get("request_uuid"))
            if isinstance(attributes, dict)
            else None,
        )
    if event == "task-failed":
        return TaskFailed(
            task_id=task_id,
            error_code=_str_or_none(header.get("error_code")),
            error_message=_str_or_none(header.get("error_message")),
        )
    raise ProtocolError(f"unknown event {event!r} from the service")


def _result_generated(task_id: str, payload: dict[str, Any]) -> ResultGenerated:
    output = payload.get("output")
    if not isinstance(output, dict):
        output = {}
    sentence = output.get("sentence")
    kind = output.get("type")
    return ResultGenerated(
        task_id,
        _usage_characters(payload),
        part=_PARTS.get(kind) if isinstance(kind, str) else None,
        index=_int_or_none(sentence.get("index"))
        if isinstance(sentence, dict)
        else None,
        text=_str_or_none(output.get("original_text")),
    )


def _usage_characters(payload: dict[str, Any]) -> int | None:
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return None
    return _int_or_none(usage.get("characters"))


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: object) -> str | None:
    # A field of the wrong type is left out, like a missing one: a task that failed
    # still fails, with a generic message.
    return value if isinstance(value, str) else None
