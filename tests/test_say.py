"""``scripts/say`` as a black box against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

from devtools.emulator import DashScopeEmulator, Fault
from tests.cli import run_tool
from tests.conftest import TEST_API_KEY


async def _say(*args: str, key: str | None = TEST_API_KEY) -> tuple[int, str, str]:
    return await run_tool("devtools.say", *args, key=key)


async def test_say_writes_the_audio_and_reports(
    emulator: DashScopeEmulator, tmp_path: Path
) -> None:
    out = tmp_path / "hello.wav"
    code, stdout, stderr = await _say(
        "--ws-url",
        emulator.ws_url,
        "--text",
        "你好。Hello.",
        "--format",
        "wav",
        "--out",
        str(out),
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["route"] == "websocket"
    assert report["requests"] == 1
    assert report["failures"] == 0
    assert report["characters"] == 4 + 1 + 6
    assert report["bytes"] == out.stat().st_size
    assert report["first_audio_ms"] > 0
    assert (report["connections_opened"], report["retries"]) == (1, 0)
    assert report["total_ms"] >= report["first_audio_ms"]
    assert out.read_bytes() == emulator.tasks[-1].audio
    assert TEST_API_KEY not in stdout + stderr


async def test_say_repeat_writes_one_file_per_request(
    emulator: DashScopeEmulator, tmp_path: Path
) -> None:
    text_file = tmp_path / "text.txt"
    text_file.write_text("第一句。第二句。", "utf-8")
    code, stdout, stderr = await _say(
        "--ws-url",
        emulator.ws_url,
        "--text-file",
        str(text_file),
        "--repeat",
        "5",
        "--concurrency",
        "3",
        "--out",
        str(tmp_path / "out"),
        "--format",
        "opus",
        "--sample-rate",
        "24000",
        "--api-key",
        TEST_API_KEY,
        key=None,
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert (report["requests"], report["failures"]) == (5, 0)
    # Through the shared pool: at most one connection per concurrent request.
    assert 1 <= report["connections_opened"] == emulator.connections_opened <= 3
    assert report["retries"] == 0
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in files] == [f"{i:04d}.ogg" for i in range(1, 6)]
    assert {f.read_bytes() for f in files} == {t.audio for t in emulator.tasks}


async def test_say_reports_failures_on_one_line(emulator: DashScopeEmulator) -> None:
    emulator.add_fault(
        Fault.task_failed("InvalidParameter", "[tts:]Engine return error code: 418")
    )
    code, stdout, stderr = await _say(
        "--ws-url", emulator.ws_url, "--text", "你好", "--repeat", "2"
    )
    assert code == 1
    assert json.loads(stdout)["failures"] == 1
    assert stderr.count("\n") == 1
    assert "1 of 2 requests failed" in stderr


async def test_say_wrong_key(emulator: DashScopeEmulator) -> None:
    secret = "sk-not-the-right-one"
    code, stdout, stderr = await _say(
        "--ws-url", emulator.ws_url, "--text", "你好", key=secret
    )
    assert code == 1
    assert "401" in stderr
    assert secret not in stdout + stderr


async def test_say_without_key_or_with_bad_options(emulator: DashScopeEmulator) -> None:
    code, _, stderr = await _say(
        "--ws-url", emulator.ws_url, "--text", "你好", key=None
    )
    assert code == 2
    assert "DASHSCOPE_API_KEY" in stderr
    code, _, stderr = await _say(
        "--ws-url", emulator.ws_url, "--text", "你好", "--voice", "nobody"
    )
    assert code == 1
    assert "unknown voice" in stderr
    assert stderr.count("\n") == 1
    code, _, stderr = await _say("--ws-url", emulator.ws_url, "--text", " ")
    assert code == 1
    assert "empty" in stderr
    assert emulator.connections_opened == 0


async def test_say_routes_and_ssml(emulator: DashScopeEmulator, tmp_path: Path) -> None:
    code, stdout, stderr = await _say(
        "--ws-url",
        emulator.ws_url,
        "--http-url",
        emulator.http_url,
        "--text",
        "你好",
        "--route",
        "http",
        "--out",
        str(tmp_path / "a.mp3"),
    )
    assert code == 0, stderr
    assert json.loads(stdout)["route"] == "http"
    assert emulator.tasks[-1].api == "http"
    code, stdout, stderr = await _say(
        "--ws-url",
        emulator.ws_url,
        "--text",
        "1 < 2 & 3",
        "--ssml",
    )
    assert code == 0, stderr
    assert json.loads(stdout)["route"] == "websocket"
    record = emulator.tasks[-1]
    assert record.texts == ["<speak>1 &lt; 2 &amp; 3</speak>"]
    assert record.parameters["enable_ssml"] is True
    code, _, stderr = await _say(
        "--ws-url", emulator.ws_url, "--text", "你好", "--route", "http"
    )
    assert code == 1
    assert "HTTP API" in stderr


async def test_say_keeps_a_connection_ready_through_the_intervals(
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.idle_timeout = 0.5  # the service's 60 s, scaled down
    code, stdout, stderr = await _say(
        "--ws-url",
        emulator.ws_url,
        "--text",
        "你好。",
        "--repeat",
        "3",
        "--interval",
        "1.0",
        "--keep-ready",
        "1",
        "--renew-after",
        "0.25",
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["requests"] == 3
    assert report["renewals"] >= 4
    # The first request opens its own; later ones find a connection kept ready.
    assert report["connections_opened"] == 1 + report["renewals"]
