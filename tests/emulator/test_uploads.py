"""Temporary file storage: getPolicy, the OSS form POST, and ``oss://`` samples for enrollment."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import dashscope
import pytest
from dashscope.audio.tts_v2 import VoiceEnrollmentService
from dashscope.utils.oss_utils import OssUtils

from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY

from .voice_samples import mp3_sample, wav_sample

OTHER_KEY = "sk-other-fedcba9876543210"
RESOLVE = {"X-DashScope-OssResourceResolve": "enable"}
ENROLL_PATH = "/services/audio/tts/customization"


class Client:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def policy(
        self, key: str | None = TEST_API_KEY, **query: str
    ) -> tuple[int, dict[str, Any]]:
        params = {"action": "getPolicy", "model": "cosyvoice-v3-plus", **query}
        params = {k: v for k, v in params.items() if v}
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with self.session.get(
            self.base + "/uploads", params=params, headers=headers
        ) as response:
            assert response.headers["Content-Type"] == "application/json"
            body = await response.json()
            assert response.headers["x-request-id"] == body["request_id"]
            return response.status, body

    async def data(self, key: str = TEST_API_KEY) -> dict[str, Any]:
        status, body = await self.policy(key)
        assert status == 200, body
        data = body["data"]
        assert isinstance(data, dict)
        return data

    async def upload(
        self,
        data: dict[str, Any],
        content: bytes,
        *,
        name: str = "voice.wav",
        fields: dict[str, str | None] | None = None,
        after_file: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST the SDK's form (fields overridable; None drops one) with the file last."""
        form_fields: dict[str, str | None] = {
            "OSSAccessKeyId": data["oss_access_key_id"],
            "Signature": data["signature"],
            "policy": data["policy"],
            "key": f"{data['upload_dir']}/{name}",
            "x-oss-object-acl": data["x_oss_object_acl"],
            "x-oss-forbid-overwrite": data["x_oss_forbid_overwrite"],
            "success_action_status": "200",
            "x-oss-content-type": "audio/wav",
            **(fields or {}),
        }
        form = aiohttp.FormData()
        for field, value in form_fields.items():
            if value is not None:
                form.add_field(field, value)
        form.add_field("file", content, filename=name)
        for field, value in (after_file or {}).items():
            form.add_field(field, value)
        async with self.session.post(data["upload_host"], data=form) as response:
            return response.status, (await response.read()).decode()

    async def enroll(
        self, task_input: dict[str, Any], *, key: str = TEST_API_KEY, resolve: bool
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {key}", **(RESOLVE if resolve else {})}
        body = {"model": "voice-enrollment", "input": task_input}
        async with self.session.post(
            self.base + ENROLL_PATH, json=body, headers=headers
        ) as response:
            return response.status, await response.json()


@pytest.fixture
async def client(emulator: DashScopeEmulator) -> AsyncIterator[Client]:
    emulator.config.api_keys.add(OTHER_KEY)
    async with aiohttp.ClientSession() as session:
        yield Client(session, emulator.http_url)


def _oss_code(text: str) -> str:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error>'), text
    match = re.search(r"<Code>(.*?)</Code>", text)
    assert match is not None
    return match.group(1)


# --- getPolicy --------------------------------------------------------------


async def test_get_policy(emulator: DashScopeEmulator, client: Client) -> None:
    status, body = await client.policy()
    assert status == 200
    assert set(body) == {"request_id", "data"}
    assert str(uuid.UUID(body["request_id"])) == body["request_id"]
    data = body["data"]
    assert set(data) == {
        "policy",
        "signature",
        "upload_dir",
        "upload_host",
        "expire_in_seconds",
        "max_file_size_mb",
        "capacity_limit_mb",
        "oss_access_key_id",
        "x_oss_object_acl",
        "x_oss_forbid_overwrite",
    }
    assert re.fullmatch(
        r"dashscope-instant/[0-9a-f]{32}/\d{4}-\d\d-\d\d/[0-9a-f-]{36}",
        data["upload_dir"],
    )
    origin = emulator.http_url.removesuffix("/api/v1")
    assert data["upload_host"] == f"{origin}/oss"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/oss", data["upload_host"])
    assert (data["expire_in_seconds"], data["max_file_size_mb"]) == (300, 100)
    assert data["capacity_limit_mb"] == 999999999
    assert (data["x_oss_object_acl"], data["x_oss_forbid_overwrite"]) == (
        "private",
        "true",
    )
    assert isinstance(data["signature"], str)
    assert isinstance(data["oss_access_key_id"], str)
    policy = json.loads(base64.b64decode(data["policy"]))
    assert ["starts-with", "$key", data["upload_dir"]] in policy["conditions"]
    assert "expiration" in policy

    # One account directory per key; a new upload directory per policy.
    again = await client.data()
    other = await client.data(OTHER_KEY)
    account = data["upload_dir"].split("/")[1]
    assert again["upload_dir"].split("/")[1] == account
    assert again["upload_dir"] != data["upload_dir"]
    assert other["upload_dir"].split("/")[1] != account
    assert TEST_API_KEY not in json.dumps(body)


async def test_get_policy_trailing_slash(client: Client) -> None:
    async with client.session.get(
        client.base + "/uploads/",
        params={"action": "getPolicy", "model": "m"},
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
    ) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("key", "query", "status", "code", "message"),
    [
        (None, {}, 401, "InvalidApiKey", "Invalid API-key provided."),
        ("sk-wrong", {}, 401, "InvalidApiKey", "Invalid API-key provided."),
        (TEST_API_KEY, {"action": "getToken"}, 400, "InvalidParameter",
         "Unsupported action: getToken."),
        (TEST_API_KEY, {"model": ""}, 400, "InvalidParameter",
         "Missing required parameter 'model'."),
    ],
)  # fmt: skip
async def test_get_policy_errors(
    client: Client,
    key: str | None,
    query: dict[str, str],
    status: int,
    code: str,
    message: str,
) -> None:
    answer_status, body = await client.policy(key, **query)
    assert answer_status == status
    assert (body["code"], body["message"]) == (code, message)


