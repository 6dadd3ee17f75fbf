"""The HTTP path facing a server that answers badly (the emulator never does)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from custom_components.cosyvoice.api import (
    NO_RETRY,
    CannotConnectError,
    CosyVoiceClient,
    CosyVoiceError,
    Endpoint,
    InvalidOptionError,
    ProtocolError,
    RateLimitedError,
    SynthesisOptions,
    SynthesisTimeoutError,
    Timeouts,
)
from custom_components.cosyvoice.api.http import HttpSynthesizer, request_body
from custom_components.cosyvoice.api.router import RoutingSettings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve(
    socket_enabled: None,
) -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/api/v1/services/audio/tts/SpeechSynthesizer", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1"

    yield start
    for runner in runners:
        await runner.cleanup()


async def _client(session: aiohttp.ClientSession, http_url: str) -> CosyVoiceClient:
    return CosyVoiceClient(
        session,
        "sk-http",
        Endpoint.custom("ws://127.0.0.1:9/api-ws/v1/inference", http_url),
        retry=NO_RETRY,
        routing=RoutingSettings(route="http"),
        timeouts=Timeouts(http=0.3),
    )


def _sse(*events: tuple[str, dict[str, object]]) -> bytes:
    out = []
    for index, (event, data) in enumerate(events):
        out.append(
            f"id:{index}\nevent:{event}\n:HTTP_STATUS/200\ndata:{json.dumps(data)}\n\n"
        )
    return "".join(out).encode()


async def _not_json(request: web.Request) -> web.Response:
    return web.Response(text="<html>proxy error</html>")


async def _no_url(request: web.Request) -> web.Response:
    return web.json_response({"output": {"audio": {"url": ""}}})


async def _business_error(request: web.Request) -> web.Response:
    return web.json_response({"code": "Throttling", "message": "slow down"})


async def _json_list(request: web.Request) -> web.Response:
    return web.json_response([1, 2])


async def _error_page(request: web.Request) -> web.Response:
    return web.Response(status=502, text="bad gateway")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(1)
    return web.json_response({})


@pytest.mark.parametrize(
    ("handler", "kind", "match"),
    [
        (_not_json, ProtocolError, "not JSON"),
        (_no_url, ProtocolError, "no audio URL"),
        (_business_error, RateLimitedError, "slow down"),
        (_json_list, ProtocolError, "not an object"),
        (_error_page, CosyVoiceError, "502"),
        (_slow, CannotConnectError, "timed out"),
    ],
)
async def test_bad_download_answers(
    serve: Callable[[Handler], Awaitable[str]],
    handler: Handler,
    kind: type[Exception],
    match: str,
) -> None:
    async with aiohttp.ClientSession() as session:
        client = await _client(session, await serve(handler))
        with pytest.raises(kind, match=match):
            await client.synthesize("你好", SynthesisOptions())
        await client.close()


async def _sse_error(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(
        _sse(("error", {"code": "InternalError", "message": "engine down"}))
    )
    return response


async def _sse_bad_base64(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(_sse(("result", {"output": {"audio": {"data": "@@@"}}})))
    return response


async def _sse_stalls(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(
        _sse(
            (
                "result",
                {"output": {"audio": {"data": base64.b64encode(b"ab").decode()}}},
            )
        )
    )
    await asyncio.sleep(1)
    return response


async def _sse_multiline_no_trailing_blank(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    chunk = base64.b64encode(b"xyz").decode()
    # A pretty-printed event: one data: line per JSON line, joined by newlines.
    body = json.dumps(
        {
            "request_id": "r9",
            "output": {"audio": {"data": chunk}},
            "usage": {"characters": 4},
        },
        indent=1,
    )
    lines = "".join(f"data:{line}\n" for line in body.splitlines())
    await response.write(f"event:result\n{lines}".encode())
    return response


@pytest.mark.parametrize(
    ("handler", "kind", "match"),
    [
        (_sse_error, CosyVoiceError, "engine down"),
        (_sse_bad_base64, ProtocolError, "base64"),
        (_sse_stalls, SynthesisTimeoutError, "no answer"),
    ],
)
async def test_bad_sse_streams(
    serve: Callable[[Handler], Awaitable[str]],
    handler: Handler,
    kind: type[Exception],
    match: str,
) -> None:
    async with aiohttp.ClientSession() as session:
        client = await _client(session, await serve(handler))
        with pytest.raises(kind, match=match):
            async for _ in client.stream("你好", SynthesisOptions()):
                pass
        await client.close()


async def test_sse_data_over_several_lines(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    async with aiohttp.ClientSession() as session:
        client = await _client(session, await serve(_sse_multiline_no_trailing_blank))
        chunks = [c async for c in client.stream("你好", SynthesisOptions())]
        assert chunks == [b"xyz"]
        assert client.stats.billed_characters == 4
        await client.close()


async def test_unreachable_http_api(socket_enabled: None) -> None:
    async with aiohttp.ClientSession() as session:
        client = await _client(session, "http://127.0.0.1:9/api/v1")
        with pytest.raises(CannotConnectError, match="cannot reach"):
            await client.synthesize("你好", SynthesisOptions())
        await client.close()


def test_no_http_api_for_the_region() -> None:
    with pytest.raises(InvalidOptionError, match="intl"):
        HttpSynthesizer(
            None,  # type: ignore[arg-type]
            "k",
            Endpoint.for_region("intl"),
            timeout=1,
            user_agent="ua",
        )


def test_request_body_carries_every_option() -> None:
    options = SynthesisOptions(
        format="opus",
        sample_rate=48000,
        bit_rate=64,
        language_hints=("en",),
        instruction="calm",
        seed=3,
        enable_ssml=True,
        extra={"enable_markdown_filter": True},
    )
    body = request_body("hi", options)
    assert body["model"] == "cosyvoice-v3-flash"
    assert body["input"] == {
        "text": "hi",
        "voice": "longanyang",
        "format": "opus",
        "sample_rate": 48000,
        "volume": 50,
        "rate": 1.0,
        "pitch": 1.0,
        "enable_ssml": True,
        "bit_rate": 64,
        "language_hints": ["en"],
        "instruction": "calm",
        "seed": 3,
        "enable_markdown_filter": True,
    }
