"""Records, counters, stopping with work in flight, and the command line."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from devtools.emulator import DashScopeEmulator, EmulatorConfig, Fault, TaskRecord
from devtools.emulator.__main__ import build_config, parse_args
from tests.conftest import TEST_API_KEY

from .wire import eventually, open_ws

ROOT = Path(__file__).parents[2]


async def test_task_record_contents(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        task_id = await wire.start(
            format="wav", sample_rate=16000, language_hints=["zh"]
        )
        record = emulator.tasks[-1]
        assert isinstance(record, TaskRecord)
        assert record.state == "running"
        await wire.continue_task("你好。")
        await wire.continue_task("Hi")
        await wire.finish_task()
        result = await wire.collect()
    assert record.task_id == task_id
    assert record.connection_id == 1
    assert record.model == "cosyvoice-v3-flash"
    assert record.parameters["language_hints"] == ["zh"]
    assert record.parameters["voice"] == "longanyang"
    assert record.texts == ["你好。", "Hi"]
    assert record.frames == result.frames
    assert record.audio == result.audio
    assert record.characters == 7
    assert (record.format, record.sample_rate) == ("wav", 16000)
    assert (record.state, record.error_code) == ("finished", None)


async def test_client_disconnect_mid_task_cancels(emulator: DashScopeEmulator) -> None:
    emulator.config.realtime_factor = 1.0
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("说了一半就断开。" * 5)
        while not isinstance(await wire.recv(), bytes):
            pass
    await eventually(lambda: emulator.tasks[-1].state == "cancelled")
    await eventually(lambda: emulator.open_connections == 0)


async def test_connection_ids_and_counters(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as one, open_ws(emulator.ws_url) as two:
        assert emulator.open_connections == 2
        await two.speak("二。")
        await one.speak("一。")
    assert [t.connection_id for t in emulator.tasks] == [2, 1]
    assert emulator.connections_opened == 2
    await eventually(lambda: emulator.open_connections == 0)


async def test_stop_with_open_connections_leaves_nothing_behind() -> None:
    config = EmulatorConfig(
        api_keys={TEST_API_KEY}, ms_per_char=20, realtime_factor=1.0
    )
    emulator = DashScopeEmulator(config)
    await emulator.start()
    before = asyncio.all_tasks()
    emulator.add_fault(Fault.hang())
    async with (
        open_ws(emulator.ws_url) as hung,
        open_ws(emulator.ws_url) as busy,
        open_ws(emulator.ws_url) as idle,
    ):
        await hung.start()
        await busy.start()
        await busy.continue_task("这句话要说很久很久很久。" * 10)
        while not isinstance(await busy.recv(), bytes):
            pass
        assert emulator.open_connections == 3
        assert len(asyncio.all_tasks()) > len(before)
        started = asyncio.get_running_loop().time()
        await emulator.stop()
        assert asyncio.get_running_loop().time() - started < 3
        assert emulator.open_connections == 0
        for wire in (hung, busy, idle):
            closed = await wire.expect_closed(timeout=1)
            assert isinstance(closed, ConnectionClosed)
            assert closed.rcvd is not None
            assert closed.rcvd.code == 1001
    assert asyncio.all_tasks() <= before
    assert [t.state for t in emulator.tasks] == ["cancelled", "cancelled"]
    await emulator.stop()  # idempotent


def test_cli_options() -> None:
    config = build_config(parse_args(["--realistic", "--ms-per-char", "50"]))
    assert (config.handshake_delay, config.first_audio_delay) == (0.08, 0.15)
    assert config.realtime_factor == 1.0
    assert config.ms_per_char == 50
    assert config.api_keys == {"sk-emulator"}
    config = build_config(
        parse_args(["--api-key", "a", "--api-key", "b", "--realtime-factor", "0.5"])
    )
    assert config.api_keys == {"a", "b"}
    assert config.realtime_factor == 0.5
    assert config.handshake_delay == 0
    assert (config.region, config.voice_deploy_seconds) == ("cn", 0.0)
    config = build_config(
        parse_args(["--region", "intl", "--voice-deploy-seconds", "2.5"])
    )
    assert (config.region, config.voice_deploy_seconds) == ("intl", 2.5)


async def test_cli_serves_until_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devtools.emulator",
        "--port",
        "0",
        "--api-key",
        "sk-cli-secret",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            url = (await process.stdout.readline()).decode().strip()
        assert url.startswith("ws://127.0.0.1:")
        assert url.endswith("/api-ws/v1/inference")
        async with open_ws(url, "sk-cli-secret") as wire:
            result = await wire.speak("你好。")
        assert result.last["payload"]["usage"]["characters"] == 5
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert "connection 1 opened" in log
    assert "started (cosyvoice-v3-flash" in log
    assert "sk-cli-secret" not in log
    assert json.dumps(url)  # the URL line was all stdout held


async def test_synthesis_crash_fails_the_task(
    emulator: DashScopeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr("devtools.emulator.task.make_encoder", broken)
    async with open_ws(emulator.ws_url) as wire:
        await wire.start()
        await wire.continue_task("你好。")
        result = await wire.collect()
        await wire.expect_closed()
    assert result.last["header"]["error_code"] == "InternalError"
    assert (emulator.tasks[-1].state, emulator.tasks[-1].error_code) == (
        "failed",
        "InternalError",
    )


async def test_long_sentence_keeps_the_loop_responsive(
    emulator: DashScopeEmulator,
) -> None:
    """A 20,000-character sentence streams while another connection is served."""
    async with open_ws(emulator.ws_url) as big, open_ws(emulator.ws_url) as small:
        await big.start(sample_rate=8000)
        await big.continue_task("a" * 20_000)
        await big.finish_task()
        while not isinstance(await big.recv(), bytes):
            pass
        started = asyncio.get_running_loop().time()
        result = await small.speak("你好。")
        assert asyncio.get_running_loop().time() - started < 1
        assert result.last["header"]["event"] == "task-finished"
        await big.ws.close()
