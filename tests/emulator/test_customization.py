"""Voice enrollment (protocol doc §6.2): actions, limits, samples, faults, and synthesis with custom voices."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import uuid
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import dashscope
import pytest
from dashscope.audio.tts_v2 import VoiceEnrollmentService
from dashscope.audio.tts_v2.enrollment import VoiceEnrollmentException
from multidict import CIMultiDictProxy

from devtools.emulator import DashScopeEmulator, Fault
from devtools.emulator.text import billed_characters
from tests.conftest import TEST_API_KEY

from .voice_samples import (
    SampleServer,
    aac_m4a_sample,
    m4a_sample,
    mp3_sample,
    sample_server,
    wav_sample,
)
from .wire import decode, open_ws

PATH = "/services/audio/tts/customization"
OTHER_KEY = "sk-other-fedcba9876543210"
PREFIX_RULE = "prefix must be 1-10 lowercase letters or digits"
MISMATCH_WS = "[tts:]Engine return error code: 418"
MISMATCH_HTTP = "[cosyvoice:]Engine return error code: 418"
GMT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
HEX32 = "[0-9a-f]{32}"
MS_PER_CHAR = 20.0  # the emulator fixture's setting


@dataclass
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    raw: bytes

    @property
    def json(self) -> dict[str, Any]:
        assert self.headers["Content-Type"] == "application/json", self.headers
        body = json.loads(self.raw)
        assert isinstance(body, dict)
        return body


class Enroll:
    """A raw client of the customization endpoint."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def post(
        self,
        task_input: dict[str, Any] | None = None,
        *,
        key: str | None = TEST_API_KEY,
        body: Any = None,
        headers: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Answer:
        if body is None:
            body = {"model": "voice-enrollment", "input": task_input or {}}
            if parameters is not None:
                body["parameters"] = parameters
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.session.post(
            self.base + PATH, data=data, headers=all_headers
        ) as response:
            return Answer(response.status, response.headers, await response.read())

    async def ok(self, action: str, **fields: Any) -> dict[str, Any]:
        """Post ``action``; assert the success envelope; return ``output``."""
        parameters = fields.pop("parameters", None)
        key = fields.pop("key", TEST_API_KEY)
        headers = fields.pop("headers", None)
        answer = await self.post(
            {"action": action, **fields},
            key=key,
            headers=headers,
            parameters=parameters,
        )
        assert answer.status == 200, answer.raw
        body = answer.json
        assert set(body) == {"output", "usage", "request_id"}
        assert body["usage"] == {"count": 1}
        assert str(uuid.UUID(body["request_id"])) == body["request_id"]
        assert answer.headers["x-request-id"] == body["request_id"]
        output = body["output"]
        assert isinstance(output, dict)
        return output

    async def fails(self, action: str, **fields: Any) -> str:
        """Post ``action``; assert a 400 InvalidParameter; return the message."""
        status = fields.pop("status", 400)
        code = fields.pop("code", "InvalidParameter")
        parameters = fields.pop("parameters", None)
        key = fields.pop("key", TEST_API_KEY)
        headers = fields.pop("headers", None)
        answer = await self.post(
            {"action": action, **fields},
            key=key,
            headers=headers,
            parameters=parameters,
        )
        return _assert_error(answer, status, code)

    async def clone(
        self, url: str, model: str = "cosyvoice-v3-plus", **more: Any
    ) -> str:
        output = await self.ok(
            "create_voice", target_model=model, prefix="myvoice", url=url, **more
        )
        assert set(output) == {"voice_id"}
        voice_id = output["voice_id"]
        assert isinstance(voice_id, str)
        return voice_id

    async def query(self, voice_id: str, **more: Any) -> dict[str, Any]:
        return await self.ok("query_voice", voice_id=voice_id, **more)

    async def ids(self, **fields: Any) -> list[str]:
        output = await self.ok("list_voice", **fields)
        return [v["voice_id"] for v in output["voice_list"]]


def _assert_error(
    answer: Answer, status: int, code: str, message: str | None = None
) -> str:
    assert answer.status == status, answer.raw
    body = answer.json
    assert set(body) == {"request_id", "code", "message"}
    assert body["code"] == code
    assert answer.headers["x-request-id"] == body["request_id"]
    if message is not None:
        assert body["message"] == message
    text = body["message"]
    assert isinstance(text, str)
    return text


@pytest.fixture
async def enroll(emulator: DashScopeEmulator) -> AsyncIterator[Enroll]:
    emulator.config.api_keys.add(OTHER_KEY)
    async with aiohttp.ClientSession() as session:
        yield Enroll(session, emulator.http_url)


@pytest.fixture
async def samples() -> AsyncIterator[SampleServer]:
    async with sample_server() as server:
        yield server


@pytest.fixture
def good_url(samples: SampleServer) -> str:
    return samples.url("good.wav", wav_sample())


