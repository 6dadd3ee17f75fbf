"""Injected faults, random faults and latency settings."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from devtools.emulator import DashScopeEmulator, EmulatorConfig, Fault, http_server
from devtools.emulator import task as emulator_task
from devtools.emulator.audio import Samples, StreamEncoder, make_encoder
from devtools.emulator.events import GARBLED_FRAME
from tests.conftest import TEST_API_KEY

from .wire import Message, Wire, eventually, open_ws


async def test_task_failed_instead_of_task_started(emulator: DashScopeEmulator) -> None:
    emulator.add_fault(Fault.task_failed("Throttling.RateQuota", "slow down"))
    async with open_ws(emulator.ws_url) as wire:
        task_id = await wire.run_task()
        failed = await wire.recv()
        assert isinstance(failed, dict)
        assert failed["header"] == {
            "task_id": task_id,
            "event": "task-failed",
            "attributes": {},
            "error_code": "Throttling.RateQuota",
            "error_message": "slow down",
        }
        closed = await wire.expect_closed()
    assert closed.rcvd is not None
    record = emulator.tasks[-1]
    assert (record.state, record.error_code, record.frames) == (
        "failed",
        "Throttling.RateQuota",
        [],
    )


async def test_task_failed_after_first_audio(emulator: DashScopeEmulator) -> None:
    emulator.add_fault(Fault.task_failed("InternalError", "boom", after_audio=True))
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好。再见。")
        await wire.finish_task()
        result = await wire.collect()
        await wire.expect_closed()
    assert len(result.frames) == 1
    assert result.last["header"]["error_code"] == "InternalError"
    assert result.last["header"]["error_message"] == "boom"
    assert emulator.tasks[-1].state == "failed"


async def test_drop_before_audio(emulator: DashScopeEmulator) -> None:
    emulator.add_fault(Fault.drop(after_audio=False))
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好。")
        closed = await wire.expect_closed()
    assert closed.rcvd is None  # no close frame: the TCP connection just died
    assert emulator.tasks[-1].state == "dropped"
    assert emulator.tasks[-1].frames == []


async def test_drop_after_first_audio(emulator: DashScopeEmulator) -> None:
    emulator.add_fault(Fault.drop(after_audio=True))
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好。再见。")
        await wire.finish_task()
        frames = 0
        closed = None
        try:
            while True:
                if isinstance(await wire.recv(), bytes):
                    frames += 1
        except Exception as exc:  # noqa: BLE001
            closed = exc
    assert frames == 1
    assert getattr(closed, "rcvd", "missing") is None
    assert emulator.tasks[-1].state == "dropped"
    assert len(emulator.tasks[-1].frames) == 1


THREE = ["今天天气很好。", "我们出去走走吧。", "公园里的花都开了。"]


async def _until_dropped(wire: Wire) -> tuple[list[Message], ConnectionClosed]:
    """Everything the task sent before its connection died."""
    received: list[Message] = []
    try:
        while True:
            received.append(await wire.recv())
    except ConnectionClosed as closed:
        return received, closed


def _part(message: Message) -> str | None:
    if isinstance(message, bytes):
        return "audio"
    return message["payload"].get("output", {}).get("type")


@pytest.mark.parametrize(
    ("sentences", "frames"),
    [(1, 0), (1, 1), (1, 3), (2, 2)],
    ids=["between sentences", "just inside", "inside", "inside the third"],
)
async def test_drop_after_some_sentences(
    emulator: DashScopeEmulator, sentences: int, frames: int
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True, sentences=sentences, frames=frames))
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("".join(THREE))
        await wire.finish_task()
        received, closed = await _until_dropped(wire)
    assert closed.rcvd is None  # no close frame: the TCP connection just died
    parts = [_part(m) for m in received]
    assert parts.count("sentence-end") == sentences
    after = parts[len(parts) - parts[::-1].index("sentence-end") :]
    # The next sentence began only if some of its audio went out before the drop.
    assert (
        after
        == (["sentence-begin"] if frames else [])
        + [
            "sentence-synthesis",
            "audio",
        ]
        * frames
    )
    record = emulator.tasks[-1]
    assert record.state == "dropped"
    assert record.sentences == THREE[: sentences + (1 if frames else 0)]
    assert record.frame_sentences.count(sentences) == frames
    assert len(record.frames) == parts.count("audio")


async def test_a_drop_past_the_tasks_audio_never_comes(
    emulator: DashScopeEmulator,
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True, sentences=3, frames=1))
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak("".join(THREE))
    assert result.last["header"]["event"] == "task-finished"
    assert emulator.tasks[-1].sentences == THREE


@pytest.mark.parametrize(
    "kwargs",
    [
        {"after_audio": False, "sentences": 1},
        {"after_audio": False, "frames": 0},
        {"after_audio": True, "sentences": 0, "frames": 0},
        {"after_audio": True, "sentences": -1},
    ],
)
def test_a_drop_needs_a_place_in_the_audio(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="audio"):
        Fault.drop(**kwargs)


class _Tracked:
    """An encoder that notes whether it was let go of (ended or closed)."""

    def __init__(self, inner: StreamEncoder) -> None:
        self.inner = inner
        self.released = False

    def encode(self, samples: Samples) -> bytes:
        return self.inner.encode(samples)

    def flush(self) -> bytes:
        self.released = True
        return self.inner.flush()

    def close(self) -> None:
        self.released = True
        self.inner.close()


@pytest.fixture
def encoders(monkeypatch: pytest.MonkeyPatch) -> list[_Tracked]:
    """Every encoder the emulator's tasks and HTTP requests make, tracked."""
    made: list[_Tracked] = []

    def make(*args: Any, **kwargs: Any) -> StreamEncoder:
        made.append(_Tracked(make_encoder(*args, **kwargs)))
        return made[-1]

    monkeypatch.setattr(emulator_task, "make_encoder", make)
    monkeypatch.setattr(http_server, "make_encoder", make)
    return made


