"""A sample recorded at home, uploaded to DashScope's temporary storage before cloning.

The emulator's storage always works (tests/api/test_enrollment.py clones through it);
here stand-ins answer as the real service may on a bad day, and each failure must be
a typed error raised before any voice is made.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.cosyvoice.api import (
    AuthenticationError,
    CannotConnectError,
    Endpoint,
    ProtocolError,
    ServiceUnavailableError,
    VoiceEnrollment,
)
from tests.conftest import TEST_API_KEY
from tests.voice_samples import wav_sample

from .conftest import Handler, StubService

MODEL = "cosyvoice-v3.5-plus"
POLICY = ("GET", "/api/v1/uploads")
STORAGE = ("POST", "/oss")
ENROLL = ("POST", "/api/v1/services/audio/tts/customization")
UPLOAD_DIR = "dashscope-instant/acct/2026-01-01/dir"


def _policy(upload_host: str, **fields: Any) -> dict[str, Any]:
    return {
        "policy": "eyJjb25kaXRpb25zIjogW119",
        "signature": "c2lnbmVk",
        "upload_dir": UPLOAD_DIR,
        "upload_host": upload_host,
        "oss_access_key_id": "LTAI5tEXAMPLE",
        **fields,
    }


async def _good_policy(request: web.Request) -> web.Response:
    storage = f"{request.scheme}://{request.host}/oss"
    return web.json_response({"request_id": "r1", "data": _policy(storage)})


async def _storage_ok(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=200)


class _Recorded:
    """What the stand-in service was sent."""

    def __init__(self) -> None:
        self.storage_headers: dict[str, str] = {}
        self.form: dict[str, Any] = {}
        self.enrollments: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def storage(self, request: web.Request) -> web.Response:
        self.storage_headers = dict(request.headers)
        form = await request.post()
        self.form = {
            name: (value.content_type, value.file.read())
            if isinstance(value, web.FileField)
            else value
            for name, value in form.items()
        }
        return web.Response(status=200)

    async def enroll(self, request: web.Request) -> web.Response:
        self.enrollments.append((dict(request.headers), await request.json()))
        voice_id = f"{MODEL}-grandma-0a1b2c3d"
        return web.json_response({"request_id": "r2", "output": {"voice_id": voice_id}})


def _enrollment(
    session: aiohttp.ClientSession, origin: str, timeout: float = 5.0
) -> VoiceEnrollment:
    return VoiceEnrollment(
        session,
        TEST_API_KEY,
        Endpoint.custom("ws://127.0.0.1:9/api-ws/v1/inference", f"{origin}/api/v1"),
        timeout=timeout,
        user_agent="test",
    )


async def test_the_storage_gets_the_signed_policy_never_the_api_key(
    session: aiohttp.ClientSession, stub_service: StubService
) -> None:
    sent = _Recorded()
    origin = await stub_service(
        {POLICY: _good_policy, STORAGE: sent.storage, ENROLL: sent.enroll}
    )
    sample = wav_sample(8.0)
    voice = await _enrollment(session, origin).clone(MODEL, "grandma", sample=sample)

    assert voice.voice_id == f"{MODEL}-grandma-0a1b2c3d"
    assert "Authorization" not in sent.storage_headers
    assert TEST_API_KEY not in str(sent.storage_headers)
    key = sent.form["key"]
    assert key.startswith(f"{UPLOAD_DIR}/")
    assert key.endswith(".wav")
    assert sent.form["file"] == ("audio/wav", sample)
    assert sent.form["Signature"] == "c2lnbmVk"
    assert sent.form["OSSAccessKeyId"] == "LTAI5tEXAMPLE"
    # What the policy leaves unsaid, the upload asks for as the official SDK does.
    assert sent.form["x-oss-object-acl"] == "private"
    assert sent.form["x-oss-forbid-overwrite"] == "true"
    # The voice is made from the uploaded file, which the service is told to resolve.
    ((headers, body),) = sent.enrollments
    assert body["input"]["url"] == f"oss://{key}"
    assert headers["X-DashScope-OssResourceResolve"] == "enable"


async def _policy_without_signature(request: web.Request) -> web.Response:
    policy = _policy("http://127.0.0.1:9/oss")
    del policy["signature"]
    return web.json_response({"data": policy})


async def _policy_not_an_object(request: web.Request) -> web.Response:
    return web.json_response({"data": "policy"})


async def _key_refused(request: web.Request) -> web.Response:
    return web.json_response(
        {"code": "InvalidApiKey", "message": "Invalid API-key provided."}, status=401
    )


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.Response(status=200)


async def _storage_refuses(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=403, text="<Error><Code>AccessDenied</Code></Error>")


async def _unreachable_storage(request: web.Request) -> web.Response:
    return web.json_response({"data": _policy("http://127.0.0.1:9/oss")})


@pytest.mark.parametrize(
    ("policy", "storage", "error", "match"),
    [
        (_policy_without_signature, _storage_ok, ProtocolError, "without its fields"),
        (_policy_not_an_object, _storage_ok, ProtocolError, "without its fields"),
        (_key_refused, _storage_ok, AuthenticationError, "Invalid API-key"),
        (_slow, _storage_ok, CannotConnectError, "timed out asking for an upload"),
        (_good_policy, _storage_refuses, ServiceUnavailableError, "HTTP 403"),
        (_good_policy, _slow, CannotConnectError, "timed out uploading"),
        (_unreachable_storage, _storage_ok, CannotConnectError, "could not upload"),
    ],
    ids=[
        "policy without a signature",
        "policy not an object",
        "key refused",
        "policy too slow",
        "storage refuses",
        "storage too slow",
        "storage unreachable",
    ],
)
async def test_a_failed_upload_is_a_typed_error_and_makes_no_voice(
    session: aiohttp.ClientSession,
    stub_service: StubService,
    policy: Handler,
    storage: Handler,
    error: type[Exception],
    match: str,
) -> None:
    sent = _Recorded()
    origin = await stub_service({POLICY: policy, STORAGE: storage, ENROLL: sent.enroll})
    enrollment = _enrollment(session, origin, timeout=0.3)
    with pytest.raises(error, match=match) as raised:
        await enrollment.clone(MODEL, "grandma", sample=wav_sample(8.0))
    assert TEST_API_KEY not in str(raised.value)
    assert sent.enrollments == []


async def test_an_unreachable_service_cannot_be_asked_for_a_policy(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    enrollment = _enrollment(session, "http://127.0.0.1:9")
    with pytest.raises(CannotConnectError, match="could not ask for an upload policy"):
        await enrollment.clone(MODEL, "grandma", sample=wav_sample(8.0))