# --- envelope ---------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sk-wrong"}, {"Authorization": TEST_API_KEY}],
)
async def test_auth_failure(
    emulator: DashScopeEmulator, enroll: Enroll, headers: dict[str, str]
) -> None:
    answer = await enroll.post({"action": "list_voice"}, key=None, headers=headers)
    _assert_error(answer, 401, "InvalidApiKey", "Invalid API-key provided.")
    assert emulator.customization_requests == 1
    assert emulator.http_requests == 0  # the synthesis counter is apart


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"{", "InvalidParameter", "Request body is not valid JSON."),
        (b"[]", "InvalidParameter", "Request body must be a JSON object."),
        ({"input": {"action": "list_voice"}}, "BadRequest.EmptyModel", None),
        (
            {"model": "cosyvoice-v2", "input": {"action": "list_voice"}},
            "InvalidParameter",
            "Model cosyvoice-v2 does not serve voice enrollment; use voice-enrollment",
        ),
        ({"model": "voice-enrollment"}, "BadRequest.EmptyInput", None),
        ({"model": "voice-enrollment", "input": {}}, "InvalidParameter",
         "action is required"),
        (
            {"model": "voice-enrollment", "input": {"action": "create"}},
            "InvalidParameter",
            "Unsupported action: create; use one of create_voice, list_voice, "
            "query_voice, update_voice, delete_voice",
        ),
    ],
)  # fmt: skip
async def test_bad_envelope(
    enroll: Enroll, body: Any, code: str, message: str | None
) -> None:
    _assert_error(await enroll.post(body=body), 400, code, message)


async def test_workspace_header_is_ignored(enroll: Enroll) -> None:
    await enroll.ok("list_voice", headers={"X-DashScope-Workspace": "ws-123"})


async def test_unknown_path_next_to_it_is_a_url_error(enroll: Enroll) -> None:
    async with enroll.session.post(enroll.base + "/services/audio/tts/custom") as r:
        assert r.status == 400
        assert (await r.json())["message"] == "url error, please check url！"


# --- cloning: the whole life of a voice ---------------------------------------


async def test_clone_query_list_update_delete(
    emulator: DashScopeEmulator, enroll: Enroll, samples: SampleServer
) -> None:
    url = samples.url("first.wav", wav_sample())
    voice_id = await enroll.clone(url, language_hints=["en"])
    assert re.fullmatch(rf"cosyvoice-v3-plus-myvoice-{HEX32}", voice_id)
    assert samples.requests == 1

    details = await enroll.query(voice_id)
    assert set(details) == {
        "voice_id",
        "gmt_create",
        "gmt_modified",
        "status",
        "target_model",
        "resource_link",
    }
    assert details["voice_id"] == voice_id
    assert details["status"] == "OK"
    assert details["target_model"] == "cosyvoice-v3-plus"
    assert details["resource_link"] == url
    assert GMT.fullmatch(details["gmt_create"])
    assert details["gmt_modified"] == details["gmt_create"]

    listed = await enroll.ok("list_voice")
    assert listed == {
        "voice_list": [
            {
                "voice_id": voice_id,
                "gmt_create": details["gmt_create"],
                "gmt_modified": details["gmt_modified"],
                "status": "OK",
            }
        ]
    }
    [record] = emulator.voices(TEST_API_KEY)
    assert (record.voice_id, record.target_model, record.status) == (
        voice_id,
        "cosyvoice-v3-plus",
        "OK",
    )
    assert (record.url, record.prompt, record.designed) == (url, None, False)
    assert record.language_hints == ["en"]

    new_url = samples.url("second.mp3", mp3_sample())
    assert await enroll.ok("update_voice", voice_id=voice_id, url=new_url) == {}
    assert samples.requests == 2
    assert (await enroll.query(voice_id))["resource_link"] == new_url

    assert await enroll.ok("delete_voice", voice_id=voice_id) == {}
    assert await enroll.ids() == []
    assert emulator.voices(TEST_API_KEY) == []
    not_found = f"voice {voice_id} does not exist"
    for action in ("query_voice", "delete_voice"):
        assert await enroll.fails(action, voice_id=voice_id) == not_found
    assert (
        await enroll.fails("update_voice", voice_id=voice_id, url=new_url) == not_found
    )
    assert emulator.customization_requests == 10


@pytest.mark.parametrize(
    "model",
    [
        "cosyvoice-v2",
        "cosyvoice-v3-flash",
        "cosyvoice-v3-plus",
        "cosyvoice-v3.5-flash",
        "cosyvoice-v3.5-plus",
    ],
)
async def test_models_that_clone(enroll: Enroll, good_url: str, model: str) -> None:
    voice_id = await enroll.clone(good_url, model)
    assert re.fullmatch(rf"{re.escape(model)}-myvoice-{HEX32}", voice_id)
    assert (await enroll.query(voice_id))["target_model"] == model


@pytest.mark.parametrize(
    "model", ["cosyvoice-v1", "qwen-audio-3.0-tts-flash", "cosyvoice-v9", ""]
)
async def test_models_that_do_not_clone(
    enroll: Enroll, samples: SampleServer, model: str
) -> None:
    url = samples.url("good.wav", wav_sample())
    message = await enroll.fails(
        "create_voice", target_model=model, prefix="myvoice", url=url
    )
    expected = (
        f"target_model {model} does not support voice cloning"
        if model
        else "target_model is required"
    )
    assert message == expected
    assert samples.requests == 0  # refused before the download


