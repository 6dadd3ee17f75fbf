"""The WebSocket upgrade: path, API key, injected HTTP errors, delay."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.exceptions import InvalidStatus

from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

from .wire import open_ws


async def _rejected(url: str, key: str | None = TEST_API_KEY) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as info:
        async with open_ws(url, key):
            pass  # pragma: no cover
    return info.value


def _body(exc: InvalidStatus) -> dict[str, str]:
    assert exc.response.headers["Content-Type"] == "application/json"
    body: dict[str, str] = json.loads(exc.response.body)
    assert set(body) == {"request_id", "code", "message"}
    assert len(body["request_id"]) == 36
    return body


async def test_valid_key_upgrades(emulator: DashScopeEmulator) -> None:
    assert emulator.ws_url.startswith("ws://127.0.0.1:")
    assert emulator.ws_url.endswith("/api-ws/v1/inference")
    async with open_ws(emulator.ws_url):
        assert emulator.connections_opened == 1
        assert emulator.open_connections == 1
    assert emulator.handshakes_rejected == 0


async def test_scheme_is_case_insensitive_and_extra_headers_ignored(
    emulator: DashScopeEmulator,
) -> None:
    async with open_ws(
        emulator.ws_url,
        key=None,
        Authorization=f"bearer {TEST_API_KEY}",
        **{
            "X-DashScope-WorkSpace": "ws-123",
            "X-DashScope-DataInspection": "enable",
            "x-dashscope-sdk-client": "python-sdk/2.0.2/audio",
        },
    ):
        pass
    assert emulator.connections_opened == 1


async def test_wrong_key_gets_401_with_gateway_body(
    emulator: DashScopeEmulator,
) -> None:
    exc = await _rejected(emulator.ws_url, "sk-wrong")
    assert exc.response.status_code == 401
    body = _body(exc)
    assert body["code"] == "InvalidApiKey"
    assert body["message"] == "Invalid API-key provided."
    # The only real 401 on record had content-length 114: this exact shape.
    assert len(exc.response.body) == 114
    assert emulator.handshakes_rejected == 1
    assert emulator.connections_opened == 0


async def test_missing_key_gets_401(emulator: DashScopeEmulator) -> None:
    exc = await _rejected(emulator.ws_url, None)
    assert exc.response.status_code == 401
    assert _body(exc)["code"] == "InvalidApiKey"


async def test_trailing_slash_accepted(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url + "/"):
        pass
    assert emulator.connections_opened == 1


async def test_other_path_is_404(emulator: DashScopeEmulator) -> None:
    url = emulator.ws_url.replace("/inference", "/realtime")
    exc = await _rejected(url)
    assert exc.response.status_code == 404
    assert _body(exc)["code"] == "NotFound"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (403, "AccessDenied"),
        (429, "Throttling.RateQuota"),
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
    ],
)
async def test_handshake_fault(
    emulator: DashScopeEmulator, status: int, code: str
) -> None:
    emulator.add_fault(Fault.handshake(status))
    exc = await _rejected(emulator.ws_url)
    assert exc.response.status_code == status
    assert _body(exc)["code"] == code
    async with open_ws(emulator.ws_url):  # one-shot: the next upgrade works
        pass


async def test_handshake_fault_times_and_custom_code(
    emulator: DashScopeEmulator,
) -> None:
    emulator.add_fault(Fault.handshake(403, "Arrearage"), times=2)
    for _ in range(2):
        exc = await _rejected(emulator.ws_url)
        assert exc.response.status_code == 403
        assert _body(exc)["code"] == "Arrearage"
    async with open_ws(emulator.ws_url):
        pass
    assert emulator.handshakes_rejected == 2
    assert emulator.connections_opened == 1


async def test_handshake_fault_wins_over_a_valid_key(
    emulator: DashScopeEmulator,
) -> None:
    emulator.add_fault(Fault.handshake(401))
    exc = await _rejected(emulator.ws_url)
    assert _body(exc) | {"request_id": ""} == {
        "request_id": "",
        "code": "InvalidApiKey",
        "message": "Invalid API-key provided.",
    }


async def test_handshake_delay(emulator: DashScopeEmulator) -> None:
    emulator.config.handshake_delay = 0.3
    started = time.monotonic()
    async with open_ws(emulator.ws_url):
        assert time.monotonic() - started >= 0.3


async def test_stop_during_handshake_delay_is_prompt() -> None:
    emulator = DashScopeEmulator()
    await emulator.start()
    emulator.config.handshake_delay = 30
    attempt = asyncio.create_task(_rejected(emulator.ws_url, "sk-emulator"))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await emulator.stop()
    assert time.monotonic() - started < 2
    exc = await attempt
    assert exc.response.status_code == 503


async def test_ws_url_needs_start() -> None:
    emulator = DashScopeEmulator()
    with pytest.raises(RuntimeError):
        _ = emulator.ws_url
    await emulator.stop()  # harmless when never started
    async with emulator:
        with pytest.raises(RuntimeError):
            await emulator.start()