@pytest.mark.parametrize("ending", ["finished", "dropped", "failed", "cancelled"])
async def test_every_task_lets_go_of_its_encoder(
    emulator: DashScopeEmulator, encoders: list[_Tracked], ending: str
) -> None:
    # An Ogg muxer left to the garbage collector corrupts the heap with PyAV 16.
    if ending == "dropped":
        emulator.add_fault(Fault.drop(after_audio=True, sentences=1, frames=1))
    elif ending == "failed":
        emulator.add_fault(Fault.task_failed("InternalError", "boom", after_audio=True))
    async with open_ws(emulator.ws_url) as wire:
        await wire.start(format="opus", sample_rate=24000)
        await wire.continue_task("".join(THREE))
        if ending != "cancelled":
            await wire.finish_task()
        if ending == "finished":
            await wire.collect()
        while ending != "finished" and not isinstance(await wire.recv(), bytes):
            pass  # The task is under way and has its encoder: leave now.
    await eventually(lambda: emulator.tasks[-1].state != "running")
    assert emulator.tasks[-1].state == ending
    assert len(encoders) == 1
    await eventually(lambda: encoders[0].released)


async def test_an_sse_stream_left_midway_lets_go_of_its_encoder(
    emulator: DashScopeEmulator, encoders: list[_Tracked]
) -> None:
    emulator.config.realtime_factor = 1.0
    body = {
        "model": "cosyvoice-v3-flash",
        "input": {
            "text": "".join(THREE),
            "voice": "longanyang",
            "format": "opus",
            "sample_rate": 24000,
        },
    }
    headers = {"Authorization": f"Bearer {TEST_API_KEY}", "X-DashScope-SSE": "enable"}
    async with aiohttp.ClientSession() as session:
        url = emulator.http_url + "/services/audio/tts/SpeechSynthesizer"
        async with session.post(url, json=body, headers=headers) as response:
            async for line in response.content:
                if b'"sentence-synthesis"' in line:
                    break
            response.close()
    await eventually(lambda: emulator.tasks[-1].state == "cancelled", timeout=3)
    await eventually(lambda: bool(encoders) and encoders[0].released)


async def test_malformed_frame_instead_of_task_started(
    emulator: DashScopeEmulator,
) -> None:
    emulator.add_fault(Fault.malformed(after_audio=False))
    async with open_ws(emulator.ws_url) as wire:
        await wire.run_task()
        await wire.continue_task("你好。")
        await wire.finish_task()
        garbled = await wire.ws.recv()
        assert garbled == GARBLED_FRAME
        with pytest.raises(json.JSONDecodeError):
            json.loads(garbled)
        assert await wire.quiet(0.3)  # nothing more: the task never ends
        assert emulator.tasks[-1].state == "malformed"
        assert emulator.tasks[-1].frames == []


async def test_malformed_frame_after_first_audio(emulator: DashScopeEmulator) -> None:
    emulator.add_fault(Fault.malformed(after_audio=True))
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好。再见。")
        await wire.finish_task()
        received: list[str | bytes] = []
        while (message := await wire.ws.recv()) != GARBLED_FRAME:
            received.append(message)
        assert sum(isinstance(m, bytes) for m in received) == 1
        assert await wire.quiet(0.3)
    assert emulator.tasks[-1].state == "malformed"
    assert len(emulator.tasks[-1].frames) == 1


