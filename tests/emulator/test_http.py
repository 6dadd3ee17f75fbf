"""The HTTP SpeechSynthesizer API (protocol doc §7.1): one-shot, SSE, errors, faults."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import signal
import sys
import time
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import dashscope
import pytest
from dashscope.audio.http_tts import HttpSpeechSynthesizer
from multidict import CIMultiDictProxy
from websockets.exceptions import InvalidStatus

from devtools.emulator import DashScopeEmulator, EmulatorConfig, Fault
from devtools.emulator.__main__ import build_config, http_port, parse_args
from tests.conftest import TEST_API_KEY

from .wire import decode, open_ws, opus_input_rate

ROOT = Path(__file__).parents[2]
TEXT = "今天天气怎么样？Hello world."  # sentences of 15 and 12 billed characters
BILLED = 27
MS_PER_CHAR = 20.0  # the emulator fixture's setting
TTS_PATH = "/services/audio/tts/SpeechSynthesizer"
URL_ERROR = "url error, please check url！"
CONTENT_TYPES = {
    "pcm": "application/octet-stream",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
}


def _expected_samples(rate: int, speech_rate: float = 1.0, billed: int = BILLED) -> int:
    return round(billed * MS_PER_CHAR / speech_rate * rate / 1000)


def _body(
    text: str | None = TEXT, model: str = "cosyvoice-v3-flash", **options: Any
) -> dict[str, Any]:
    task_input: dict[str, Any] = {
        "voice": "longanyang",
        "format": "pcm",
        "sample_rate": 22050,
    }
    if text is not None:
        task_input["text"] = text
    task_input.update(options)
    return {"model": model, "input": task_input}


@dataclass
class Answer:
    """One HTTP answer, read whole; header names are looked up case-insensitively."""

    status: int
    headers: CIMultiDictProxy[str]
    raw: bytes

    @property
    def json(self) -> dict[str, Any]:
        assert self.headers["Content-Type"] == "application/json", self.headers
        body = json.loads(self.raw)
        assert isinstance(body, dict)
        return body


@dataclass
class SseEvent:
    """One event of a DashScope SSE stream, every field kept."""

    id: str
    event: str
    comments: list[str]
    status: str | None
    data: dict[str, Any]

    @property
    def output(self) -> dict[str, Any]:
        output = self.data["output"]
        assert isinstance(output, dict)
        return output

    @property
    def chunk(self) -> bytes:
        return base64.b64decode(self.output["audio"]["data"], validate=True)


@dataclass
class SseStream:
    headers: CIMultiDictProxy[str]
    events: list[SseEvent] = field(default_factory=list)

    @property
    def audio(self) -> bytes:
        return b"".join(e.chunk for e in self.events if e.event == "result")

    @property
    def chunks(self) -> list[bytes]:
        return [c for e in self.events if e.event == "result" and (c := e.chunk)]

    def of_type(self, kind: str) -> list[SseEvent]:
        return [e for e in self.events if e.output.get("type") == kind]


def parse_sse(text: str) -> list[SseEvent]:
    """Parse DashScope SSE by hand: blocks split by a blank line, one field a line."""
    assert text.endswith("\n\n"), text[-200:]
    parsed = []
    for block in text.split("\n\n")[:-1]:
        fields: dict[str, str] = {}
        comments: list[str] = []
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith(":"):
                comments.append(line[1:])
                continue
            name, colon, value = line.partition(":")
            assert colon, line
            if name == "data":
                data.append(value)
            else:
                assert name not in fields, block
                fields[name] = value
        assert set(fields) <= {"id", "event", "status"}, block
        parsed.append(
            SseEvent(
                id=fields["id"],
                event=fields["event"],
                comments=comments,
                status=fields.get("status"),
                data=json.loads("\n".join(data)),
            )
        )
    return parsed


class Http:
    """A raw aiohttp client for the emulator's HTTP side."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def post(
        self,
        body: Any,
        *,
        key: str | None = TEST_API_KEY,
        sse: bool = False,
        path: str = TTS_PATH,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            all_headers.setdefault("Authorization", f"Bearer {key}")
        if sse:
            all_headers["X-DashScope-SSE"] = "enable"
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.session.post(
            self.base + path, data=data, headers=all_headers
        ) as response:
            return Answer(response.status, response.headers, await response.read())

    async def synthesize(self, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        answer = await self.post(body, **kwargs)
        assert answer.status == 200, answer.raw
        return answer.json

    async def stream(self, body: dict[str, Any], **kwargs: Any) -> SseStream:
        answer = await self.post(body, sse=True, **kwargs)
        assert answer.status == 200, answer.raw
        assert answer.headers["Content-Type"].startswith("text/event-stream")
        return SseStream(answer.headers, parse_sse(answer.raw.decode()))

    async def get(self, url: str) -> Answer:
        async with self.session.get(url) as response:
            return Answer(response.status, response.headers, await response.read())

    async def download(self, url: str, fmt: str = "pcm") -> bytes:
        answer = await self.get(url)
        assert answer.status == 200, answer.raw
        assert answer.headers["Content-Type"] == CONTENT_TYPES[fmt]
        return answer.raw


@pytest.fixture
async def http(emulator: DashScopeEmulator) -> AsyncIterator[Http]:
    async with aiohttp.ClientSession() as session:
        yield Http(session, emulator.http_url)


def _assert_error(
    answer: Answer, status: int, code: str, message: str | None = None
) -> dict[str, Any]:
    assert answer.status == status, answer.raw
    body = answer.json
    assert set(body) == {"request_id", "code", "message"}
    assert body["code"] == code
    assert answer.headers["x-request-id"] == body["request_id"]
    if message is not None:
        assert body["message"] == message
    return body


# --- one-shot ---------------------------------------------------------------


def test_http_url(emulator: DashScopeEmulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1", emulator.http_url)
    assert emulator.http_url.split(":")[2] != emulator.ws_url.split(":")[2]


async def _check_one_shot(
    emulator: DashScopeEmulator,
    http: Http,
    fmt: str,
    sample_rate: int,
    **options: Any,
) -> bytes:
    before = int(time.time())
    body = await http.synthesize(_body(format=fmt, sample_rate=sample_rate, **options))
    request_id = body["request_id"]
    url = body["output"]["audio"]["url"]
    assert re.fullmatch(
        rf"http://127\.0\.0\.1:\d+/audio/[0-9a-f]+\.{fmt}",
        url,
    )
    assert url.startswith(emulator.http_url.removesuffix("/api/v1") + "/audio/")
    expires_at = body["output"]["audio"]["expires_at"]
    assert body == {
        "request_id": request_id,
        "output": {
            "finish_reason": "stop",
            "audio": {
                "data": "",
                "url": url,
                "id": f"audio_{request_id}",
                "expires_at": expires_at,
            },
        },
        "usage": {"characters": BILLED},
    }
    assert before + 86400 <= expires_at <= int(time.time()) + 86400
    audio = await http.download(url, fmt)
    record = emulator.tasks[-1]
    assert (record.api, record.task_id, record.connection_id) == ("http", request_id, 0)
    assert (record.state, record.error_code) == ("finished", None)
    assert record.frames == [audio]  # one-shot: the whole file is the one frame
    assert record.audio == audio
    assert record.audio_url == url
    assert (record.format, record.sample_rate) == (fmt, sample_rate)
    assert record.texts == [TEXT]
    assert record.characters == BILLED
    return audio


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
async def test_one_shot_pcm(emulator: DashScopeEmulator, http: Http, rate: int) -> None:
    audio = await _check_one_shot(emulator, http, "pcm", rate)
    assert len(audio) == 2 * _expected_samples(rate)


@pytest.mark.parametrize("rate", [8000, 12000, 22050, 48000])
async def test_one_shot_wav_has_true_sizes(
    emulator: DashScopeEmulator, http: Http, rate: int
) -> None:
    audio = await _check_one_shot(emulator, http, "wav", rate)
    assert audio[:4] == b"RIFF"
    assert int.from_bytes(audio[4:8], "little") == len(audio) - 8
    assert audio[36:40] == b"data"
    assert int.from_bytes(audio[40:44], "little") == len(audio) - 44
    with wave.open(io.BytesIO(audio)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (
            rate,
            1,
            2,
        )
        assert wav.getnframes() == _expected_samples(rate)
    assert decode(audio) == (rate, _expected_samples(rate))


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
async def test_one_shot_mp3(emulator: DashScopeEmulator, http: Http, rate: int) -> None:
    audio = await _check_one_shot(emulator, http, "mp3", rate)
    assert audio[0] == 0xFF  # raw MPEG frames, no ID3 tag
    decoded_rate, samples = decode(audio)
    assert decoded_rate == rate
    assert 0 <= samples - _expected_samples(rate) <= 2 * 1152


@pytest.mark.parametrize("rate", [8000, 12000, 16000, 24000, 48000])
async def test_one_shot_opus(
    emulator: DashScopeEmulator, http: Http, rate: int
) -> None:
    audio = await _check_one_shot(emulator, http, "opus", rate, bit_rate=32)
    assert audio[:4] == b"OggS"
    assert opus_input_rate(audio) == rate
    decoded_rate, samples = decode(audio)
    assert abs(samples / decoded_rate - BILLED * MS_PER_CHAR / 1000) <= 0.021


async def test_speech_rate_shortens_audio(
    emulator: DashScopeEmulator, http: Http
) -> None:
    audio = await _check_one_shot(emulator, http, "wav", 16000, rate=2.0)
    with wave.open(io.BytesIO(audio)) as wav:
        assert wav.getnframes() == _expected_samples(16000, 2.0)


@pytest.mark.parametrize("fmt", ["pcm", "wav", "mp3", "opus"])
async def test_same_audio_as_websocket(
    emulator: DashScopeEmulator, http: Http, fmt: str
) -> None:
    """Same text and parameters: the same bytes over both APIs (WAV: header sizes aside)."""
    body = await http.synthesize(_body(format=fmt, sample_rate=24000))
    one_shot = await http.download(body["output"]["audio"]["url"], fmt)
    streamed = await http.stream(_body(format=fmt, sample_rate=24000))
    async with open_ws(emulator.ws_url) as wire:
        ws = await wire.speak(TEXT, format=fmt, sample_rate=24000)
    assert streamed.audio == one_shot
    if fmt == "wav":
        assert one_shot[44:] == ws.audio[44:]
        assert one_shot[:4] == ws.audio[:4]
    else:
        assert one_shot == ws.audio
    assert [t.api for t in emulator.tasks] == ["http", "http", "websocket"]


async def test_options_under_parameters(
    emulator: DashScopeEmulator, http: Http
) -> None:
    body = {
        "model": "cosyvoice-v3-flash",
        "input": {"text": TEXT},
        "parameters": {
            "voice": "longanyang",
            "format": "wav",
            "sample_rate": 16000,
            "rate": 2.0,
        },
    }
    answer = await http.synthesize(body)
    audio = await http.download(answer["output"]["audio"]["url"], "wav")
    with wave.open(io.BytesIO(audio)) as wav:
        assert wav.getframerate() == 16000
        assert wav.getnframes() == _expected_samples(16000, 2.0)
    record = emulator.tasks[-1]
    assert record.parameters == {
        "voice": "longanyang",
        "format": "wav",
        "sample_rate": 16000,
        "rate": 2.0,
    }


async def test_input_wins_over_parameters(
    emulator: DashScopeEmulator, http: Http
) -> None:
    body = _body(format="pcm", sample_rate=8000)
    body["parameters"] = {"format": "mp3", "sample_rate": 48000, "volume": 0, "seed": 7}
    answer = await http.synthesize(body)
    assert answer["output"]["audio"]["url"].endswith(".pcm")
    audio = await http.download(answer["output"]["audio"]["url"])
    assert len(audio) == 2 * _expected_samples(8000)
    assert set(audio) == {0}  # volume 0 from parameters still applies
    record = emulator.tasks[-1]
    assert (record.format, record.sample_rate) == ("pcm", 8000)
    assert record.parameters["seed"] == 7


async def test_ssml_tags_are_not_billed(
    emulator: DashScopeEmulator, http: Http
) -> None:
    text = '<speak rate="1">你好<break time="50ms"/>，世界。</speak>'
    answer = await http.synthesize(_body(text, enable_ssml=True))
    assert answer["usage"]["characters"] == 10
    audio = await http.download(answer["output"]["audio"]["url"])
    assert len(audio) == 2 * _expected_samples(22050, billed=10)
    assert emulator.tasks[-1].texts == [text]


async def test_defaults_mp3_22050_and_other_models(
    emulator: DashScopeEmulator, http: Http
) -> None:
    body = {
        "model": "cosyvoice-v2",
        "input": {"text": "你好。", "voice": "longxiaochun_v2"},
    }
    answer = await http.synthesize(body)
    assert answer["output"]["audio"]["url"].endswith(".mp3")
    assert (emulator.tasks[-1].format, emulator.tasks[-1].sample_rate) == ("mp3", 22050)
    body = {
        "model": "qwen-audio-3.1-tts-flash",
        "input": {"text": "你好。", "voice": "longanhuan_v3.6"},
    }
    assert (await http.synthesize(body))["usage"]["characters"] == 5


async def test_bearer_is_case_insensitive_and_extra_headers_ignored(http: Http) -> None:
    await http.synthesize(
        _body(),
        headers={
            "Authorization": f"bearer {TEST_API_KEY}",
            "X-DashScope-Workspace": "ws-123",
            "X-DashScope-DataInspection": "enable",
        },
    )


async def test_trailing_slash_is_accepted(http: Http) -> None:
    await http.synthesize(_body(), path=TTS_PATH + "/")


# --- SSE --------------------------------------------------------------------


async def test_sse_stream(emulator: DashScopeEmulator, http: Http) -> None:
    stream = await http.stream(_body(format="pcm", sample_rate=16000))
    events = stream.events
    assert stream.headers["Content-Type"] == "text/event-stream;charset=UTF-8"
    assert [e.id for e in events] == [str(i) for i in range(1, len(events) + 1)]
    assert {e.event for e in events} == {"result"}
    assert all(e.comments == ["HTTP_STATUS/200"] for e in events)
    request_id = events[0].data["request_id"]
    assert {e.data["request_id"] for e in events} == {request_id}
    assert stream.headers["x-request-id"] == request_id

    types = [e.output.get("type") for e in events]
    # Per sentence: begin, synthesis…, end; then the final part (no type).
    assert re.fullmatch(
        r"(B (S )+E ){2}F ",
        "".join(
            {
                "sentence-begin": "B ",
                "sentence-synthesis": "S ",
                "sentence-end": "E ",
            }.get(t or "", "F ")
            for t in types
        ),
    ), types
    assert [e.output["finish_reason"] for e in events] == ["null"] * (
        len(events) - 1
    ) + ["stop"]
    for event in events[:-1]:
        audio = event.output["audio"]
        assert audio["id"] == f"audio_{request_id}"
        assert "url" not in audio
        assert event.output["sentence"]["index"] in (0, 1)
    begins = stream.of_type("sentence-begin")
    ends = stream.of_type("sentence-end")
    assert [e.output["original_text"] for e in begins] == [
        "今天天气怎么样？",
        "Hello world.",
    ]
    assert [e.output["original_text"] for e in ends] == [
        "今天天气怎么样？",
        "Hello world.",
    ]
    assert all(e.output["audio"]["data"] == "" for e in begins + ends)
    assert [e.data["usage"]["characters"] for e in begins] == [15, BILLED]
    assert [e.data["usage"]["characters"] for e in ends] == [15, BILLED]
    assert [e.output["sentence"]["index"] for e in begins] == [0, 1]
    # One chunk per 100 ms of audio (chunk_ms), per sentence.
    synthesis = stream.of_type("sentence-synthesis")
    assert all(e.chunk for e in synthesis)
    assert [len(e.chunk) for e in synthesis[:3]] == [3200, 3200, 3200]

    final = events[-1]
    url = final.output["audio"]["url"]
    assert final.data == {
        "request_id": request_id,
        "output": {
            "finish_reason": "stop",
            "audio": {
                "data": "",
                "url": url,
                "id": f"audio_{request_id}",
                "expires_at": final.output["audio"]["expires_at"],
            },
        },
        "usage": {"characters": BILLED},
    }
    downloaded = await http.download(url)
    record = emulator.tasks[-1]
    assert stream.audio == downloaded == record.audio
    assert len(downloaded) == 2 * _expected_samples(16000)
    assert record.frames == stream.chunks
    assert (record.api, record.state, record.characters, record.audio_url) == (
        "http",
        "finished",
        BILLED,
        url,
    )


async def test_sse_wav_header_in_first_chunk_only(http: Http) -> None:
    stream = await http.stream(_body(format="wav", sample_rate=8000))
    chunks = stream.chunks
    assert chunks[0][:4] == b"RIFF"
    assert all(b"RIFF" not in chunk for chunk in chunks[1:])
    audio = stream.audio
    assert (
        int.from_bytes(audio[40:44], "little")
        == len(audio) - 44
        == 2 * _expected_samples(8000)
    )
    assert await http.download(stream.events[-1].output["audio"]["url"], "wav") == audio


@pytest.mark.parametrize("fmt", ["mp3", "opus"])
async def test_sse_encoder_tail_inside_last_sentence(http: Http, fmt: str) -> None:
    stream = await http.stream(_body(format=fmt, sample_rate=24000))
    assert stream.events[-2].output["type"] == "sentence-end"
    assert stream.events[-3].output["type"] == "sentence-synthesis"
    assert stream.events[-3].output["sentence"]["index"] == 1
    audio = stream.audio
    assert await http.download(stream.events[-1].output["audio"]["url"], fmt) == audio
    decoded_rate, samples = decode(audio)
    # mp3 decodes with up to two frames of encoder delay and padding.
    assert -0.021 <= samples / decoded_rate - BILLED * MS_PER_CHAR / 1000 <= 0.1


async def test_sse_word_timestamps(http: Http) -> None:
    stream = await http.stream(_body("你好。Hi!", word_timestamp_enabled=True))
    ends = stream.of_type("sentence-end")
    first, second = (e.output["sentence"]["words"] for e in ends)
    assert [w["text"] for w in first] == ["你", "好", "。"]
    assert first[0] == {
        "text": "你",
        "begin_index": 0,
        "end_index": 1,
        "begin_time": 0,
        "end_time": 40,
    }
    assert second[0]["begin_time"] == 100  # after the 5 billed units of sentence 0
    assert all(
        e.output["sentence"]["words"] == [] for e in stream.of_type("sentence-begin")
    )


async def test_sse_header_is_case_insensitive(http: Http) -> None:
    """``x-dashscope-sse`` is matched case-insensitively, name and value."""
    answer = await http.post(_body(), headers={"x-dashscope-sse": "ENABLE"})
    assert answer.headers["Content-Type"].startswith("text/event-stream")
    answer = await http.post(_body(), headers={"X-DashScope-SSE": "disable"})
    assert answer.headers["Content-Type"] == "application/json"


# --- errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer sk-wrong"},
        {"Authorization": TEST_API_KEY},
        {"Authorization": f"Basic {TEST_API_KEY}"},
    ],
)
async def test_auth_failure(
    emulator: DashScopeEmulator, http: Http, headers: dict[str, str]
) -> None:
    answer = await http.post(_body(), key=None, headers=headers)
    _assert_error(answer, 401, "InvalidApiKey", "Invalid API-key provided.")
    assert emulator.tasks == []
    assert emulator.http_requests == 1


async def test_voice_model_mismatch_is_418(
    emulator: DashScopeEmulator, http: Http
) -> None:
    answer = await http.post(_body(voice="longxiaochun"))  # a v1 voice on v3-flash
    _assert_error(
        answer, 400, "InvalidParameter", "[cosyvoice:]Engine return error code: 418"
    )
    record = emulator.tasks[-1]
    assert (record.api, record.state, record.error_code, record.frames) == (
        "http",
        "failed",
        "InvalidParameter",
        [],
    )


async def test_cloned_voice_for_another_model_is_418(
    emulator: DashScopeEmulator, http: Http
) -> None:
    v2_voice = emulator.add_voice(TEST_API_KEY, "cosyvoice-v2", "myvoice")
    answer = await http.post(_body(voice=v2_voice))
    _assert_error(
        answer, 400, "InvalidParameter", "[cosyvoice:]Engine return error code: 418"
    )
    voice = emulator.add_voice(TEST_API_KEY, "cosyvoice-v3-flash", "myvoice")
    await http.synthesize(_body(voice=voice))


async def test_v1_has_no_http(emulator: DashScopeEmulator, http: Http) -> None:
    for sse in (False, True):
        answer = await http.post(
            _body(model="cosyvoice-v1", voice="longxiaochun"), sse=sse
        )
        _assert_error(answer, 400, "InvalidParameter", URL_ERROR)
    assert emulator.tasks[-1].model == "cosyvoice-v1"


async def test_unknown_model(http: Http) -> None:
    answer = await http.post(_body(model="cosyvoice-v9"))
    _assert_error(answer, 404, "ModelNotFound", "Model not found (cosyvoice-v9)!")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"format": "flac"}, "format"),
        ({"sample_rate": 11025}, "sample_rate"),
        ({"format": "opus", "sample_rate": 44100}, "opus"),
        ({"volume": 101}, "volume"),
        ({"rate": 3}, "rate"),
        ({"voice": ""}, "voice"),
    ],
)
async def test_bad_parameters(
    http: Http, options: dict[str, Any], fragment: str
) -> None:
    answer = await http.post(_body(**options))
    body = _assert_error(answer, 400, "InvalidParameter")
    assert fragment in body["message"]