@pytest.mark.parametrize("prefix", ["a", "abcdefghij", "0123456789", "v2x"])
async def test_good_prefixes(enroll: Enroll, good_url: str, prefix: str) -> None:
    output = await enroll.ok(
        "create_voice", target_model="cosyvoice-v2", prefix=prefix, url=good_url
    )
    assert re.fullmatch(rf"cosyvoice-v2-{prefix}-{HEX32}", output["voice_id"])


@pytest.mark.parametrize(
    "prefix", ["", "MyVoice", "my_voice", "my-voice", "abcdefghijk", "中文", 42]
)
async def test_bad_prefixes(enroll: Enroll, good_url: str, prefix: Any) -> None:
    message = await enroll.fails(
        "create_voice", target_model="cosyvoice-v2", prefix=prefix, url=good_url
    )
    assert message == PREFIX_RULE


async def test_missing_fields(enroll: Enroll, good_url: str) -> None:
    assert (
        await enroll.fails("create_voice", target_model="cosyvoice-v2", url=good_url)
        == "prefix is required"
    )
    assert (
        await enroll.fails("create_voice", target_model="cosyvoice-v2", prefix="a")
        == "url is required"
    )
    for action in ("query_voice", "delete_voice"):
        assert await enroll.fails(action) == "voice_id is required"


@pytest.mark.parametrize(
    "hints", [["zh"], ["en"], ["fr"], ["de"], ["ja"], ["ko"], ["ru"]]
)
async def test_language_hints_accepted(
    enroll: Enroll, good_url: str, hints: list[str]
) -> None:
    await enroll.clone(good_url, language_hints=hints)


@pytest.mark.parametrize("hints", [["es"], "zh", [], ["zh", "en"], [1]])
async def test_language_hints_refused(
    enroll: Enroll, good_url: str, hints: Any
) -> None:
    message = await enroll.fails(
        "create_voice",
        target_model="cosyvoice-v3-plus",
        prefix="myvoice",
        url=good_url,
        language_hints=hints,
    )
    assert message == (
        "language_hints must be a list holding one of: zh, en, fr, de, ja, ko, ru"
    )


async def test_sdk_extras_are_accepted(enroll: Enroll, good_url: str) -> None:
    await enroll.clone(
        good_url,
        max_prompt_audio_length=10,
        enable_preprocess=True,
        enable_volume_normalization="true",
    )
    message = await enroll.fails(
        "create_voice",
        target_model="cosyvoice-v2",
        prefix="a",
        url=good_url,
        max_prompt_audio_length=31,
    )
    assert message == "max_prompt_audio_length must be between 3 and 30"


# --- samples ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("mono16k.wav", lambda: wav_sample(16000, 5.0)),
        ("stereo44k.wav", lambda: wav_sample(44100, 8.0, channels=2)),
        ("max.wav", lambda: wav_sample(16000, 60.0)),
        ("voice.mp3", lambda: mp3_sample(24000, 7.0)),
        ("voice48k.mp3", lambda: mp3_sample(48000, 20.0)),
        ("hand.m4a", lambda: m4a_sample(16000, 10.0)),
        ("hand-v1.m4a", lambda: m4a_sample(48000, 30.0, mdhd_version=1, timescale=1000)),
        ("real.m4a", lambda: aac_m4a_sample(44100, 7.0)),
        # The format comes from the bytes, not the name.
        ("actually-a-wav.mp3", wav_sample),
        ("no-extension", mp3_sample),
    ],
)  # fmt: skip
async def test_samples_accepted(
    enroll: Enroll, samples: SampleServer, name: str, make: Any
) -> None:
    voice_id = await enroll.clone(samples.url(name, make()))
    assert (await enroll.query(voice_id))["status"] == "OK"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: wav_sample(8000), "audio sample rate 8000 Hz is too low, at least 16000 Hz is required"),
        (lambda: wav_sample(16000, 3.0), "audio too short: 3.0 s, at least 5 s is required"),
        (lambda: wav_sample(16000, 70.0), "audio too long: 70.0 s, at most 60 s is allowed"),
        (lambda: wav_sample(amplitude=0), "no valid speech detected in the audio"),
        (lambda: wav_sample(amplitude=20), "no valid speech detected in the audio"),
        (lambda: wav_sample(width=1), "unsupported audio format: a WAV sample must be 16-bit PCM"),
        (lambda: mp3_sample(8000), "audio sample rate 8000 Hz is too low, at least 16000 Hz is required"),
        # MP3 frames carry the encoder's delay and padding: a few ms more.
        (lambda: mp3_sample(22050, 3.0), "audio too short: 3."),
        (lambda: mp3_sample(16000, 61.0), "audio too long: 61."),
        (lambda: m4a_sample(8000), "audio sample rate 8000 Hz is too low, at least 16000 Hz is required"),
        (lambda: m4a_sample(16000, 4.5), "audio too short: 4.5 s, at least 5 s is required"),
        (lambda: m4a_sample(16000, 90.0), "audio too long: 90.0 s, at most 60 s is allowed"),
        (lambda: m4a_sample(entry=b"avc1"), "unsupported audio format: use WAV (16-bit PCM), MP3 or M4A"),
        (lambda: b"OggS" + bytes(5000), "unsupported audio format: use WAV (16-bit PCM), MP3 or M4A"),
        (lambda: b"not audio at all", "unsupported audio format: use WAV (16-bit PCM), MP3 or M4A"),
        (lambda: b"", "unsupported audio format: use WAV (16-bit PCM), MP3 or M4A"),
        (lambda: bytes(10 * 1024 * 1024 + 1), "audio file too large: the limit is 10 MB"),
    ],
)  # fmt: skip
async def test_samples_refused(
    emulator: DashScopeEmulator,
    enroll: Enroll,
    samples: SampleServer,
    make: Any,
    message: str,
) -> None:
    url = samples.url("sample.wav", make())
    refusal = await enroll.fails(
        "create_voice", target_model="cosyvoice-v2", prefix="a", url=url
    )
    assert refusal.startswith(message)
    assert emulator.voices(TEST_API_KEY) == []