async def test_hang(emulator: DashScopeEmulator) -> None:
    emulator.config.task_text_timeout = 0.1
    emulator.config.idle_timeout = 0.1
    emulator.add_fault(Fault.hang())
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好。")
        await wire.finish_task()
        await wire.run_task()
        assert await wire.quiet(0.4)  # no audio, no task-finished, no timeout
        assert emulator.tasks[-1].state == "running"
        assert emulator.tasks[-1].texts == ["你好。"]
    await eventually(lambda: emulator.tasks[-1].state == "cancelled")
    assert len(emulator.tasks) == 1


async def test_faults_are_consumed_in_order(emulator: DashScopeEmulator) -> None:
    emulator.add_fault(Fault.task_failed("A", "first"))
    emulator.add_fault(Fault.task_failed("B", "second"), times=2)
    codes = []
    for _ in range(4):
        async with open_ws(emulator.ws_url) as wire:
            await wire.run_task()
            await wire.continue_task("好。")
            await wire.finish_task()
            result = await wire.collect()
            codes.append(result.last["header"].get("error_code"))
    assert codes == ["A", "B", "B", None]


async def _soak(emulator: DashScopeEmulator, attempts: int) -> list[str]:
    """One task per connection; name what happened to each attempt."""
    outcomes = []
    for _ in range(attempts):
        try:
            async with open_ws(emulator.ws_url) as wire:
                await wire.run_task()
                await wire.continue_task("你好。")
                await wire.finish_task()
                result = await wire.collect()
                last = result.last["header"]
                outcomes.append(last.get("error_code") or last["event"])
        except InvalidStatus as exc:
            outcomes.append(f"http-{exc.response.status_code}")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(type(exc).__name__)
    return outcomes


async def test_random_faults_are_reproducible() -> None:
    runs = []
    for _ in range(2):
        config = EmulatorConfig(
            api_keys={TEST_API_KEY},
            ms_per_char=5,
            random_fault_rate=0.5,
            random_seed=1234,
        )
        async with DashScopeEmulator(config) as emulator:
            runs.append(await _soak(emulator, 30))
    assert runs[0] == runs[1]
    kinds = set(runs[0])
    assert "task-finished" in kinds
    assert {"http-500", "http-429"} & kinds
    assert "Throttling.RateQuota" in kinds
    assert "ConnectionClosedError" in kinds


async def test_random_fault_rate_one_always_faults(emulator: DashScopeEmulator) -> None:
    emulator.config.random_fault_rate = 1.0
    emulator.config.random_seed = 7
    outcomes = await _soak(emulator, 10)
    assert "task-finished" not in outcomes
    assert all(o.startswith("http-") for o in outcomes)  # handshakes fault first
    emulator.config.random_fault_rate = 0.0
    assert await _soak(emulator, 2) == ["task-finished"] * 2


async def test_first_audio_delay(emulator: DashScopeEmulator) -> None:
    emulator.config.first_audio_delay = 0.3
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好。")
        started = time.monotonic()
        while not isinstance(await wire.recv(), bytes):
            pass
        assert time.monotonic() - started >= 0.3
        await wire.continue_task("再见。")  # applied once per task only
        started = time.monotonic()
        await wire.finish_task()
        await wire.collect()
        assert time.monotonic() - started < 0.25


@pytest.mark.parametrize("factor", [0.0, 1.0])
async def test_realtime_factor(emulator: DashScopeEmulator, factor: float) -> None:
    emulator.config.realtime_factor = factor
    async with open_ws(emulator.ws_url) as wire:
        started = time.monotonic()
        await wire.speak("一二三四五六七八九十。")  # 21 chars × 20 ms = 0.42 s
        elapsed = time.monotonic() - started
    if factor:
        assert elapsed >= 0.3  # every frame but the first is paced
    else:
        assert elapsed < 0.3


async def test_dropping_every_connection(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as first, open_ws(emulator.ws_url) as second:
        await eventually(lambda: emulator.open_connections == 2)
        assert emulator.drop_connections() == 2
        for wire in (first, second):
            closed = await wire.expect_closed()
            assert closed.rcvd is None  # no close frame: the connection just died
    await eventually(lambda: emulator.open_connections == 0)
    assert emulator.drop_connections() == 0


async def test_unresponsive_accepts_and_answers_nothing(
    emulator: DashScopeEmulator,
) -> None:
    async with open_ws(emulator.ws_url) as warm:
        emulator.config.unresponsive = True
        # A connection opened before the spell: its task starts and then hangs.
        await warm.start()
        await warm.continue_task("你好。")
        assert await warm.quiet(0.3)
        # A new connection: the upgrade is never answered while the spell lasts.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5), open_ws(emulator.ws_url):
                pass
    emulator.config.unresponsive = False
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("好。")
        await wire.finish_task()
        result = await wire.collect()
    assert result.last["header"]["event"] == "task-finished"
