"""The wire messages we build and the events we parse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.cosyvoice.api import (
    CosyVoiceError,
    ProtocolError,
    SynthesisOptions,
    protocol,
)
from custom_components.cosyvoice.api.errors import error_from_code
from tests.strategies import JSON_SCALARS, json_values


def test_run_task_carries_every_documented_field() -> None:
    options = SynthesisOptions(
        model="cosyvoice-v3-flash",
        voice="longanyang",
        format="opus",
        sample_rate=24000,
        volume=70,
        rate=1.2,
        pitch=0.9,
        bit_rate=32,
        language_hints=("zh",),
        instruction="你说话的情感是happy。",
        seed=7,
    )
    message = json.loads(protocol.run_task("abc", options))
    assert message["header"] == {
        "action": "run-task",
        "task_id": "abc",
        "streaming": "duplex",
    }
    payload = message["payload"]
    assert payload["task_group"] == "audio"
    assert payload["task"] == "tts"
    assert payload["function"] == "SpeechSynthesizer"
    assert payload["model"] == "cosyvoice-v3-flash"
    assert payload["input"] == {}
    assert payload["parameters"] == {
        "text_type": "PlainText",
        "voice": "longanyang",
        "format": "opus",
        "sample_rate": 24000,
        "volume": 70,
        "rate": 1.2,
        "pitch": 0.9,
        "bit_rate": 32,
        "language_hints": ["zh"],
        "instruction": "你说话的情感是happy。",
        "seed": 7,
    }


def test_run_task_leaves_out_unset_extras_and_marks_ssml() -> None:
    params = json.loads(protocol.run_task("t", SynthesisOptions(enable_ssml=True)))[
        "payload"
    ]["parameters"]
    assert params["enable_ssml"] is True
    for absent in ("bit_rate", "language_hints", "instruction", "seed"):
        assert absent not in params


def test_continue_and_finish_task() -> None:
    cont = json.loads(protocol.continue_task("t1", "床前明月光，"))
    assert cont == {
        "header": {"action": "continue-task", "task_id": "t1", "streaming": "duplex"},
        "payload": {"input": {"text": "床前明月光，"}},
    }
    # Non-ASCII text goes out as UTF-8, not \u escapes: half the bytes on the wire.
    assert "床前明月光" in protocol.continue_task("t1", "床前明月光")
    fin = json.loads(protocol.finish_task("t1"))
    assert fin["header"]["action"] == "finish-task"
    assert fin["payload"] == {"input": {}}
    flush = json.loads(protocol.flush_task("t1"))
    assert flush["header"]["action"] == "continue-task"
    assert flush["payload"] == {"input": {"flush": True}}


def test_new_task_ids_are_unique_hex() -> None:
    ids = {protocol.new_task_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_handshake_headers() -> None:
    headers = protocol.handshake_headers("sk-1", "ws-9", "ua/1")
    assert headers == {
        "Authorization": "Bearer sk-1",
        "User-Agent": "ua/1",
        "X-DashScope-WorkSpace": "ws-9",
    }
    assert "X-DashScope-WorkSpace" not in protocol.handshake_headers("k", None, "ua")


def _event(header: dict[str, object], payload: object) -> str:
    return json.dumps({"header": header, "payload": payload})


def test_parse_task_started_and_finished() -> None:
    started = protocol.parse_event(
        _event({"task_id": "t", "event": "task-started", "attributes": {}}, {})
    )
    assert started == protocol.TaskStarted("t")
    finished = protocol.parse_event(
        _event(
            {
                "task_id": "t",
                "event": "task-finished",
                "attributes": {"request_uuid": "r-1"},
            },
            {"output": {"sentence": {"words": []}}, "usage": {"characters": 13}},
        )
    )
    assert finished == protocol.TaskFinished("t", 13, "r-1")
    # Newer samples omit usage.
    bare = protocol.parse_event(
        _event({"task_id": "t", "event": "task-finished"}, {"output": {}})
    )
    assert bare == protocol.TaskFinished("t", None, None)


_BEGIN = protocol.SentencePart.BEGIN
_END = protocol.SentencePart.END


@pytest.mark.parametrize(
    ("output", "usage", "expected"),
    [
        (
            {
                "sentence": {"index": 0, "words": []},
                "type": "sentence-begin",
                "original_text": "床前明月光，",
            },
            None,
            protocol.ResultGenerated("t", None, _BEGIN, 0, "床前明月光，"),
        ),
        (
            {"sentence": {"index": 3}, "type": "sentence-synthesis"},
            None,
            protocol.ResultGenerated("t", None, protocol.SentencePart.SYNTHESIS, 3),
        ),
        (
            {"sentence": {"index": 0}, "type": "sentence-end"},
            {"characters": 6},
            protocol.ResultGenerated("t", 6, _END, 0),
        ),
        # The older protocol: no output.type, usage on every event.
        (
            {"sentence": {"index": 0, "words": []}},
            {"characters": 11},
            protocol.ResultGenerated("t", 11, None, 0),
        ),
        ({"type": "something-new"}, None, protocol.ResultGenerated("t", None)),
        # Fields of the wrong type are left out, as if missing.
        (
            {"type": 1, "sentence": {"index": "0"}, "original_text": ["x"]},
            None,
            protocol.ResultGenerated("t", None),
        ),
        ({"sentence": [0]}, None, protocol.ResultGenerated("t", None)),
    ],
)
def test_parse_result_generated(
    output: dict[str, object],
    usage: dict[str, object] | None,
    expected: protocol.ResultGenerated,
) -> None:
    payload: dict[str, object] = {"output": output}
    if usage is not None:
        payload["usage"] = usage
    event = protocol.parse_event(
        _event({"task_id": "t", "event": "result-generated"}, payload)
    )
    assert event == expected


def test_a_result_without_output_is_still_a_result() -> None:
    event = protocol.parse_event(
        _event({"task_id": "t", "event": "result-generated"}, {"output": "x"})
    )
    assert event == protocol.ResultGenerated("t", None)


def test_parse_task_failed() -> None:
    event = protocol.parse_event(
        _event(
            {
                "task_id": "t",
                "event": "task-failed",
                "error_code": "InvalidParameter",
                "error_message": "[tts:]Engine return error code: 418",
                "attributes": {},
            },
            {},
        )
    )
    assert event == protocol.TaskFailed(
        "t", "InvalidParameter", "[tts:]Engine return error code: 418"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        json.dumps({"payload": {}}),
        json.dumps({"header": {"event": "task-started"}}),
        _event({"task_id": 5, "event": "task-started"}, {}),
        _event({"task_id": "t", "event": "task-started"}, [1]),
        _event({"task_id": "t", "event": "mystery"}, {}),
    ],
)
def test_malformed_events_raise_protocol_error(raw: str) -> None:
    with pytest.raises(ProtocolError):
        protocol.parse_event(raw)


def test_usage_ignores_non_integers() -> None:
    event = protocol.parse_event(
        _event(
            {"task_id": "t", "event": "task-finished"},
            {"usage": {"characters": True}},
        )
    )
    assert isinstance(event, protocol.TaskFinished)
    assert event.characters is None


# --- Property-based: any frame the service could send -----------------------------------

_EVENTS = ("task-started", "result-generated", "task-finished", "task-failed")


def _maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field as the protocol has it, or of any other type."""
    return good | json_values


