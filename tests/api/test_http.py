"""The HTTP API path and the smart router, against the emulator."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web
from hypothesis import example, given
from hypothesis import strategies as st
from multidict import CIMultiDict

from custom_components.cosyvoice.api import (
    NO_RETRY,
    AuthenticationError,
    CannotConnectError,
    CosyVoiceClient,
    CosyVoiceError,
    Endpoint,
    InvalidOptionError,
    InvalidRequestError,
    ProtocolError,
    RateLimitedError,
    RetryPolicy,
    ServiceUnavailableError,
    SynthesisOptions,
    SynthesisTimeoutError,
    Timeouts,
    billed_length,
)
from custom_components.cosyvoice.api.audio import FORMATS, AudioFormat
from custom_components.cosyvoice.api.http import (
    HttpResponse,
    HttpSynthesizer,
    _audio,
    _audio_chunk,
    _note_usage,
    _sse_events,
    request_body,
)
from custom_components.cosyvoice.api.rest import error_from_body, json_object
from custom_components.cosyvoice.api.router import RouteChoice, RoutingSettings
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY
from tests.strategies import json_values

TEXT = "你好，欢迎回家。Welcome home."
QUICK_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


@pytest.fixture
async def traced(
    socket_enabled: None,
) -> AsyncIterator[
    tuple[aiohttp.ClientSession, list[tuple[str, str, CIMultiDict[str]]]]
]:
    """A session that records (method, url, headers) of every request."""
    seen: list[tuple[str, str, CIMultiDict[str]]] = []

    async def on_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        # Header names are case-insensitive: keep them so.
        seen.append((params.method, str(params.url), CIMultiDict(params.headers)))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        yield session, seen


def _client(
    session: aiohttp.ClientSession,
    emulator: DashScopeEmulator,
    route: RouteChoice = "http",
    retry: RetryPolicy = QUICK_RETRY,
) -> CosyVoiceClient:
    return CosyVoiceClient(
        session,
        TEST_API_KEY,
        Endpoint.custom(emulator.ws_url, emulator.http_url, workspace_id="ws-7"),
        retry=retry,
        routing=RoutingSettings(route=route),
    )


@pytest.mark.parametrize("fmt", FORMATS)
async def test_http_download_every_format(
    traced: tuple[aiohttp.ClientSession, list[tuple[str, str, CIMultiDict[str]]]],
    emulator: DashScopeEmulator,
    fmt: AudioFormat,
) -> None:
    session, seen = traced
    client = _client(session, emulator)
    result = await client.synthesize(
        TEXT, SynthesisOptions(format=fmt, sample_rate=24000)
    )
    await client.close()
    record = emulator.tasks[-1]
    assert record.api == "http"
    assert result.route == "http"
    assert result.audio == record.audio
    assert result.characters == billed_length(TEXT)
    assert result.first_audio_latency is not None
    assert (emulator.http_requests, emulator.audio_downloads) == (1, 1)
    assert emulator.connections_opened == 0
    (post_method, _, post_headers), (get_method, get_url, get_headers) = seen
    assert (post_method, get_method) == ("POST", "GET")
    assert post_headers["Authorization"] == f"Bearer {TEST_API_KEY}"
    assert post_headers["X-DashScope-Workspace"] == "ws-7"
    # The audio URL is a signed storage link: it never gets the key.
    assert "Authorization" not in get_headers
    assert TEST_API_KEY not in get_url


async def test_http_sse_stream(
    traced: tuple[aiohttp.ClientSession, list[tuple[str, str, CIMultiDict[str]]]],
    emulator: DashScopeEmulator,
) -> None:
    session, seen = traced
    client = _client(session, emulator)
    chunks = [c async for c in client.stream(TEXT, SynthesisOptions(format="pcm"))]
    await client.close()
    assert len(chunks) > 1
    assert b"".join(chunks) == emulator.tasks[-1].audio
    assert seen[0][2]["X-DashScope-SSE"] == "enable"
    assert client.stats.billed_characters == billed_length(TEXT)
    assert client.stats.first_audio


async def test_auto_route(
    traced: tuple[aiohttp.ClientSession, list[tuple[str, str, CIMultiDict[str]]]],
    emulator: DashScopeEmulator,
) -> None:
    session, _ = traced
    client = _client(session, emulator, route="auto")
    first = await client.synthesize(TEXT, SynthesisOptions())
    assert first.route == "http"  # no warm connection yet
    ssml = await client.synthesize("<speak>你好</speak>", SynthesisOptions())
    assert ssml.route == "websocket"
    # The SSML request left a warm connection: short text now rides it.
    warm = await client.synthesize(TEXT, SynthesisOptions())
    assert warm.route == "websocket"
    assert emulator.connections_opened == 1
    await client.close()
    cold = _client(session, emulator, route="auto")
    long = await cold.synthesize("很长的一句话。" * 100, SynthesisOptions())
    assert long.route == "websocket"
    v1 = await cold.synthesize(
        TEXT, SynthesisOptions(model="cosyvoice-v1", voice="longwan")
    )
    assert v1.route == "websocket"
    await cold.close()
    assert [t.api for t in emulator.tasks] == [
        "http",
        "websocket",
        "websocket",
        "websocket",
        "websocket",
    ]


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_transient_http_errors_are_retried(
    traced: tuple[aiohttp.ClientSession, list[tuple[str, str, CIMultiDict[str]]]],
    emulator: DashScopeEmulator,
    status: int,
) -> None:
    session, _ = traced
    emulator.add_fault(Fault.http(status))
    client = _client(session, emulator)
    assert (await client.synthesize(TEXT, SynthesisOptions())).audio
    emulator.add_fault(Fault.http(status))
    assert [c async for c in client.stream(TEXT, SynthesisOptions())]
    await client.close()
    assert client.stats.retries == 2


async def test_http_auth_failure_is_not_retried(
    traced: tuple[aiohttp.ClientSession, list[tuple[str, str, CIMultiDict[str]]]],
    emulator: DashScopeEmulator,
) -> None:
    session, _ = traced
    client = CosyVoiceClient(
        session,
        "sk-wrong",
        Endpoint.custom(emulator.ws_url, emulator.http_url),
        routing=RoutingSettings(route="http"),
    )
    with pytest.raises(AuthenticationError) as caught:
        await client.synthesize(TEXT, SynthesisOptions())
    assert caught.value.code == "InvalidApiKey"
    assert emulator.http_requests == 1
    await client.close()


async def test_http_invalid_request(
    traced: tuple[aiohttp.ClientSession, list[tuple[str, str, CIMultiDict[str]]]],
    emulator: DashScopeEmulator,
) -> None:
    session, _ = traced
    emulator.add_fault(Fault.http(400, "InvalidParameter"))
    client = _client(session, emulator)
    with pytest.raises(InvalidRequestError):
        await client.synthesize(TEXT, SynthesisOptions())
    await client.close()
    assert client.stats.retries == 0


async def test_audio_url_failure(
    traced: tuple[aiohttp.ClientSession, list[tuple[str, str, CIMultiDict[str]]]],
    emulator: DashScopeEmulator,
) -> None:
    session, _ = traced
    emulator.add_fault(Fault.audio_url(500))
    client = _client(session, emulator)
    assert (await client.synthesize(TEXT, SynthesisOptions())).audio  # retried
    emulator.add_fault(Fault.audio_url(404), times=3)
    with pytest.raises(ServiceUnavailableError, match="download"):
        await client.synthesize(TEXT, SynthesisOptions())
    await client.close()


# The HTTP path facing a server that answers badly (the emulator never does).

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


async def _client_at(session: aiohttp.ClientSession, http_url: str) -> CosyVoiceClient:
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
        client = await _client_at(session, await serve(handler))
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
        client = await _client_at(session, await serve(handler))
        with pytest.raises(kind, match=match):
            async for _ in client.stream("你好", SynthesisOptions()):
                pass
        await client.close()


async def test_sse_data_over_several_lines(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    async with aiohttp.ClientSession() as session:
        client = await _client_at(
            session, await serve(_sse_multiline_no_trailing_blank)
        )
        chunks = [c async for c in client.stream("你好", SynthesisOptions())]
        assert chunks == [b"xyz"]
        assert client.stats.billed_characters == 4
        await client.close()


async def test_unreachable_http_api(socket_enabled: None) -> None:
    async with aiohttp.ClientSession() as session:
        client = await _client_at(session, "http://127.0.0.1:9/api/v1")
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


# --- Property-based: any answer the HTTP API could give ---------------------------------


def _maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field as the API has it, or of any other type."""
    return good | json_values