async def test_exactly_10_mb_is_accepted(enroll: Enroll, samples: SampleServer) -> None:
    sample = wav_sample(16000, 20.0)
    padded = sample + bytes(10 * 1024 * 1024 - len(sample))  # after the data chunk
    await enroll.clone(samples.url("big.wav", padded))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("{origin}/missing.wav", "HTTP 404"),
        ("{origin}/forbidden.wav", "HTTP 403"),
        ("http://127.0.0.1:9/voice.wav", "ClientConnectorError"),
        ("ftp://127.0.0.1/voice.wav", "unsupported URL scheme"),
        ("file:///etc/passwd", "unsupported URL scheme"),
    ],
)
async def test_download_failures(
    enroll: Enroll, samples: SampleServer, url: str, reason: str
) -> None:
    samples.url("forbidden.wav", status=403)
    url = url.format(origin=samples.origin)
    message = await enroll.fails(
        "create_voice", target_model="cosyvoice-v2", prefix="a", url=url
    )
    assert message == f"download audio file failed: {url} ({reason})"


# --- status ---------------------------------------------------------------


async def test_deploying_then_ok(
    emulator: DashScopeEmulator, enroll: Enroll, samples: SampleServer, good_url: str
) -> None:
    emulator.config.voice_deploy_seconds = 0.3
    voice_id = await enroll.clone(good_url)
    assert (await enroll.query(voice_id))["status"] == "DEPLOYING"
    listed = await enroll.ok("list_voice")
    assert listed["voice_list"][0]["status"] == "DEPLOYING"
    assert emulator.voices(TEST_API_KEY)[0].status == "DEPLOYING"
    await asyncio.sleep(0.35)
    assert (await enroll.query(voice_id))["status"] == "OK"

    # An update deploys again, and gmt_modified moves on.
    await asyncio.sleep(1.0)  # gmt_* have a one-second resolution
    url = samples.url("new.wav", wav_sample(24000))
    await enroll.ok("update_voice", voice_id=voice_id, url=url)
    details = await enroll.query(voice_id)
    assert details["status"] == "DEPLOYING"
    assert details["gmt_modified"] > details["gmt_create"]
    await asyncio.sleep(0.35)
    assert (await enroll.query(voice_id))["status"] == "OK"


async def test_rejected_voice_ends_undeployed(
    emulator: DashScopeEmulator, enroll: Enroll, good_url: str
) -> None:
    emulator.config.voice_deploy_seconds = 0.2
    emulator.add_fault(Fault.voice_rejected())
    rejected = await enroll.clone(good_url)
    accepted = await enroll.clone(good_url)
    assert (await enroll.query(rejected))["status"] == "DEPLOYING"
    await asyncio.sleep(0.25)
    assert (await enroll.query(rejected))["status"] == "UNDEPLOYED"
    assert (await enroll.query(accepted))["status"] == "OK"
    # A new sample deploys it again.
    await enroll.ok("update_voice", voice_id=rejected, url=good_url)
    await asyncio.sleep(0.25)
    assert (await enroll.query(rejected))["status"] == "OK"


async def test_update_with_a_bad_sample_changes_nothing(
    enroll: Enroll, samples: SampleServer, good_url: str
) -> None:
    voice_id = await enroll.clone(good_url)
    before = await enroll.query(voice_id)
    bad = samples.url("short.wav", wav_sample(16000, 2.0))
    message = await enroll.fails("update_voice", voice_id=voice_id, url=bad)
    assert message.startswith("audio too short")
    assert await enroll.query(voice_id) == before
    assert await enroll.fails("update_voice", voice_id=voice_id) == "url is required"


# --- list_voice -----------------------------------------------------------


