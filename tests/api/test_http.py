"""The HTTP API path and the smart router, against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import pytest
from multidict import CIMultiDict

from custom_components.cosyvoice.api import (
    AuthenticationError,
    CosyVoiceClient,
    Endpoint,
    InvalidRequestError,
    RetryPolicy,
    ServiceUnavailableError,
    SynthesisOptions,
    billed_length,
)
from custom_components.cosyvoice.api.audio import FORMATS, AudioFormat
from custom_components.cosyvoice.api.router import RouteChoice, RoutingSettings
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

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
