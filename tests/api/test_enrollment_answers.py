"""Voice enrollment facing a service that answers badly (the emulator never does).

Each bad answer is a typed error a caller can act on, never a crash of ours.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from custom_components.cosyvoice.api import (
    CannotConnectError,
    Endpoint,
    ProtocolError,
    RateLimitedError,
    VoiceEnrollment,
)
from tests.conftest import TEST_API_KEY

from .conftest import Handler, StubService

ENROLL = ("POST", "/api/v1/services/audio/tts/customization")


async def _no_voice_list(request: web.Request) -> web.Response:
    return web.json_response({"request_id": "r", "output": {"voices": []}})


async def _no_output(request: web.Request) -> web.Response:
    return web.json_response({"request_id": "r", "usage": {}})


async def _throttled_with_200(request: web.Request) -> web.Response:
    # Some gateways put the error in the body of a 200.
    return web.json_response({"code": "Throttling", "message": "slow down"})


async def _stalls_after_headers(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await asyncio.sleep(2)
    return response


async def _cut_off(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "application/json", "Content-Length": "100"}
    )
    await response.prepare(request)
    await response.write(b'{"output": {"voice_')
    assert request.transport is not None
    request.transport.close()
    return response


@pytest.mark.parametrize(
    ("handler", "error", "match"),
    [
        (_no_voice_list, ProtocolError, "voice list without voices"),
        (_no_output, ProtocolError, "list_voice without an output"),
        (_throttled_with_200, RateLimitedError, "slow down"),
        (_stalls_after_headers, CannotConnectError, "timed out after 0.3 s reading"),
        (_cut_off, CannotConnectError, "cut off"),
    ],
    ids=["no voice list", "no output", "error in a 200", "stalls", "cut off"],
)
async def test_a_bad_answer_to_a_listing_is_a_typed_error(
    session: aiohttp.ClientSession,
    stub_service: StubService,
    handler: Handler,
    error: type[Exception],
    match: str,
) -> None:
    origin = await stub_service({ENROLL: handler})
    enrollment = VoiceEnrollment(
        session,
        TEST_API_KEY,
        Endpoint.custom("ws://127.0.0.1:9/api-ws/v1/inference", f"{origin}/api/v1"),
        timeout=0.3,
        user_agent="test",
    )
    with pytest.raises(error, match=match):
        await enrollment.list_voices()