_header = st.fixed_dictionaries(
    {"event": _maybe(st.sampled_from(_EVENTS)), "task_id": _maybe(st.just("t1"))},
    optional={
        "attributes": _maybe(
            st.fixed_dictionaries(
                {}, optional={"request_uuid": _maybe(st.uuids().map(str))}
            )
        ),
        "error_code": _maybe(st.sampled_from(["InvalidParameter", "Arrearage", ""])),
        "error_message": _maybe(st.text(max_size=10)),
        "streaming": JSON_SCALARS,
    },
)
_payload = st.fixed_dictionaries(
    {},
    optional={
        "usage": _maybe(
            st.fixed_dictionaries(
                {}, optional={"characters": _maybe(st.integers(0, 10**6))}
            )
        ),
        "output": json_values,
    },
)
_near_events = st.fixed_dictionaries(
    {"header": _maybe(_header)}, optional={"payload": _maybe(_payload)}
)
_frames = (
    (_near_events | json_values).map(json.dumps)
    | (_near_events | json_values).map(lambda v: json.dumps(v).encode())
    | st.text()
    | st.binary()
)


@given(_frames)
@example('{"header":{"event":"task-finished","task_id":"t","attributes":[1]}}')
@example('{"header":{"event":"task-failed","task_id":"t","error_code":1}}')
@example("[" * 100_000)  # found by fuzzing: RecursionError
def test_any_frame_is_an_event_or_a_protocol_error(raw: str | bytes) -> None:
    """A frame parses to a well-typed event or raises ProtocolError, nothing else."""
    try:
        event = protocol.parse_event(raw)
    except ProtocolError:
        return
    assert isinstance(event.task_id, str)
    match event:
        case (
            protocol.ResultGenerated(characters=characters)
            | protocol.TaskFinished(characters=characters)
        ):
            assert characters is None or type(characters) is int
    if isinstance(event, protocol.ResultGenerated):
        assert event.index is None or type(event.index) is int
        assert event.text is None or isinstance(event.text, str)
        assert event.part is None or isinstance(event.part, protocol.SentencePart)
    if isinstance(event, protocol.TaskFinished):
        assert event.request_uuid is None or isinstance(event.request_uuid, str)
    if isinstance(event, protocol.TaskFailed):
        for text in (event.error_code, event.error_message):
            assert text is None or isinstance(text, str)
        # What the task makes of it: a typed error, whatever the fields held.
        error = error_from_code(event.error_code, event.error_message)
        assert isinstance(error, CosyVoiceError)


def test_deeply_nested_json_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="malformed"):
        protocol.parse_event("[" * 100_000)


def test_a_failure_with_fields_of_the_wrong_type_is_still_a_failure() -> None:
    event = protocol.parse_event(
        '{"header":{"event":"task-failed","task_id":"t","error_code":1,'
        '"error_message":["x"]}}'
    )
    assert event == protocol.TaskFailed("t", None, None)