# --- the OSS form POST ------------------------------------------------------


async def test_upload(emulator: DashScopeEmulator, client: Client) -> None:
    data = await client.data()
    sample = wav_sample()
    assert await client.upload(data, sample) == (200, "")
    assert emulator.uploads == {f"{data['upload_dir']}/voice.wav": sample}
    # Without success_action_status OSS answers 204.
    assert await client.upload(
        data, b"x", name="second.bin", fields={"success_action_status": None}
    ) == (204, "")
    assert len(emulator.uploads) == 2


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"Signature": "AAAA"}, 403, "SignatureDoesNotMatch"),
        ({"Signature": None}, 403, "SignatureDoesNotMatch"),
        ({"policy": base64.b64encode(b'{"conditions": []}').decode()}, 403,
         "SignatureDoesNotMatch"),
        ({"OSSAccessKeyId": "LTAI5tSomebodyElse"}, 403, "InvalidAccessKeyId"),
        ({"key": "dashscope-instant/elsewhere/voice.wav"}, 403, "AccessDenied"),
        ({"key": "{dir}/"}, 403, "AccessDenied"),
        ({"key": "{dir}"}, 403, "AccessDenied"),
        ({"x-oss-object-acl": "public-read"}, 403, "AccessDenied"),
        ({"x-oss-forbid-overwrite": None}, 403, "AccessDenied"),
        ({"key": None}, 400, "InvalidArgument"),
    ],
)  # fmt: skip
async def test_upload_refused(
    emulator: DashScopeEmulator,
    client: Client,
    fields: dict[str, str | None],
    status: int,
    code: str,
) -> None:
    data = await client.data()
    fields = {
        k: v.format(dir=data["upload_dir"]) if v else v for k, v in fields.items()
    }
    answer_status, text = await client.upload(data, wav_sample(), fields=fields)
    assert answer_status == status, text
    assert _oss_code(text) == code
    assert emulator.uploads == {}


async def test_another_policy_signs_only_its_own_dir(client: Client) -> None:
    first, second = await client.data(), await client.data()
    key = f"{first['upload_dir']}/voice.wav"
    status, text = await client.upload(second, b"x", fields={"key": key})
    assert (status, _oss_code(text)) == (403, "AccessDenied")


async def test_fields_after_the_file_are_ignored(client: Client) -> None:
    data = await client.data()
    status, text = await client.upload(
        data, b"x", fields={"key": None}, after_file={"key": f"{data['upload_dir']}/a"}
    )
    assert (status, _oss_code(text)) == (400, "InvalidArgument")