@pytest.mark.parametrize("text", [None, "", "  \n", "<speak></speak>", 42])
async def test_empty_text(emulator: DashScopeEmulator, http: Http, text: Any) -> None:
    body = _body(None, enable_ssml=True)
    if text is not None:
        body["input"]["text"] = text
    answer = await http.post(body)
    _assert_error(answer, 400, "InvalidParameter", "Parameter invalid: text is null")
    assert emulator.tasks[-1].state == "failed"


async def test_text_too_long(http: Http) -> None:
    answer = await http.post(_body("好" * 10_001))
    body = _assert_error(answer, 400, "InvalidParameter")
    assert body["message"].startswith("Text too long: 20002 characters")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"model": "cosyvoice-v3-flash", "input": {', "InvalidParameter"),
        (b"\xff\xfe", "InvalidParameter"),
        (b"[1, 2]", "InvalidParameter"),
        (b'{"input": {"text": "hi", "voice": "longanyang"}}', "BadRequest.EmptyModel"),
        (b'{"model": "cosyvoice-v3-flash"}', "BadRequest.EmptyInput"),
        (
            b'{"model": "cosyvoice-v3-flash", "input": {"text": "hi", "voice": "longanyang"}, "parameters": 3}',
            "InvalidParameter",
        ),
    ],
)
async def test_bad_body(http: Http, body: bytes, code: str) -> None:
    _assert_error(await http.post(body), 400, code)