async def test_list_pages_newest_first(
    emulator: DashScopeEmulator, enroll: Enroll
) -> None:
    made = [
        emulator.add_voice(TEST_API_KEY, "cosyvoice-v2", "abc" if i % 2 else "xyz")
        for i in range(12)
    ]
    newest_first = made[::-1]
    assert await enroll.ids() == newest_first[:10]  # page_size defaults to 10
    assert await enroll.ids(page_index=1) == newest_first[10:]
    assert await enroll.ids(page_index=2) == []
    assert await enroll.ids(page_size=5, page_index=1) == newest_first[5:10]
    assert await enroll.ids(page_size=1000) == newest_first
    assert await enroll.ids(prefix="abc", page_size=100) == [
        v for v in newest_first if "-abc-" in v
    ]
    assert await enroll.ids(prefix="nothing") == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"page_size": 0}, "page_size must be an integer between 1 and 1000"),
        ({"page_size": 1001}, "page_size must be an integer between 1 and 1000"),
        ({"page_size": "10"}, "page_size must be an integer between 1 and 1000"),
        ({"page_size": True}, "page_size must be an integer between 1 and 1000"),
        ({"page_index": -1}, "page_index must be an integer of at least 0"),
        ({"page_index": 1.5}, "page_index must be an integer of at least 0"),
        ({"prefix": "Bad_Prefix"}, PREFIX_RULE),
    ],
)
async def test_list_limits(
    enroll: Enroll, fields: dict[str, Any], message: str
) -> None:
    assert await enroll.fails("list_voice", **fields) == message


# --- keys, quota, region ------------------------------------------------


async def test_voices_are_per_key(
    emulator: DashScopeEmulator, enroll: Enroll, good_url: str
) -> None:
    mine = await enroll.clone(good_url)
    theirs = await enroll.clone(good_url, key=OTHER_KEY)
    assert await enroll.ids() == [mine]
    assert await enroll.ids(key=OTHER_KEY) == [theirs]
    for action in ("query_voice", "delete_voice"):
        message = await enroll.fails(action, voice_id=mine, key=OTHER_KEY)
        assert message == f"voice {mine} does not exist"
    await enroll.fails("update_voice", voice_id=mine, url=good_url, key=OTHER_KEY)
    assert [v.voice_id for v in emulator.voices(TEST_API_KEY)] == [mine]
    assert [v.voice_id for v in emulator.voices(OTHER_KEY)] == [theirs]
    assert emulator.voices("sk-nobody") == []


async def test_quota_per_key(
    emulator: DashScopeEmulator, enroll: Enroll, good_url: str
) -> None:
    emulator.config.max_voices = 2
    first = await enroll.clone(good_url)
    await enroll.clone(good_url)
    message = (
        "voice quota exceeded: an account may hold at most 2 voices, delete some first"
    )
    assert (
        await enroll.fails(
            "create_voice", target_model="cosyvoice-v2", prefix="a", url=good_url
        )
        == message
    )
    design = {
        "target_model": "cosyvoice-v3.5-plus",
        "prefix": "d",
        "voice_prompt": "A calm voice.",
        "preview_text": "Hello.",
    }
    assert await enroll.fails("create_voice", **design) == message
    await enroll.clone(good_url, key=OTHER_KEY)  # another key has its own quota
    await enroll.ok("delete_voice", voice_id=first)
    await enroll.ok("create_voice", **design)
    assert len(emulator.voices(TEST_API_KEY)) == 2


async def test_default_quota_is_1000(
    emulator: DashScopeEmulator, enroll: Enroll, good_url: str
) -> None:
    assert emulator.config.max_voices == 1000
    for _ in range(999):
        emulator.add_voice(TEST_API_KEY, "cosyvoice-v2", "bulk")
    await enroll.clone(good_url)
    message = await enroll.fails(
        "create_voice", target_model="cosyvoice-v2", prefix="a", url=good_url
    )
    assert message.startswith("voice quota exceeded: an account may hold at most 1000")


async def test_intl_region(
    emulator: DashScopeEmulator, enroll: Enroll, good_url: str
) -> None:
    emulator.config.region = "intl"
    await enroll.clone(good_url, "cosyvoice-v2")
    for model in ("cosyvoice-v3-flash", "cosyvoice-v3-plus", "cosyvoice-v3.5-plus"):
        message = await enroll.fails(
            "create_voice", target_model=model, prefix="a", url=good_url
        )
        assert message == (
            f"target_model {model} does not support voice cloning in this region; "
            "only cosyvoice-v2 does"
        )
    for model in ("cosyvoice-v3-flash", "cosyvoice-v3.5-flash", "cosyvoice-v2"):
        message = await enroll.fails(
            "create_voice",
            target_model=model,
            prefix="a",
            voice_prompt="A calm voice.",
            preview_text="Hello.",
        )
        assert message == "voice design is not available in this region"


# --- design ---------------------------------------------------------------