async def test_no_file_and_no_overwrite(client: Client) -> None:
    data = await client.data()
    form = aiohttp.FormData()
    for field, value in {
        "OSSAccessKeyId": data["oss_access_key_id"],
        "Signature": data["signature"],
        "policy": data["policy"],
        "key": f"{data['upload_dir']}/voice.wav",
        "x-oss-object-acl": "private",
        "x-oss-forbid-overwrite": "true",
    }.items():
        form.add_field(field, value)
    form.add_field("other", b"not the file", filename="x.bin")
    async with client.session.post(data["upload_host"], data=form) as response:
        assert response.status == 400
        assert _oss_code(await response.text()) == "InvalidArgument"
    assert (await client.upload(data, b"one"))[0] == 200
    status, text = await client.upload(data, b"two")
    assert (status, _oss_code(text)) == (409, "FileAlreadyExists")


async def test_not_multipart(client: Client) -> None:
    data = await client.data()
    async with client.session.post(data["upload_host"], data=b"raw") as response:
        assert response.status == 400
        assert _oss_code(await response.text()) == "InvalidArgument"


async def test_expired_policy(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("devtools.emulator.uploads.POLICY_TTL_S", -1)
    data = await client.data()
    status, text = await client.upload(data, b"x")
    assert (status, _oss_code(text)) == (403, "AccessDenied")
    assert "Policy expired" in text


# --- oss:// samples -----------------------------------------------------------


async def test_oss_sample_for_enrollment(
    emulator: DashScopeEmulator, client: Client
) -> None:
    data = await client.data()
    assert (await client.upload(data, wav_sample()))[0] == 200
    url = f"oss://{data['upload_dir']}/voice.wav"
    create = {
        "action": "create_voice",
        "target_model": "cosyvoice-v2",
        "prefix": "home",
        "url": url,
    }
    status, body = await client.enroll(create, resolve=True)
    assert status == 200, body
    voice_id = body["output"]["voice_id"]
    status, body = await client.enroll(
        {"action": "query_voice", "voice_id": voice_id}, resolve=False
    )
    assert body["output"]["resource_link"] == url

    # Without the header an oss:// URL is as good as unreachable.
    status, body = await client.enroll(create, resolve=False)
    assert (status, body["code"]) == (400, "InvalidParameter")
    assert body["message"] == (
        f"download audio file failed: {url} "
        "(oss:// needs X-DashScope-OssResourceResolve: enable)"
    )
    # Only the key that uploaded it can use it; unknown objects are not found.
    for key, missing_url in ((OTHER_KEY, url), (TEST_API_KEY, url + ".nope")):
        status, body = await client.enroll(
            {**create, "url": missing_url}, key=key, resolve=True
        )
        assert status == 400
        assert body["message"] == (
            f"download audio file failed: {missing_url} (no such uploaded file)"
        )

    # update_voice takes oss:// too, and the sample is still checked.
    assert (await client.upload(data, mp3_sample(), name="new.mp3"))[0] == 200
    assert (await client.upload(data, b"junk", name="junk.wav"))[0] == 200
    new_url = f"oss://{data['upload_dir']}/new.mp3"
    update = {"action": "update_voice", "voice_id": voice_id, "url": new_url}
    status, body = await client.enroll(update, resolve=True)
    assert (status, body["output"]) == (200, {}), body
    status, body = await client.enroll(
        {**update, "url": f"oss://{data['upload_dir']}/junk.wav"}, resolve=True
    )
    assert status == 400
    assert body["message"].startswith("unsupported audio format")


@pytest.mark.sdk
async def test_official_sdk_upload_then_enroll(
    emulator: DashScopeEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashscope, "base_http_api_url", emulator.http_url)
    path = tmp_path / "recording.wav"
    path.write_bytes(wav_sample(22050, 12.0))
    oss_url, certificate = await asyncio.to_thread(
        OssUtils.upload,
        model="cosyvoice-v3-plus",
        file_path=str(path),
        api_key=TEST_API_KEY,
    )
    assert oss_url == f"oss://{certificate['upload_dir']}/recording.wav"
    assert emulator.uploads[oss_url.removeprefix("oss://")] == path.read_bytes()

    service = VoiceEnrollmentService(api_key=TEST_API_KEY, headers=RESOLVE)
    voice_id = await asyncio.to_thread(
        service.create_voice, "cosyvoice-v3-plus", "home", oss_url
    )
    assert voice_id.startswith("cosyvoice-v3-plus-home-")
    [record] = emulator.voices(TEST_API_KEY)
    assert record.url == oss_url