async def test_bad_json_makes_no_record(
    emulator: DashScopeEmulator, http: Http
) -> None:
    _assert_error(
        await http.post(b"not json"),
        400,
        "InvalidParameter",
        "Request body is not valid JSON.",
    )
    assert emulator.tasks == []
    assert emulator.http_requests == 1


async def test_wrong_paths(http: Http) -> None:
    _assert_error(
        await http.post(_body(), path="/services/aigc/text-generation/generation"),
        400,
        "InvalidParameter",
        URL_ERROR,
    )
    async with http.session.get(http.base + TTS_PATH) as response:
        assert response.status == 400
        assert (await response.json())["message"] == URL_ERROR


# --- faults, counters, latency -----------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "InvalidApiKey"),
        (403, "AccessDenied"),
        (429, "Throttling.RateQuota"),
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
    ],
)
async def test_http_fault(
    emulator: DashScopeEmulator, http: Http, status: int, code: str
) -> None:
    emulator.add_fault(Fault.http(status))
    body = _assert_error(await http.post(_body()), status, code)
    assert body["message"]
    assert emulator.tasks == []
    await http.synthesize(_body())  # one-shot: the next request is fine
    assert emulator.http_requests == 2


async def test_http_fault_custom_code_times_and_sse(
    emulator: DashScopeEmulator, http: Http
) -> None:
    emulator.add_fault(Fault.http(403, "Arrearage"), times=2)
    _assert_error(await http.post(_body(), sse=True), 403, "Arrearage")
    _assert_error(await http.post(_body()), 403, "Arrearage")
    await http.stream(_body())