async def test_design_voice(emulator: DashScopeEmulator, enroll: Enroll) -> None:
    preview_text = "Hello there."
    output = await enroll.ok(
        "create_voice",
        target_model="cosyvoice-v3.5-plus",
        prefix="calm",
        voice_prompt="A calm, low female voice.",
        preview_text=preview_text,
        language_hints=["en"],
    )
    assert set(output) == {"voice_id", "target_model", "preview_audio"}
    voice_id = output["voice_id"]
    assert re.fullmatch(rf"cosyvoice-v3\.5-plus-vd-calm-{HEX32}", voice_id)
    assert output["target_model"] == "cosyvoice-v3.5-plus"
    preview = output["preview_audio"]
    assert set(preview) == {"data", "sample_rate", "response_format"}
    assert (preview["sample_rate"], preview["response_format"]) == (24000, "wav")
    audio = base64.b64decode(preview["data"], validate=True)
    with wave.open(io.BytesIO(audio)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (
            24000,
            1,
            2,
        )
        assert wav.getnframes() == round(
            billed_characters(preview_text) * MS_PER_CHAR * 24
        )

    details = await enroll.query(voice_id)
    assert details["resource_link"] == ""
    assert details["target_model"] == "cosyvoice-v3.5-plus"
    assert details["status"] == "OK"
    [record] = emulator.voices(TEST_API_KEY)
    assert (record.prompt, record.preview_text, record.url, record.designed) == (
        "A calm, low female voice.",
        preview_text,
        "",
        True,
    )
    message = await enroll.fails(
        "update_voice", voice_id=voice_id, url="http://127.0.0.1:9/x.wav"
    )
    assert message == (
        f"voice {voice_id} was designed from a prompt and has no sample to update"
    )
    assert await enroll.ids() == [voice_id]
    await enroll.ok("delete_voice", voice_id=voice_id)


@pytest.mark.parametrize(
    ("parameters", "rate", "fmt"),
    [
        ({"sample_rate": 16000, "response_format": "mp3"}, 16000, "mp3"),
        ({"sample_rate": 48000, "response_format": "wav"}, 48000, "wav"),
        ({"sample_rate": 8000, "response_format": "pcm"}, 8000, "pcm"),
        ({"response_format": "pcm"}, 24000, "pcm"),
        ({}, 24000, "wav"),
    ],
)
async def test_design_preview_formats(
    enroll: Enroll, parameters: dict[str, Any], rate: int, fmt: str
) -> None:
    text = "你好，欢迎。"  # the preview lasts as long as the billed characters say
    output = await enroll.ok(
        "create_voice",
        target_model="cosyvoice-v3-flash",
        prefix="p",
        voice_prompt="一个温柔的女声。",
        preview_text=text,
        parameters=parameters,
    )
    preview = output["preview_audio"]
    assert (preview["sample_rate"], preview["response_format"]) == (rate, fmt)
    audio = base64.b64decode(preview["data"])
    expected = round(billed_characters(text) * MS_PER_CHAR * rate / 1000)
    if fmt == "pcm":
        assert len(audio) == 2 * expected
    else:
        decoded_rate, count = decode(audio)
        assert decoded_rate == rate
        assert 0 <= count - expected <= (2 * 1152 if fmt == "mp3" else 0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"voice_prompt": ""}, "voice_prompt must be 1-500 characters"),
        ({"voice_prompt": "x" * 501}, "voice_prompt must be 1-500 characters"),
        ({"voice_prompt": 5}, "voice_prompt must be 1-500 characters"),
        ({"voice_prompt": None}, "voice_prompt is required"),
        ({"preview_text": ""}, "preview_text must be 1-200 characters"),
        ({"preview_text": "字" * 201}, "preview_text must be 1-200 characters"),
        ({"preview_text": None}, "preview_text is required"),
        ({"target_model": "cosyvoice-v2"}, "target_model cosyvoice-v2 does not support voice design"),
        ({"target_model": "cosyvoice-v1"}, "target_model cosyvoice-v1 does not support voice design"),
        ({"target_model": None}, "target_model is required"),
        ({"prefix": "Calm"}, PREFIX_RULE),
        ({"language_hints": ["it"]}, "language_hints must be a list holding one of: zh, en, fr, de, ja, ko, ru"),
        ({"parameters": {"sample_rate": 11025}}, "sample_rate must be one of 8000, 12000, 16000, 22050, 24000, 44100, 48000"),
        ({"parameters": {"sample_rate": "24000"}}, "sample_rate must be one of 8000, 12000, 16000, 22050, 24000, 44100, 48000"),
        ({"parameters": {"response_format": "opus"}}, "response_format must be wav, mp3 or pcm"),
        ({"parameters": "wav"}, "parameters must be an object"),
    ],
)  # fmt: skip
async def test_design_limits(
    emulator: DashScopeEmulator, enroll: Enroll, fields: dict[str, Any], message: str
) -> None:
    task_input: dict[str, Any] = {
        "action": "create_voice",
        "target_model": "cosyvoice-v3-plus",
        "prefix": "calm",
        "voice_prompt": "A calm voice.",
        "preview_text": "Hello.",
    }
    parameters = fields.pop("parameters", None)
    task_input.update(fields)  # None goes out as null: the key stays, so a design
    answer = await enroll.post(task_input, parameters=parameters)
    _assert_error(answer, 400, "InvalidParameter", message)
    assert emulator.voices(TEST_API_KEY) == []


@pytest.mark.parametrize(("prompt", "preview"), [("x" * 500, "字" * 200), ("x", "y")])
async def test_design_limits_inclusive(
    enroll: Enroll, prompt: str, preview: str
) -> None:
    await enroll.ok(
        "create_voice",
        target_model="cosyvoice-v3-plus",
        prefix="calm",
        voice_prompt=prompt,
        preview_text=preview,
        parameters={"response_format": "pcm"},
    )


