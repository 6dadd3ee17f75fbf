"""The duplex task protocol: events, pairing, usage, splitting, state machine."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY

from .wire import TaskResult, Wire, eventually, open_ws


def _check_pairing_and_order(result: TaskResult, task_id: str) -> None:
    """sentence-synthesis and its binary frame are always adjacent; order is right."""
    messages = result.messages
    for position, message in enumerate(messages):
        if isinstance(message, bytes):
            previous = messages[position - 1]
            assert isinstance(previous, dict)
            assert previous["payload"]["output"]["type"] == "sentence-synthesis"
        elif message["header"]["event"] == "result-generated" and (
            message["payload"]["output"]["type"] == "sentence-synthesis"
        ):
            assert isinstance(messages[position + 1], bytes)
    for event in result.events:
        assert event["header"]["task_id"] == task_id
        assert isinstance(event["header"]["attributes"], dict)
    kinds = [
        e["payload"]["output"]["type"]
        for e in result.events
        if e["header"]["event"] == "result-generated"
    ]
    expected_index = 0
    open_sentence = False
    for event in result.events[:-1]:
        output = event["payload"]["output"]
        kind = output["type"]
        index = output["sentence"]["index"]
        if kind == "sentence-begin":
            assert not open_sentence
            assert index == expected_index
            open_sentence = True
        elif kind == "sentence-end":
            assert open_sentence
            assert index == expected_index
            open_sentence = False
            expected_index += 1
        elif open_sentence:
            assert index == expected_index
    assert not open_sentence
    assert kinds.count("sentence-begin") == kinds.count("sentence-end")
    assert result.last["header"]["event"] == "task-finished"


async def test_full_event_sequence(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        task_id = await wire.run_task()
        started = await wire.recv()
        assert started == {
            "header": {"task_id": task_id, "event": "task-started", "attributes": {}},
            "payload": {},
        }
        await wire.continue_task("床前明月光，疑是地上霜。")
        await wire.continue_task("举头望明月，低头思故乡。")
        await wire.finish_task()
        result = await wire.collect()
    _check_pairing_and_order(result, task_id)
    begins = result.of_type("sentence-begin")
    ends = result.of_type("sentence-end")
    assert [b["payload"]["output"]["original_text"] for b in begins] == [
        "床前明月光，疑是地上霜。",
        "举头望明月，低头思故乡。",
    ]
    assert [e["payload"]["output"]["original_text"] for e in ends] == [
        "床前明月光，疑是地上霜。",
        "举头望明月，低头思故乡。",
    ]
    assert [e["payload"]["usage"]["characters"] for e in ends] == [22, 44]
    assert "usage" not in begins[0]["payload"]
    assert "usage" not in result.of_type("sentence-synthesis")[0]["payload"]
    finished = result.last
    assert finished["payload"]["usage"] == {"characters": 44}
    assert len(finished["header"]["attributes"]["request_uuid"]) == 36
    assert len(result.frames) == len(result.of_type("sentence-synthesis")) > 2


@pytest.mark.parametrize(
    ("text", "characters"),
    [("你好", 4), ("中A文123", 8), ("中文。", 5), ("中 文。", 6), ("Hello world.", 12)],
)
async def test_usage_counts_han_twice(
    emulator: DashScopeEmulator, text: str, characters: int
) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak(text)
    assert result.of_type("sentence-end")[-1]["payload"]["usage"]["characters"] == (
        characters
    )
    assert result.last["payload"]["usage"]["characters"] == characters
    assert emulator.tasks[-1].characters == characters


async def test_two_sequential_tasks_on_one_socket(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        first = await wire.speak("第一个任务。")
        first_id = wire.task_id
        second = await wire.speak("Second task.", format="wav", sample_rate=16000)
        second_id = wire.task_id
    assert first_id != second_id
    _check_pairing_and_order(first, first_id)
    _check_pairing_and_order(second, second_id)
    assert second.last["payload"]["usage"]["characters"] == 12
    assert [t.connection_id for t in emulator.tasks] == [1, 1]
    assert [t.state for t in emulator.tasks] == ["finished", "finished"]
    assert emulator.connections_opened == 1


async def test_sdk_style_payloads_are_accepted(emulator: DashScopeEmulator) -> None:
    """The SDK repeats model/task_group/task/function and sends Default/0, seed, type."""
    async with open_ws(emulator.ws_url) as wire:
        task_id = await wire.run_task(
            format="Default",
            sample_rate=0,
            seed=0,
            type=0,
            enable_ssml=True,
            word_timestamp_enabled=False,
            phoneme_timestamp_enabled=False,
            language_hints=["zh"],
            something_new={"x": 1},
        )
        assert (await wire.recv())["header"]["event"] == "task-started"  # type: ignore[index]
        await wire.send(
            {
                "header": {
                    "action": "continue-task",
                    "task_id": task_id,
                    "streaming": "duplex",
                },
                "payload": {
                    "model": "cosyvoice-v3-flash",
                    "task_group": "audio",
                    "task": "tts",
                    "function": "SpeechSynthesizer",
                    "input": {"text": "你好。"},
                },
            }
        )
        await wire.finish_task()
        result = await wire.collect()
    assert result.last["header"]["event"] == "task-finished"
    record = emulator.tasks[-1]
    assert (record.format, record.sample_rate) == ("mp3", 22050)
    assert record.parameters["format"] == "Default"
    assert record.parameters["something_new"] == {"x": 1}


async def test_ssml_text_type_and_tags_not_billed(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak(
            '<speak rate="1.2">你好<break time="500ms"/>&amp;</speak>', text_type="SSML"
        )
    assert result.last["payload"]["usage"]["characters"] == 5
    assert result.of_type("sentence-begin")[0]["payload"]["output"][
        "original_text"
    ] == ("你好&")


async def test_run_task_input_text_is_synthesised(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start(task_input={"text": "你好"})
        await wire.finish_task()
        result = await wire.collect()
    assert result.last["payload"]["usage"]["characters"] == 4
    assert emulator.tasks[-1].texts == ["你好"]


async def test_incomplete_sentence_waits_for_more_text(
    emulator: DashScopeEmulator,
) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("Pi is 3")
        await wire.continue_task(".14 and")
        assert await wire.quiet(0.2)
        await wire.continue_task(" more! Then")
        begin = await wire.recv()
        assert isinstance(begin, dict)
        assert begin["payload"]["output"]["original_text"] == "Pi is 3.14 and more!"
        await wire.finish_task()
        result = await wire.collect()
    texts = [
        b["payload"]["output"]["original_text"]
        for b in result.of_type("sentence-begin")
    ]
    assert texts == [" Then"]
    assert result.last["payload"]["usage"]["characters"] == 25


async def test_sentence_split_points(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak("一。二！三？Four! Five? Six; 七；Eight.\nNine\nTen")
    texts = [
        b["payload"]["output"]["original_text"]
        for b in result.of_type("sentence-begin")
    ]
    assert texts == [
        "一。",
        "二！",
        "三？",
        "Four!",
        " Five?",
        " Six;",
        " 七；",
        "Eight.",
        "Nine\n",
        "Ten",
    ]


async def test_flush_forces_the_buffer(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("no full stop yet")
        assert await wire.quiet(0.15)
        await wire.continue_task(flush=True)
        begin = await wire.recv()
        assert isinstance(begin, dict)
        assert begin["payload"]["output"]["original_text"] == "no full stop yet"
        await wire.continue_task("second part", flush=True)
        await wire.finish_task()
        result = await wire.collect()
    texts = [
        b["payload"]["output"]["original_text"]
        for b in result.of_type("sentence-begin")
    ]
    assert texts == ["second part"]
    assert result.last["payload"]["usage"]["characters"] == 27


async def test_directive_cancel_stops_audio_and_keeps_socket(
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.realtime_factor = 1.0
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("这是一段很长的文字。" * 20)
        messages = []
        while not isinstance(message := await wire.recv(), bytes):
            messages.append(message)
        await wire.finish_task(directive="cancel")
        result = await wire.collect(timeout=2)
        assert result.last["header"]["event"] == "task-finished"
        assert len(result.frames) < 5
        record = emulator.tasks[-1]
        assert record.state == "cancelled"
        emulator.config.realtime_factor = 0
        again = await wire.speak("还能用。")
    assert again.last["header"]["event"] == "task-finished"
    assert emulator.tasks[-1].state == "finished"


async def test_late_cancel_after_finish_is_ignored(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.speak("好。")
        await wire.finish_task(directive="cancel")
        assert await wire.quiet(0.1)
        result = await wire.speak("再来。")
    assert result.last["header"]["event"] == "task-finished"


async def test_word_timestamps_on_sentence_end(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak("你好 A。Bye.", word_timestamp_enabled=True)
    words = [
        e["payload"]["output"]["sentence"]["words"]
        for e in result.of_type("sentence-end")
    ]
    assert [w["text"] for w in words[0]] == ["你", "好", "A", "。"]
    assert words[0][0] == {
        "text": "你",
        "begin_index": 0,
        "end_index": 1,
        "begin_time": 0,
        "end_time": 40,
    }
    assert words[0][2]["begin_index"] == 3
    assert words[0][2]["begin_time"] == 100
    assert words[1][0]["begin_time"] == 140
    assert words[1][-1]["end_time"] == 220


async def test_legacy_events(emulator: DashScopeEmulator) -> None:
    emulator.config.legacy_events = True
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak("你好。Hello.")
    generated = [e for e in result.events if e["header"]["event"] == "result-generated"]
    assert all("type" not in e["payload"]["output"] for e in generated)
    assert len(generated) == len(result.frames)
    for position, message in enumerate(result.messages):
        if isinstance(message, bytes):
            previous = result.messages[position - 1]
            assert isinstance(previous, dict)
            assert previous["header"]["event"] == "result-generated"
    usages = [e["payload"]["usage"]["characters"] for e in generated]
    assert usages[0] == 5
    assert usages[-1] == 11
    assert {e["payload"]["output"]["sentence"]["index"] for e in generated} == {0, 1}
    assert result.last["payload"]["usage"]["characters"] == 11


# --- errors that fail the task -------------------------------------------------


async def _failed(wire: Wire) -> dict[str, Any]:
    result = await wire.collect()
    failed = result.last
    assert failed["header"]["event"] == "task-failed"
    assert failed["payload"] == {}
    closed = await wire.expect_closed()
    assert closed.rcvd is not None
    return failed["header"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("model", "params", "code", "message"),
    [
        ("cosyvoice-v3-flash", {"voice": "longwan"}, "InvalidParameter",
         "[tts:]Engine return error code: 418"),
        ("cosyvoice-v3.5-plus", {"voice": "longanyang"}, "InvalidParameter",
         "[tts:]Engine return error code: 418"),
        ("cosyvoice-v1", {"voice": "longanyang"}, "InvalidParameter",
         "[tts:]Engine return error code: 418"),
        ("cosyvoice-v9", {"voice": "longanyang"}, "ModelNotFound", None),
        ("cosyvoice-v1", {"voice": "longwan", "format": "opus", "sample_rate": 24000},
         "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"format": "opus", "sample_rate": 22050},
         "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"format": "flac"}, "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"sample_rate": 11025}, "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"sample_rate": "24000"}, "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"volume": 101}, "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"rate": 3}, "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"pitch": True}, "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"enable_ssml": "yes"}, "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"text_type": "Markdown"}, "InvalidParameter", None),
        ("cosyvoice-v3-flash", {"voice": ""}, "InvalidParameter",
         "Request voice is invalid!"),
    ],
)  # fmt: skip
async def test_run_task_rejections(
    emulator: DashScopeEmulator,
    model: str,
    params: dict[str, Any],
    code: str,
    message: str | None,
) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.run_task(model=model, **params)
        header = await _failed(wire)
    assert header["task_id"] == wire.task_id
    assert header["error_code"] == code
    if message:
        assert header["error_message"] == message
    record = emulator.tasks[-1]
    assert (record.state, record.error_code) == ("failed", code)


@pytest.mark.parametrize(
    ("model", "voice"),
    [
        ("cosyvoice-v1", "longxiaochun"),
        ("cosyvoice-v2", "longxiaochun_v2"),
        ("cosyvoice-v2", "longanshuo"),
        ("cosyvoice-v2", "longhuhu"),
        ("cosyvoice-v3-plus", "longhuhu"),
        ("cosyvoice-v3-flash", "longanhuan"),
        ("cosyvoice-v3", "longxiaochun_v3"),
        ("qwen-audio-3.1-tts-flash", "longanhuan_v3.1"),
        ("qwen-audio-3.0-tts-plus", "longanlingxin"),
    ],
)
async def test_voice_model_table_accepts(
    emulator: DashScopeEmulator, model: str, voice: str
) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start(model=model, voice=voice)


@pytest.mark.parametrize(
    ("model", "designed"),
    [("cosyvoice-v3.5-flash", False), ("cosyvoice-v3-plus", True)],
)
async def test_custom_voices_of_the_key_are_accepted(
    emulator: DashScopeEmulator, model: str, designed: bool
) -> None:
    voice = emulator.add_voice(TEST_API_KEY, model, "myvoice", designed=designed)
    async with open_ws(emulator.ws_url) as wire:
        await wire.start(model=model, voice=voice)


async def test_custom_voice_for_another_model_is_418(
    emulator: DashScopeEmulator,
) -> None:
    voice = emulator.add_voice(TEST_API_KEY, "cosyvoice-v3-plus", "myvoice")
    async with open_ws(emulator.ws_url) as wire:
        await wire.run_task(model="cosyvoice-v2", voice=voice)
        header = await _failed(wire)
    assert header["error_code"] == "InvalidParameter"
    assert header["error_message"] == "[tts:]Engine return error code: 418"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"model": None}, "Missing required parameter 'payload.model'! Please follow the protocol!"),
        ({"input": None}, "Missing required parameter 'payload.input'! Please follow the protocol!"),
        ({"parameters": None}, "Request voice is invalid!"),
    ],
)  # fmt: skip
async def test_missing_run_task_fields(
    emulator: DashScopeEmulator, payload: dict[str, Any], message: str
) -> None:
    body: dict[str, Any] = {
        "task_group": "audio",
        "task": "tts",
        "function": "SpeechSynthesizer",
        "model": "cosyvoice-v3-flash",
        "parameters": {"voice": "longanyang", "text_type": "PlainText"},
        "input": {},
    }
    for key in payload:
        del body[key]
    async with open_ws(emulator.ws_url) as wire:
        await wire.send(
            {
                "header": {
                    "action": "run-task",
                    "task_id": "t1",
                    "streaming": "duplex",
                },
                "payload": body,
            }
        )
        header = await _failed(wire)
    assert header["error_code"] == "InvalidParameter"
    assert header["error_message"] == message


async def test_enable_ssml_allows_one_continue_task(
    emulator: DashScopeEmulator,
) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start(enable_ssml=True)
        await wire.continue_task("<speak>你好</speak>")
        await wire.continue_task("<speak>再见</speak>")
        header = await _failed(wire)
    assert header["error_message"] == "Text request limit violated, expected 1."
    assert emulator.tasks[-1].texts == ["<speak>你好</speak>"]


async def test_ssml_markup_on_v1_is_rejected(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start(model="cosyvoice-v1", voice="longwan", enable_ssml=True)
        await wire.continue_task("<speak>你好</speak>")
        header = await _failed(wire)
    assert header["error_message"] == "SSML text is not supported at the moment!"


async def test_plain_text_with_enable_ssml_on_v1_is_fine(
    emulator: DashScopeEmulator,
) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak(
            "你好", model="cosyvoice-v1", voice="longwan", enable_ssml=True
        )
    assert result.last["payload"]["usage"]["characters"] == 4


async def test_text_limit_per_continue_task(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("中" * 10_000)  # exactly 20,000 billed: fine
        await wire.continue_task("a" * 20_001)
        header = await _failed(wire)
    assert header["error_code"] == "InvalidParameter"
    assert "20000" in header["error_message"]


async def test_text_limit_per_task(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        for _ in range(10):  # no sentence end: it all stays buffered, unsynthesised
            await wire.continue_task("a" * 20_000)
        assert await wire.quiet(0.05)
        await wire.continue_task("a")
        header = await _failed(wire)
    assert "200000" in header["error_message"]


@pytest.mark.parametrize("text", ["", None])
async def test_empty_text(emulator: DashScopeEmulator, text: str | None) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task(text)
        header = await _failed(wire)
    assert header["error_message"] == "Parameter invalid: text is null"


@pytest.mark.parametrize("action", ["continue-task", "finish-task"])
async def test_action_before_run_task(emulator: DashScopeEmulator, action: str) -> None:
    async with open_ws(emulator.ws_url) as wire:
        wire.task_id = "nope"
        if action == "continue-task":
            await wire.continue_task("你好")
        else:
            await wire.finish_task()
        header = await _failed(wire)
    assert header["task_id"] == "nope"
    assert (
        header["error_message"]
        == f"Invalid action('{action}')! Please follow the protocol!"
    )


@pytest.mark.parametrize("action", ["continue-task", "finish-task"])
async def test_wrong_task_id(emulator: DashScopeEmulator, action: str) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        if action == "continue-task":
            await wire.continue_task("你好", task_id="other")
        else:
            await wire.finish_task(task_id="other")
        header = await _failed(wire)
    assert (
        header["error_message"]
        == f"Invalid action('{action}')! Please follow the protocol!"
    )
    assert emulator.tasks[-1].state == "failed"


async def test_continue_after_finish_task(emulator: DashScopeEmulator) -> None:
    emulator.config.first_audio_delay = 0.5
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好")
        await wire.finish_task()
        await wire.continue_task("还有")
        header = await _failed(wire)
    assert header["error_message"] == (
        "Invalid action('continue-task')! Please follow the protocol!"
    )


async def test_second_finish_task(emulator: DashScopeEmulator) -> None:
    emulator.config.first_audio_delay = 0.5
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好")
        await wire.finish_task()
        await wire.finish_task()
        header = await _failed(wire)
    assert header["error_message"] == (
        "Invalid action('finish-task')! Please follow the protocol!"
    )


async def test_unknown_action(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.send(
            {"header": {"action": "pause-task", "task_id": "t", "streaming": "duplex"},
             "payload": {}}
        )  # fmt: skip
        header = await _failed(wire)
    assert (
        header["error_message"]
        == "Invalid action('pause-task')! Please follow the protocol!"
    )


async def test_run_task_mid_task_fails_by_default(emulator: DashScopeEmulator) -> None:
    emulator.config.realtime_factor = 1.0
    async with open_ws(emulator.ws_url) as wire:
        first = await wire.start()
        await wire.continue_task("很长的一句话。" * 10)
        second = await wire.run_task()
        messages = []
        while True:
            message = await wire.recv()
            if (
                isinstance(message, dict)
                and message["header"]["event"] == "task-failed"
            ):
                break
            messages.append(message)
        assert message["header"]["task_id"] == second
        assert message["header"]["error_code"] == "InvalidParameter"
        assert message["header"]["error_message"] == (
            "Invalid action('run-task')! Please follow the protocol!"
        )
        await wire.expect_closed()
    assert [t.task_id for t in emulator.tasks] == [first]
    assert emulator.tasks[0].state == "failed"


async def test_run_task_mid_task_cancels_when_configured(
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.mid_task_run_task_cancels = True
    emulator.config.realtime_factor = 1.0
    async with open_ws(emulator.ws_url) as wire:
        first = await wire.start()
        await wire.continue_task("很长的一句话。" * 10)
        assert isinstance(await wire.recv(), dict)  # sentence-begin
        emulator.config.realtime_factor = 0
        second = await wire.run_task()
        while True:  # the first task's audio stops; no event ends it
            message = await wire.recv()
            if (
                isinstance(message, dict)
                and message["header"]["event"] == "task-started"
            ):
                break
            if isinstance(message, dict):
                assert message["header"]["task_id"] == first
        assert message["header"]["task_id"] == second
        await wire.continue_task("新的。")
        await wire.finish_task()
        result = await wire.collect()
    assert result.last["payload"]["usage"]["characters"] == 5
    assert [t.state for t in emulator.tasks] == ["cancelled", "finished"]


# --- malformed messages close the socket with 1007 -----------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        json.dumps({"payload": {}}),
        json.dumps({"header": {"task_id": "t", "streaming": "duplex"}, "payload": {}}),
        json.dumps({"header": {"action": "run-task", "streaming": "duplex"}, "payload": {}}),
        json.dumps({"header": {"action": "run-task", "task_id": "t"}, "payload": {}}),
        json.dumps({"header": {"action": "run-task", "task_id": "t", "streaming": "duplex"}}),
        json.dumps(
            {"header": {"action": "run-task", "task_id": "t", "streaming": "duplex"},
             "payload": {"task_group": "audio", "task": "asr", "function": "SpeechSynthesizer",
                         "model": "cosyvoice-v3-flash", "input": {},
                         "parameters": {"voice": "longanyang"}}}
        ),
        json.dumps(
            {"header": {"action": "run-task", "task_id": "t", "streaming": "duplex"},
             "payload": {"task_group": "audio", "task": "tts", "function": "SpeechSynthesizer",
                         "model": "cosyvoice-v3-flash", "input": {"voice": "x"},
                         "parameters": {"voice": "longanyang"}}}
        ),
        b"\x00\x01binary",
    ],
)  # fmt: skip
async def test_malformed_messages_close_1007(
    emulator: DashScopeEmulator, raw: str | bytes
) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.ws.send(raw)
        closed = await wire.expect_closed()
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1007


async def test_malformed_message_mid_task_fails_the_task(
    emulator: DashScopeEmulator,
) -> None:
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.ws.send("{oops")
        closed = await wire.expect_closed()
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1007
    assert emulator.tasks[-1].state == "failed"


# --- timeouts -------------------------------------------------------------------


async def test_idle_connection_is_closed(emulator: DashScopeEmulator) -> None:
    emulator.config.idle_timeout = 0.3
    async with open_ws(emulator.ws_url) as wire:
        await wire.speak("你好。")  # the idle timer starts again after the task
        closed = await wire.expect_closed(timeout=2)
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1000
    await eventually(lambda: emulator.open_connections == 0)


async def test_idle_timer_does_not_run_during_a_task(
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.idle_timeout = 0.2
    emulator.config.realtime_factor = 1.0
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak("慢慢地说完这句话。")  # ~0.36 s of paced audio
    assert result.last["header"]["event"] == "task-finished"


async def test_text_timeout_fails_the_task(emulator: DashScopeEmulator) -> None:
    emulator.config.task_text_timeout = 0.3
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("没有结束")
        header = await _failed(wire)
    assert header["error_code"] == "InvalidParameter"
    assert header["error_message"] == "request timeout after 23 seconds."
    assert emulator.tasks[-1].state == "failed"


async def test_text_timeout_code_is_configurable(emulator: DashScopeEmulator) -> None:
    emulator.config.task_text_timeout = 0.2
    emulator.config.timeout_error_code = "CLIENT_ERROR"
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        header = await _failed(wire)
    assert header["error_code"] == "CLIENT_ERROR"


async def test_text_timeout_waits_while_audio_flows(
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.task_text_timeout = 0.25
    emulator.config.realtime_factor = 1.0
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("这句话的音频比超时更长一些。")  # ~0.56 s, paced
        result = TaskResult()
        while len(result.of_type("sentence-end")) < 1:
            result.messages.append(await wire.recv())
        await wire.finish_task()
        result = await wire.collect()
    assert result.last["header"]["event"] == "task-finished"