async def test_faults_stay_in_their_queues(
    emulator: DashScopeEmulator, http: Http
) -> None:
    emulator.add_fault(Fault.handshake(429))
    emulator.add_fault(Fault.task_failed("InternalError", "boom"))
    emulator.add_fault(Fault.audio_url(403))
    answer = await http.synthesize(_body())  # no HTTP fault queued: served
    emulator.add_fault(Fault.http(500))
    with pytest.raises(InvalidStatus) as rejected:
        async with open_ws(emulator.ws_url):
            pass
    assert rejected.value.response.status_code == 429
    async with open_ws(emulator.ws_url) as wire:
        await wire.run_task()
        failed = await wire.recv()
    assert isinstance(failed, dict)
    assert failed["header"]["error_message"] == "boom"
    assert (await http.get(answer["output"]["audio"]["url"])).status == 403
    _assert_error(await http.post(_body()), 500, "InternalError")
    await http.synthesize(_body())


async def test_random_http_faults(emulator: DashScopeEmulator, http: Http) -> None:
    emulator.config.random_fault_rate = 1.0
    emulator.config.random_seed = 7
    statuses = {(await http.post(_body())).status for _ in range(12)}
    assert statuses == {429, 500}
    emulator.config.random_fault_rate = 0.0
    await http.synthesize(_body())


