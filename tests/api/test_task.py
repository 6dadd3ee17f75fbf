"""SynthesisTask facing a server that breaks the protocol (the emulator never does)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from custom_components.cosyvoice.api import (
    ConnectionDroppedError,
    CosyVoiceClient,
    Endpoint,
    ProtocolError,
    SynthesisOptions,
    SynthesisTimeoutError,
    Timeouts,
)
from custom_components.cosyvoice.api.retry import NO_RETRY

Script = Callable[[web.WebSocketResponse, str], Awaitable[None]]


def _event(task_id: str, event: str, **payload: object) -> str:
    return json.dumps(
        {"header": {"task_id": task_id, "event": event}, "payload": payload}
    )


class ScriptedServer:
    """A WebSocket server that plays one script per connection."""

    def __init__(self) -> None:
        self.script: Script | None = None
        self.headers: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        self.headers.append(dict(request.headers))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        run_task = json.loads((await ws.receive()).data)
        assert self.script is not None
        await self.script(ws, run_task["header"]["task_id"])
        await ws.close()
        return ws


@pytest.fixture
async def server() -> AsyncIterator[tuple[ScriptedServer, str]]:
    scripted = ScriptedServer()
    app = web.Application()
    app.router.add_get("/api-ws/v1/inference", scripted.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield scripted, f"ws://127.0.0.1:{port}/api-ws/v1/inference"
    finally:
        await runner.cleanup()


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, server: tuple[ScriptedServer, str]
) -> Callable[[Script], CosyVoiceClient]:
    scripted, url = server

    def make(script: Script) -> CosyVoiceClient:
        scripted.script = script
        return CosyVoiceClient(
            session,
            "sk-scripted",
            Endpoint.custom(url, workspace_id="ws-42"),
            timeouts=Timeouts(connect=2, task_started=0.3, response=0.3),
            retry=NO_RETRY,
        )

    return make


async def _audio_before_start(ws: web.WebSocketResponse, task_id: str) -> None:
    await ws.send_bytes(b"\x00\x01")


async def _foreign_task_id(ws: web.WebSocketResponse, task_id: str) -> None:
    await ws.send_str(_event("someone-else", "task-started"))


async def _garbage(ws: web.WebSocketResponse, task_id: str) -> None:
    await ws.send_str("{not json")


async def _silent(ws: web.WebSocketResponse, task_id: str) -> None:
    await ws.receive()


async def _hang_up(ws: web.WebSocketResponse, task_id: str) -> None:
    return


async def _started_twice(ws: web.WebSocketResponse, task_id: str) -> None:
    await ws.send_str(_event(task_id, "task-started"))
    await ws.receive()  # continue-task
    await ws.receive()  # finish-task
    await ws.send_str(_event(task_id, "task-started"))
    await ws.receive()


async def _finish_then_silence(ws: web.WebSocketResponse, task_id: str) -> None:
    await ws.send_str(_event(task_id, "task-started"))
    await ws.receive()
    await ws.receive()
    await ws.send_bytes(b"\x00\x00" * 100)
    await ws.receive()


async def _result_before_start(ws: web.WebSocketResponse, task_id: str) -> None:
    await ws.send_str(_event(task_id, "result-generated", output={}))


@pytest.mark.parametrize(
    ("script", "kind", "match"),
    [
        (_audio_before_start, ProtocolError, "before task-started"),
        (_result_before_start, ProtocolError, "ResultGenerated before task-started"),
        (_foreign_task_id, ProtocolError, "someone-else"),
        (_garbage, ProtocolError, "malformed"),
        (_silent, SynthesisTimeoutError, "task-started"),
        (_hang_up, ConnectionDroppedError, "lost"),
        (_started_twice, ProtocolError, "twice"),
        (_finish_then_silence, SynthesisTimeoutError, "no answer"),
    ],
)
async def test_protocol_violations_become_typed_errors(
    make_client: Callable[[Script], CosyVoiceClient],
    script: Script,
    kind: type[Exception],
    match: str,
) -> None:
    client = make_client(script)
    with pytest.raises(kind, match=match):
        await client.synthesize("你好。", SynthesisOptions(format="pcm"))


async def test_handshake_headers_on_the_wire(
    make_client: Callable[[Script], CosyVoiceClient],
    server: tuple[ScriptedServer, str],
) -> None:
    client = make_client(_garbage)
    with pytest.raises(ProtocolError):
        await client.synthesize("你好。", SynthesisOptions())
    headers = server[0].headers[-1]
    assert headers["Authorization"] == "Bearer sk-scripted"
    assert headers["X-DashScope-WorkSpace"] == "ws-42"
    assert headers["User-Agent"].startswith("ha-cosyvoice/")


async def _terse_but_valid(ws: web.WebSocketResponse, task_id: str) -> None:
    """Legal but minimal: an empty frame, and task-finished without usage."""
    await ws.send_str(_event(task_id, "task-started"))
    await ws.receive()
    await ws.receive()
    await ws.send_bytes(b"")
    await ws.send_str(
        _event(task_id, "result-generated", output={}, usage={"characters": 6})
    )
    await ws.send_bytes(b"\x01\x00")
    await ws.send_str(_event(task_id, "task-finished", output={}))


async def test_usage_falls_back_to_the_last_sentence(
    make_client: Callable[[Script], CosyVoiceClient],
) -> None:
    result = await make_client(_terse_but_valid).synthesize(
        "你好。", SynthesisOptions(format="pcm")
    )
    assert result.audio == b"\x01\x00"
    assert result.characters == 6


async def _abort_after_start(ws: web.WebSocketResponse, task_id: str) -> None:
    await ws.send_str(_event(task_id, "task-started"))
    request_transport = ws._req.transport if ws._req else None
    assert request_transport is not None
    request_transport.abort()


async def test_sending_on_a_dead_socket(
    make_client: Callable[[Script], CosyVoiceClient],
) -> None:
    client = make_client(_abort_after_start)
    async with client.open_task(SynthesisOptions()) as task:
        for _ in range(100):
            await asyncio.sleep(0.01)
            if task.connection.ws._writer.transport.is_closing():
                break
        with pytest.raises(ConnectionDroppedError, match="lost"):
            await task.send_text("还在吗？")
