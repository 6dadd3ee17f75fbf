"""The JSON events the service sends (protocol doc §2.5-§2.8)."""

from __future__ import annotations

import uuid
from typing import Any

Event = dict[str, Any]
Word = dict[str, Any]


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