async def test_audio_url_fault_then_success(
    emulator: DashScopeEmulator, http: Http
) -> None:
    url = (await http.synthesize(_body(format="mp3")))["output"]["audio"]["url"]
    emulator.add_fault(Fault.audio_url(403))
    emulator.add_fault(Fault.audio_url(500, "SlowDown"))
    denied = await http.get(url)
    assert denied.status == 403
    assert denied.headers["Content-Type"] == "application/xml"
    assert b"<Code>AccessDenied</Code>" in denied.raw
    failed = await http.get(url)
    assert failed.status == 500
    assert b"<Code>SlowDown</Code>" in failed.raw
    assert emulator.audio_downloads == 0
    assert await http.download(url, "mp3") == emulator.tasks[-1].audio
    assert emulator.audio_downloads == 1


async def test_unknown_audio_id(emulator: DashScopeEmulator, http: Http) -> None:
    url = (await http.synthesize(_body()))["output"]["audio"]["url"]
    origin = url.split("/audio/")[0]
    for bad in (
        "/audio/0123456789abcdef.pcm",
        url.removesuffix(".pcm") + ".mp3",
        "/audio/",
    ):
        answer = await http.get(bad if bad.startswith("http") else origin + bad)
        assert answer.status == 404, bad
    answer = await http.get(origin + "/audio/nothing.wav")
    assert b"<Code>NoSuchKey</Code>" in answer.raw
    assert emulator.audio_downloads == 0