_answers = st.fixed_dictionaries(
    {},
    optional={
        "output": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "audio": _maybe(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "data": _maybe(st.binary().map(base64.b64encode)).map(
                                    lambda v: v.decode() if isinstance(v, bytes) else v
                                ),
                                "url": _maybe(st.just("https://oss.example/a.mp3")),
                            },
                        )
                    )
                },
            )
        ),
        "usage": _maybe(
            st.fixed_dictionaries({"characters": _maybe(st.integers(0, 99))})
        ),
        "request_id": _maybe(st.uuids().map(str)),
        "code": _maybe(st.sampled_from(["Throttling", "InvalidParameter", ""])),
        "message": _maybe(st.text(max_size=10)),
    },
)


@given(_answers | st.dictionaries(st.text(max_size=8), json_values, max_size=4))
@example({"output": []})  # found by fuzzing: AttributeError
@example({"output": {"audio": {"data": 5}}})  # found by fuzzing: TypeError
@example({"request_id": ["x"], "code": "Throttling"})  # found: a list as request id
@example({"usage": {"characters": False}})  # found by fuzzing: False as a count
def test_any_answer_gives_audio_usage_and_errors_typed(payload: dict[str, Any]) -> None:
    """Audio, usage and errors read from any JSON object are well typed or a ProtocolError."""
    assert isinstance(_audio(payload), dict)
    with contextlib.suppress(ProtocolError):
        assert isinstance(_audio_chunk(payload), bytes)
    response = HttpResponse()
    _note_usage(payload, response)
    assert response.characters is None or type(response.characters) is int
    assert response.request_id is None or isinstance(response.request_id, str)
    error = error_from_body(payload, 400)
    assert isinstance(error, CosyVoiceError)
    assert error.request_id is None or isinstance(error.request_id, str)


@given(st.binary() | st.text() | json_values.map(json.dumps))
@example(b"[" * 100_000)  # found by fuzzing: RecursionError
@example(b"\xff\xfe")
def test_any_body_is_a_json_object_or_a_protocol_error(raw: bytes | str) -> None:
    """An answer's body parses to a JSON object or raises ProtocolError."""
    try:
        value = json_object(raw)
    except ProtocolError:
        return
    assert isinstance(value, dict)


class _Lines:
    def __init__(self, lines: list[bytes]) -> None:
        self._lines = lines

    async def readline(self) -> bytes:
        return self._lines.pop(0) if self._lines else b""


async def test_an_event_that_is_not_utf8_is_a_protocol_error() -> None:
    # Found by reading: a server-sent event line not in UTF-8 raised UnicodeDecodeError.
    resp = cast(
        "aiohttp.ClientResponse", SimpleNamespace(content=_Lines([b"data: \xff\n"]))
    )
    with pytest.raises(ProtocolError, match="UTF-8"):
        async for _ in _sse_events(resp, 1.0):
            pass