# --- faults ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "code", "message"),
    [
        (Fault.customization(429), 429, "Throttling.RateQuota",
         "Requests rate limit exceeded, please try again later."),
        (Fault.customization(500), 500, "InternalError",
         "An internal error has occured, please try again later."),
        (Fault.customization(503), 503, "ServiceUnavailable",
         "The service is temporarily unavailable."),
        (Fault.customization(400, "Arrearage"), 400, "Arrearage",
         "Request failed: Arrearage."),
    ],
)  # fmt: skip
async def test_customization_faults(
    emulator: DashScopeEmulator,
    enroll: Enroll,
    good_url: str,
    fault: Fault,
    status: int,
    code: str,
    message: str,
) -> None:
    emulator.add_fault(fault, times=2)
    create = {
        "action": "create_voice",
        "target_model": "cosyvoice-v2",
        "prefix": "a",
        "url": good_url,
    }
    for _ in range(2):
        _assert_error(await enroll.post(create), status, code, message)
    assert emulator.voices(TEST_API_KEY) == []
    await enroll.clone(good_url)
    assert emulator.customization_requests == 3


async def test_fault_queues_stay_apart(
    emulator: DashScopeEmulator, enroll: Enroll
) -> None:
    emulator.add_fault(Fault.http(500))
    await enroll.ok("list_voice")  # the synthesis fault is not consumed here
    emulator.add_fault(Fault.customization(500))
    async with enroll.session.post(
        enroll.base + "/services/audio/tts/SpeechSynthesizer",
        json={
            "model": "cosyvoice-v2",
            "input": {"text": "hi", "voice": "longxiaochun_v2"},
        },
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
    ) as response:
        assert response.status == 500  # Fault.http's
    async with enroll.session.post(
        enroll.base + "/services/audio/tts/SpeechSynthesizer",
        json={
            "model": "cosyvoice-v2",
            "input": {"text": "hi", "voice": "longxiaochun_v2"},
        },
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
    ) as response:
        assert response.status == 200
    _assert_error(await enroll.post({"action": "list_voice"}), 500, "InternalError")


async def test_random_faults_hit_enrollment(
    emulator: DashScopeEmulator, enroll: Enroll
) -> None:
    emulator.config.random_fault_rate = 1.0
    emulator.config.random_seed = 7
    answer = await enroll.post({"action": "list_voice"})
    assert answer.status in (429, 500)


async def test_handshake_delay_delays_the_answer(
    emulator: DashScopeEmulator, enroll: Enroll
) -> None:
    emulator.config.handshake_delay = 0.2
    loop = asyncio.get_running_loop()
    start = loop.time()
    await enroll.ok("list_voice")
    assert loop.time() - start >= 0.2


# --- add_voice / voices ------------------------------------------------------


def test_add_voice_shapes(emulator: DashScopeEmulator) -> None:
    clone = emulator.add_voice(TEST_API_KEY, "cosyvoice-v2", "abc")
    designed = emulator.add_voice(
        TEST_API_KEY, "cosyvoice-v3-plus", "abc", designed=True, status="DEPLOYING"
    )
    assert re.fullmatch(rf"cosyvoice-v2-abc-{HEX32}", clone)
    assert re.fullmatch(rf"cosyvoice-v3-plus-vd-abc-{HEX32}", designed)
    records = emulator.voices(TEST_API_KEY)
    assert [(r.voice_id, r.status, r.designed) for r in records] == [
        (clone, "OK", False),
        (designed, "DEPLOYING", True),
    ]
    assert records[0].url.startswith("https://")
    assert records[1].prompt
    with pytest.raises(ValueError, match="status"):
        emulator.add_voice(TEST_API_KEY, "cosyvoice-v2", "abc", status="READY")
    with pytest.raises(ValueError, match="prefix"):
        emulator.add_voice(TEST_API_KEY, "cosyvoice-v2", "Not_OK")


# --- synthesis with custom voices ------------------------------------------------


async def _ws_outcome(
    emulator: DashScopeEmulator, model: str, voice: str, key: str = TEST_API_KEY
) -> tuple[str, str | None]:
    """(event, error message) of a task started with ``voice``; audio on success."""
    async with open_ws(emulator.ws_url, key) as wire:
        await wire.run_task(model=model, voice=voice)
        first = await wire.recv()
        assert isinstance(first, dict)
        header = first["header"]
        if header["event"] == "task-failed":
            return "task-failed", header["error_message"]
        await wire.continue_task("你好。")
        await wire.finish_task()
        result = await wire.collect()
        assert result.audio
        return result.last["header"]["event"], None