async def test_records_and_counters(emulator: DashScopeEmulator, http: Http) -> None:
    assert (emulator.http_requests, emulator.audio_downloads) == (0, 0)
    async with open_ws(emulator.ws_url) as wire:
        await wire.speak("你好。")
    one_shot = await http.synthesize(_body("一。"))
    await http.stream(_body("二。"))
    _assert_error(await http.post(_body(), key="sk-nope"), 401, "InvalidApiKey")
    _assert_error(await http.post(_body(voice="nobody")), 400, "InvalidParameter")
    await http.download(one_shot["output"]["audio"]["url"])
    await http.download(one_shot["output"]["audio"]["url"])
    assert [(t.api, t.connection_id, t.state) for t in emulator.tasks] == [
        ("websocket", 1, "finished"),
        ("http", 0, "finished"),
        ("http", 0, "finished"),
        ("http", 0, "failed"),
    ]
    assert [t.texts for t in emulator.tasks] == [["你好。"], ["一。"], ["二。"], []]
    assert emulator.tasks[1].task_id == one_shot["request_id"]
    assert (emulator.http_requests, emulator.audio_downloads) == (4, 2)
    assert emulator.connections_opened == 1


async def test_handshake_and_first_audio_delays(
    emulator: DashScopeEmulator, http: Http
) -> None:
    loop = asyncio.get_running_loop()
    emulator.config.handshake_delay = 0.3
    started = loop.time()
    _assert_error(await http.post(_body(), key="sk-nope"), 401, "InvalidApiKey")
    assert loop.time() - started >= 0.3
    emulator.config.handshake_delay = 0
    emulator.config.first_audio_delay = 0.3
    started = loop.time()
    await http.synthesize(_body())
    assert loop.time() - started >= 0.3


