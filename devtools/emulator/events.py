"""The JSON the service sends: WebSocket events (doc §2.5-§2.8), HTTP bodies (§7.1, §5)."""

from __future__ import annotations

import uuid
from typing import Any

from .text import billed_characters

Event = dict[str, Any]
Word = dict[str, Any]


GARBLED_FRAME = '{"header":{"event":"result-generated","task_id":'
"""What ``Fault.malformed`` sends: an event cut short, as a broken proxy would pass on."""


def _event(task_id: str, name: str, payload: dict[str, Any], **header: Any) -> Event:
    return {
        "header": {"task_id": task_id, "event": name, "attributes": {}, **header},
        "payload": payload,
    }


def task_started(task_id: str) -> Event:
    """The answer to a valid run-task."""
    return _event(task_id, "task-started", {})


def sentence_begin(task_id: str, index: int, text: str) -> Event:
    """A sentence starts; it carries the sentence as the server split it."""
    return _event(
        task_id,
        "result-generated",
        {
            "output": {
                "sentence": {"index": index, "words": []},
                "type": "sentence-begin",
                "original_text": text,
            }
        },
    )


def sentence_synthesis(task_id: str, index: int) -> Event:
    """Announces the binary audio frame that immediately follows it."""
    return _event(
        task_id,
        "result-generated",
        {
            "output": {
                "sentence": {"index": index, "words": []},
                "type": "sentence-synthesis",
            }
        },
    )


def sentence_end(
    task_id: str, index: int, text: str, characters: int, words: list[Word]
) -> Event:
    """A sentence is done; usage is cumulative for the task."""
    return _event(
        task_id,
        "result-generated",
        {
            "output": {
                "sentence": {"index": index, "words": words},
                "type": "sentence-end",
                "original_text": text,
            },
            "usage": {"characters": characters},
        },
    )


def legacy_result(task_id: str, index: int, characters: int) -> Event:
    """The older result-generated event: no ``type``, one per audio frame."""
    return _event(
        task_id,
        "result-generated",
        {
            "output": {"sentence": {"index": index, "words": []}},
            "usage": {"characters": characters},
        },
    )


def task_finished(task_id: str, characters: int) -> Event:
    """The task is over; usage is the final billed count."""
    event = _event(
        task_id,
        "task-finished",
        {"output": {"sentence": {"words": []}}, "usage": {"characters": characters}},
    )
    event["header"]["attributes"]["request_uuid"] = str(uuid.uuid4())
    return event


def task_failed(task_id: str, code: str, message: str) -> Event:
    """The task failed; the error sits in the header and the socket closes next."""
    return _event(task_id, "task-failed", {}, error_code=code, error_message=message)


def word_timestamps(sentence: str, start_ms: float, ms_per_unit: float) -> list[Word]:
    """Return the word timestamps of ``sentence``: one entry per non-space character.

    Times are in ms from ``start_ms``; each billed unit lasts ``ms_per_unit``
    (ms_per_char / rate).
    """
    words = []
    time_ms = start_ms
    for position, char in enumerate(sentence):
        duration = billed_characters(char) * ms_per_unit
        if not char.isspace():
            words.append(
                {
                    "text": char,
                    "begin_index": position,
                    "end_index": position + 1,
                    "begin_time": round(time_ms),
                    "end_time": round(time_ms + duration),
                }
            )
        time_ms += duration
    return words


# --- HTTP (doc §7.1 and §5) ---------------------------------------------------


def gateway_error(request_id: str, code: str, message: str) -> Event:
    """The gateway's error body for a non-2xx answer (doc §5.1)."""
    return {"request_id": request_id, "code": code, "message": message}


def http_sentence(
    request_id: str,
    kind: str,
    index: int,
    *,
    characters: int,
    audio_id: str,
    expires_at: int,
    data: str = "",
    text: str | None = None,
    words: list[Word] | None = None,
) -> Event:
    """One SSE ``sentence-begin`` / ``sentence-synthesis`` / ``sentence-end`` part.

    ``data`` is the base64 audio chunk (synthesis only); ``text`` the sentence
    (begin and end); usage is cumulative, like the WebSocket side's.
    """
    output: dict[str, Any] = {
        "finish_reason": "null",
        "type": kind,
        "sentence": {"index": index, "words": words or []},
    }
    if text is not None:
        output["original_text"] = text
    output["audio"] = {"data": data, "id": audio_id, "expires_at": expires_at}
    return {
        "request_id": request_id,
        "output": output,
        "usage": {"characters": characters},
    }


def http_result(
    request_id: str, *, url: str, audio_id: str, expires_at: int, characters: int
) -> Event:
    """The non-streaming answer, and the last SSE part: the whole file's URL."""
    return {
        "request_id": request_id,
        "output": {
            "finish_reason": "stop",
            "audio": {
                "data": "",
                "url": url,
                "id": audio_id,
                "expires_at": expires_at,
            },
        },
        "usage": {"characters": characters},
    }