async def test_websocket_custom_voices(
    emulator: DashScopeEmulator, enroll: Enroll, good_url: str
) -> None:
    ok = await enroll.clone(good_url, "cosyvoice-v3-flash")
    assert await _ws_outcome(emulator, "cosyvoice-v3-flash", ok) == (
        "task-finished",
        None,
    )
    designed = emulator.add_voice(
        TEST_API_KEY, "cosyvoice-v3.5-plus", "calm", designed=True
    )
    assert (await _ws_outcome(emulator, "cosyvoice-v3.5-plus", designed))[1] is None
    # Another model, another key, a deleted voice: the 418 of a wrong voice.
    assert await _ws_outcome(emulator, "cosyvoice-v3-plus", ok) == (
        "task-failed",
        MISMATCH_WS,
    )
    assert await _ws_outcome(emulator, "cosyvoice-v3-flash", ok, OTHER_KEY) == (
        "task-failed",
        MISMATCH_WS,
    )
    made_up = "cosyvoice-v3-flash-myvoice-" + "0" * 32
    assert (await _ws_outcome(emulator, "cosyvoice-v3-flash", made_up))[1] == (
        MISMATCH_WS
    )
    await enroll.ok("delete_voice", voice_id=ok)
    assert (await _ws_outcome(emulator, "cosyvoice-v3-flash", ok))[1] == MISMATCH_WS


@pytest.mark.parametrize("status", ["DEPLOYING", "UNDEPLOYED"])
async def test_websocket_voice_not_ready(
    emulator: DashScopeEmulator, status: str
) -> None:
    voice = emulator.add_voice(TEST_API_KEY, "cosyvoice-v2", "wait", status=status)
    assert await _ws_outcome(emulator, "cosyvoice-v2", voice) == (
        "task-failed",
        f"voice {voice} is not ready (status {status})",
    )
    record = emulator.tasks[-1]
    assert (record.state, record.error_code) == ("failed", "InvalidParameter")


async def test_websocket_voice_usable_once_deployed(
    emulator: DashScopeEmulator, enroll: Enroll, good_url: str
) -> None:
    emulator.config.voice_deploy_seconds = 0.3
    voice = await enroll.clone(good_url, "cosyvoice-v2")
    message = (await _ws_outcome(emulator, "cosyvoice-v2", voice))[1]
    assert message == f"voice {voice} is not ready (status DEPLOYING)"
    await asyncio.sleep(0.35)
    assert (await _ws_outcome(emulator, "cosyvoice-v2", voice))[1] is None


async def _http_synthesis(
    enroll: Enroll, model: str, voice: str, key: str = TEST_API_KEY
) -> Answer:
    body = {
        "model": model,
        "input": {
            "text": "你好。",
            "voice": voice,
            "format": "pcm",
            "sample_rate": 16000,
        },
    }
    async with enroll.session.post(
        enroll.base + "/services/audio/tts/SpeechSynthesizer",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    ) as response:
        return Answer(response.status, response.headers, await response.read())


async def test_http_custom_voices(
    emulator: DashScopeEmulator, enroll: Enroll, good_url: str
) -> None:
    ok = await enroll.clone(good_url, "cosyvoice-v3.5-flash")
    answer = await _http_synthesis(enroll, "cosyvoice-v3.5-flash", ok)
    assert answer.status == 200, answer.raw
    assert answer.json["output"]["audio"]["url"]
    for model, key in (
        ("cosyvoice-v3.5-plus", TEST_API_KEY),
        ("cosyvoice-v3.5-flash", OTHER_KEY),
    ):
        answer = await _http_synthesis(enroll, model, ok, key)
        _assert_error(answer, 400, "InvalidParameter", MISMATCH_HTTP)
    deploying = emulator.add_voice(
        TEST_API_KEY, "cosyvoice-v3.5-flash", "wait", status="DEPLOYING"
    )
    answer = await _http_synthesis(enroll, "cosyvoice-v3.5-flash", deploying)
    _assert_error(
        answer,
        400,
        "InvalidParameter",
        f"voice {deploying} is not ready (status DEPLOYING)",
    )
    record = emulator.tasks[-1]
    assert (record.api, record.state) == ("http", "failed")


# --- the official SDK ----------------------------------------------------------


@pytest.mark.sdk
async def test_official_sdk_enrollment(
    emulator: DashScopeEmulator,
    samples: SampleServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dashscope, "base_http_api_url", emulator.http_url)
    service = VoiceEnrollmentService(api_key=TEST_API_KEY)
    url = samples.url("sdk.wav", wav_sample())
    voice_id = await asyncio.to_thread(
        service.create_voice, "cosyvoice-v3-plus", "sdk", url
    )
    assert re.fullmatch(rf"cosyvoice-v3-plus-sdk-{HEX32}", voice_id)
    listed = await asyncio.to_thread(service.list_voices, "sdk")
    assert [v["voice_id"] for v in listed] == [voice_id]
    details = await asyncio.to_thread(service.query_voice, voice_id)
    assert details["status"] == "OK"
    await asyncio.to_thread(service.update_voice, voice_id, url)
    await asyncio.to_thread(service.delete_voice, voice_id)
    with pytest.raises(VoiceEnrollmentException, match="does not exist"):
        await asyncio.to_thread(service.query_voice, voice_id)
    with pytest.raises(VoiceEnrollmentException, match="Status Code: 400"):
        await asyncio.to_thread(service.create_voice, "cosyvoice-v1", "sdk", url)