async def test_sse_realtime_pacing(emulator: DashScopeEmulator, http: Http) -> None:
    emulator.config.realtime_factor = 1.0
    emulator.config.first_audio_delay = 0.1
    async with http.session.post(
        http.base + TTS_PATH,
        json=_body(),
        headers={
            "Authorization": f"Bearer {TEST_API_KEY}",
            "X-DashScope-SSE": "enable",
        },
    ) as response:
        loop = asyncio.get_running_loop()
        started = loop.time()
        arrivals = []
        async for line in response.content:
            if line.startswith(b"data:") and b'"sentence-synthesis"' in line:
                arrivals.append(loop.time() - started)
    # 540 ms of audio in 100 ms chunks: the first chunk after the 0.1 s delay,
    # each later one paced by its own length (440 ms in all).
    assert arrivals[0] >= 0.09
    assert arrivals[-1] - arrivals[0] >= 0.44 - 0.05


async def test_synthesis_crash(
    emulator: DashScopeEmulator, http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr("devtools.emulator.http_server.make_encoder", broken)
    _assert_error(await http.post(_body()), 500, "InternalError")
    assert (emulator.tasks[-1].state, emulator.tasks[-1].error_code) == (
        "failed",
        "InternalError",
    )
    stream = await http.stream(_body())
    error = stream.events[-1]
    assert (error.event, error.status, error.comments) == (
        "error",
        "500",
        ["HTTP_STATUS/500"],
    )
    assert error.data["code"] == "InternalError"
    assert error.data["request_id"] == stream.events[-1].data["request_id"]
    assert emulator.tasks[-1].state == "failed"


async def test_client_leaving_mid_stream_cancels(
    emulator: DashScopeEmulator, http: Http
) -> None:
    emulator.config.realtime_factor = 1.0
    async with http.session.post(
        http.base + TTS_PATH,
        json=_body("说了一半就断开。" * 5),
        headers={
            "Authorization": f"Bearer {TEST_API_KEY}",
            "X-DashScope-SSE": "enable",
        },
    ) as response:
        async for line in response.content:
            if b'"sentence-synthesis"' in line:
                break
        response.close()
    async with asyncio.timeout(3):
        while emulator.tasks[-1].state == "running":
            await asyncio.sleep(0.02)
    record = emulator.tasks[-1]
    assert record.state == "cancelled"
    assert record.audio_url is None
    assert 1 <= len(record.frames) < 10


async def test_stop_leaves_nothing_behind() -> None:
    emulator = DashScopeEmulator(
        EmulatorConfig(api_keys={TEST_API_KEY}, ms_per_char=20, realtime_factor=1.0)
    )
    await emulator.start()
    before = asyncio.all_tasks()
    async with aiohttp.ClientSession() as session:
        http = Http(session, emulator.http_url)
        one_shot = await http.synthesize(_body("你好。"))
        url = one_shot["output"]["audio"]["url"]
        emulator.config.handshake_delay = 30  # a POST stuck in its delay
        stuck = asyncio.create_task(http.post(_body()))
        async with asyncio.timeout(2):
            while emulator.http_requests < 2:
                await asyncio.sleep(0.01)
        emulator.config.handshake_delay = 0
        async with session.post(
            http.base + TTS_PATH,
            json=_body("这句话要说很久很久很久。" * 10),
            headers={
                "Authorization": f"Bearer {TEST_API_KEY}",
                "X-DashScope-SSE": "enable",
            },
        ) as streaming:
            async for line in streaming.content:
                if b'"sentence-synthesis"' in line:
                    break
            started = asyncio.get_running_loop().time()
            await emulator.stop()
            assert asyncio.get_running_loop().time() - started < 3
            rest = await streaming.content.read()
        assert b'"finish_reason":"stop"' not in rest
        answer = await stuck
        _assert_error(answer, 503, "ServiceUnavailable")
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(url)
    assert asyncio.all_tasks() <= before
    assert [t.state for t in emulator.tasks] == ["finished", "cancelled"]
    await emulator.stop()  # idempotent
    # And it starts again, on fresh ports.
    await emulator.start()
    try:
        assert emulator.http_url.startswith("http://127.0.0.1:")
    finally:
        await emulator.stop()


# --- the official SDK and the command line -----------------------------------


def _sdk_call(**kwargs: Any) -> Any:
    """``HttpSpeechSynthesizer.call`` (its result type depends on ``stream``)."""
    return HttpSpeechSynthesizer.call(**kwargs)


@pytest.mark.sdk
async def test_official_sdk_1x(emulator: DashScopeEmulator) -> None:
    result = await asyncio.to_thread(
        _sdk_call,
        model="cosyvoice-v3-flash",
        text=TEXT,
        voice="longanyang",
        api_key=TEST_API_KEY,
        url=emulator.http_url,
    )
    assert result.status_code == 200
    assert result.usage == {"characters": BILLED}
    assert result.request_id == emulator.tasks[-1].task_id
    assert result.audio_url == emulator.tasks[-1].audio_url

    def stream() -> list[Any]:
        return list(
            _sdk_call(
                model="cosyvoice-v3-flash",
                text=TEXT,
                voice="longanyang",
                audio_format="mp3",
                api_key=TEST_API_KEY,
                url=emulator.http_url,
                stream=True,
            )
        )

    parts = await asyncio.to_thread(stream)
    record = emulator.tasks[-1]
    assert parts[-1].audio_data == record.audio
    assert parts[-1].audio_url == record.audio_url
    assert b"".join(p.audio_data for p in parts[:-1]) == record.audio

    failed = await asyncio.to_thread(
        _sdk_call,
        model="cosyvoice-v3-flash",
        text=TEXT,
        voice="longanyang",
        api_key="sk-wrong",
        url=emulator.http_url,
    )
    assert (failed.status_code, failed.code) == (401, "InvalidApiKey")


@pytest.mark.sdk
@pytest.mark.filterwarnings("ignore::FutureWarning")
async def test_official_sdk_v2(emulator: DashScopeEmulator) -> None:
    def run() -> tuple[Any, list[Any], Exception]:
        client = dashscope.Client(
            api_key=TEST_API_KEY, base_url=emulator.http_url, max_retries=0
        )
        try:
            one_shot = client.audio.tts.http.synthesize(
                TEXT,
                model="cosyvoice-v3-flash",
                voice="longanyang",
                format="wav",
                sample_rate=16000,
            )
            chunks = list(
                client.audio.tts.http.stream(
                    TEXT, model="cosyvoice-v2", voice="longxiaochun_v2", format="mp3"
                )
            )
            try:
                client.audio.tts.http.synthesize(
                    TEXT, model="cosyvoice-v3-flash", voice="longxiaochun"
                )
            except Exception as exc:  # noqa: BLE001 - the SDK's own error type
                return one_shot, chunks, exc
            raise AssertionError("418 not raised")
        finally:
            client.close()

    one_shot, chunks, error = await asyncio.to_thread(run)
    first, second, failed = emulator.tasks
    assert one_shot.audio_url == first.audio_url
    assert one_shot.usage == {"characters": BILLED}
    assert chunks[-1].is_final
    assert chunks[-1].audio_url == second.audio_url
    assert b"".join(c.audio or b"" for c in chunks) == second.audio
    assert "418" in str(error)
    assert failed.state == "failed"


def test_cli_http_port() -> None:
    assert http_port(parse_args([])) == 8766
    assert http_port(parse_args(["--port", "0"])) == 0
    assert http_port(parse_args(["--port", "9000", "--http-port", "7000"])) == 7000
    config = build_config(parse_args(["--realistic"]))
    assert (
        config.handshake_delay,
        config.first_audio_delay,
        config.realtime_factor,
    ) == (0.08, 0.15, 1.0)


async def test_cli_prints_both_urls() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devtools.emulator",
        "--port",
        "0",
        "--api-key",
        "sk-cli-secret",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            ws_url = (await process.stdout.readline()).decode().strip()
            http_url = (await process.stdout.readline()).decode().strip()
        assert ws_url.startswith("ws://127.0.0.1:")
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1", http_url)
        async with aiohttp.ClientSession() as session:
            answer = await Http(session, http_url).synthesize(
                _body("你好。"), key="sk-cli-secret"
            )
        assert answer["usage"]["characters"] == 5
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert "http request" in log
    assert "sk-cli-secret" not in log
