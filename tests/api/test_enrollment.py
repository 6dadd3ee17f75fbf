"""Voice enrollment against the emulator: make, list, change and delete own voices."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.cosyvoice.api import (
    REGION_INTL,
    AuthenticationError,
    CosyVoiceClient,
    Endpoint,
    InvalidOptionError,
    InvalidRequestError,
    InvalidVoiceSampleError,
    ProtocolError,
    RateLimitedError,
    ServiceUnavailableError,
    SynthesisOptions,
    VoiceEnrollment,
    VoiceNotFoundError,
    VoiceNotReadyError,
    VoiceRefusedError,
)
from custom_components.cosyvoice.api.enrollment import _preview
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY
from tests.strategies import json_values
from tests.voice_samples import mp3_sample, wav_sample

MODEL = "cosyvoice-v3.5-plus"


def _enrollment(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator, key: str = TEST_API_KEY
) -> VoiceEnrollment:
    return VoiceEnrollment(
        session,
        key,
        Endpoint.custom(emulator.ws_url, emulator.http_url),
        timeout=5.0,
        user_agent="test",
    )


@pytest.fixture
def voices(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> VoiceEnrollment:
    """The enrollment API of the test key."""
    return _enrollment(session, emulator)


@pytest.fixture
async def speaker(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> AsyncIterator[CosyVoiceClient]:
    """A client that speaks over both APIs of the emulator."""
    client = CosyVoiceClient(
        session, TEST_API_KEY, Endpoint.custom(emulator.ws_url, emulator.http_url)
    )
    yield client
    await client.close()


async def test_design_answers_a_spoken_preview_and_the_voice_speaks(
    voices: VoiceEnrollment, speaker: CosyVoiceClient
) -> None:
    designed = await voices.design(
        MODEL,
        "calm",
        description="A calm, warm middle-aged female voice, speaking slowly.",
        preview_text="晚上好，欢迎回家。",
    )
    assert designed.voice.model == MODEL
    assert designed.voice.name == "calm"
    assert designed.voice.designed
    assert designed.preview[:4] == b"RIFF"
    assert designed.preview_format == "wav"
    ready = await voices.wait_until_ready(designed.voice.voice_id, interval=0.05)
    assert ready.ready
    result = await speaker.synthesize(
        "你好。", SynthesisOptions(model=MODEL, voice=ready.voice_id)
    )
    assert result.audio


async def test_clone_from_bytes_uploads_then_enrolls(
    voices: VoiceEnrollment, emulator: DashScopeEmulator
) -> None:
    voice = await voices.clone(MODEL, "grandma", sample=wav_sample(8.0))
    assert voice.status == "DEPLOYING"
    assert voice.name == "grandma"
    (stored,) = emulator.voices(TEST_API_KEY)
    assert stored.voice_id == voice.voice_id
    assert stored.url.startswith("oss://")


async def test_clone_from_a_public_url(
    voices: VoiceEnrollment,
    emulator: DashScopeEmulator,
    serve_sample: str,
) -> None:
    voice = await voices.clone("cosyvoice-v2", "dad", url=serve_sample, language="zh")
    (stored,) = emulator.voices(TEST_API_KEY)
    assert (stored.voice_id, stored.url) == (voice.voice_id, serve_sample)


@pytest.fixture
async def serve_sample(socket_enabled: None) -> AsyncIterator[str]:
    """A public URL that serves a good MP3 sample."""
    app = aiohttp.web.Application()
    data = mp3_sample(10.0)

    async def sample(request: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.Response(body=data, content_type="audio/mpeg")

    app.router.add_get("/dad.mp3", sample)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/dad.mp3"
    await runner.cleanup()


async def test_list_reads_every_page_and_filters_by_model(
    voices: VoiceEnrollment, emulator: DashScopeEmulator
) -> None:
    made = {
        emulator.add_voice(TEST_API_KEY, MODEL if i % 3 else "cosyvoice-v2", f"v{i}")
        for i in range(230)
    }
    listed = await voices.list_voices()
    assert {v.voice_id for v in listed} == made
    ours = await voices.list_voices(MODEL)
    assert {v.model for v in ours} == {MODEL}
    assert len(ours) == len([i for i in range(230) if i % 3])


async def test_list_reads_at_most_twenty_pages(
    voices: VoiceEnrollment, emulator: DashScopeEmulator
) -> None:
    # Twice the service's 1000 voices an account: a listing that never ends is bounded.
    for i in range(2050):
        emulator.add_voice(TEST_API_KEY, MODEL, f"v{i}")
    listed = await voices.list_voices()
    assert len(listed) == 2000
    assert emulator.customization_requests == 20


async def test_design_names_the_language_of_its_preview(
    voices: VoiceEnrollment, emulator: DashScopeEmulator
) -> None:
    await voices.design(
        MODEL,
        "anna",
        description="A bright young female voice.",
        preview_text="Good evening, welcome home.",
        language="en-US",
    )
    (stored,) = emulator.voices(TEST_API_KEY)
    assert stored.language_hints == ["en"]


async def test_voices_belong_to_their_key(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> None:
    emulator.config.api_keys.add("sk-other")
    emulator.add_voice("sk-other", MODEL, "theirs")
    assert await _enrollment(session, emulator).list_voices() == []


async def test_get_update_and_delete(
    voices: VoiceEnrollment, emulator: DashScopeEmulator
) -> None:
    voice_id = emulator.add_voice(TEST_API_KEY, MODEL, "mine")
    voice = await voices.get_voice(voice_id)
    assert (voice.status, voice.model, voice.name) == ("OK", MODEL, "mine")
    emulator.config.voice_deploy_seconds = 60
    await voices.update(voice_id, sample=wav_sample(9.0))
    assert (await voices.get_voice(voice_id)).status == "DEPLOYING"
    await voices.delete(voice_id)
    with pytest.raises(VoiceNotFoundError):
        await voices.get_voice(voice_id)
    with pytest.raises(VoiceNotFoundError):
        await voices.delete(voice_id)


async def test_waiting_is_bounded_and_a_rejection_is_said(
    voices: VoiceEnrollment, emulator: DashScopeEmulator
) -> None:
    emulator.config.voice_deploy_seconds = 60
    voice = await voices.clone(MODEL, "slow", sample=wav_sample(8.0))
    with pytest.raises(VoiceNotReadyError, match="still DEPLOYING") as raised:
        await voices.wait_until_ready(voice.voice_id, timeout=0.2, interval=0.05)
    assert raised.value.status == "DEPLOYING"

    emulator.config.voice_deploy_seconds = 0
    emulator.add_fault(Fault.voice_rejected())
    voice = await voices.clone(MODEL, "noisy", sample=wav_sample(8.0))
    with pytest.raises(VoiceNotReadyError, match="rejected"):
        await voices.wait_until_ready(voice.voice_id, timeout=5, interval=0.05)


async def test_a_voice_speaks_only_with_its_model_and_once_ready(
    voices: VoiceEnrollment, emulator: DashScopeEmulator, speaker: CosyVoiceClient
) -> None:
    emulator.config.voice_deploy_seconds = 60
    voice = await voices.clone(MODEL, "notyet", sample=wav_sample(8.0))
    with pytest.raises(InvalidRequestError, match="not ready"):
        await speaker.synthesize(
            "你好。", SynthesisOptions(model=MODEL, voice=voice.voice_id)
        )
    other = "cosyvoice-v3.5-flash"
    unknown = f"{other}-{voice.name}-0a1b2c"  # well formed, never made
    with pytest.raises(InvalidRequestError, match="418"):
        await speaker.synthesize("你好。", SynthesisOptions(model=other, voice=unknown))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ({"name": "Grandma"}, InvalidOptionError),
        ({"name": "abcdefghijk"}, InvalidOptionError),
        ({"model": "cosyvoice-v1"}, InvalidOptionError),
        ({"model": "qwen-audio-3.0-tts-flash"}, InvalidOptionError),
        ({"sample": wav_sample(3.0)}, InvalidVoiceSampleError),
        ({"sample": wav_sample(8.0, 8000)}, InvalidVoiceSampleError),
        ({"sample": wav_sample(8.0, silent=True)}, InvalidVoiceSampleError),
        ({"sample": b"not audio at all"}, InvalidVoiceSampleError),
        ({"language": "es"}, InvalidOptionError),
        ({"sample": None}, InvalidOptionError),  # no sample at all
        ({"url": "https://example.com/a.wav"}, InvalidOptionError),  # two samples
        ({"sample": None, "url": "ftp://example.com/a.wav"}, InvalidOptionError),
        ({"sample": None, "url": "/config/www/a.wav"}, InvalidOptionError),
    ],
)
async def test_bad_clones_fail_before_anything_is_sent(
    voices: VoiceEnrollment,
    emulator: DashScopeEmulator,
    call: dict[str, object],
    error: type[Exception],
) -> None:
    request: dict[str, object] = {
        "model": MODEL,
        "name": "grandma",
        "sample": wav_sample(8.0),
        **call,
    }
    with pytest.raises(error):
        await voices.clone(
            str(request.pop("model")),
            str(request.pop("name")),
            **request,  # type: ignore[arg-type]
        )
    assert emulator.customization_requests == 0
    assert emulator.voices(TEST_API_KEY) == []


async def test_an_unreachable_sample_url_is_refused_by_the_service(
    voices: VoiceEnrollment,
) -> None:
    with pytest.raises(VoiceRefusedError):
        await voices.clone(MODEL, "gone", url="http://127.0.0.1:9/none.wav")


@pytest.mark.parametrize(
    ("design", "model"), [(True, "cosyvoice-v3-flash"), (False, "cosyvoice-v3-plus")]
)
async def test_the_international_region_refuses_before_sending(
    session: aiohttp.ClientSession,
    emulator: DashScopeEmulator,
    design: bool,
    model: str,
) -> None:
    intl = VoiceEnrollment(
        session,
        TEST_API_KEY,
        Endpoint(REGION_INTL, emulator.ws_url, emulator.http_url),
        timeout=5.0,
        user_agent="test",
    )
    with pytest.raises(InvalidOptionError, match="International"):
        if design:
            await intl.design(model, "x", description="calm", preview_text="hi")
        else:
            await intl.clone(model, "x", sample=wav_sample(8.0))
    assert emulator.customization_requests == 0


async def test_a_full_account_is_refused_with_the_services_reason(
    voices: VoiceEnrollment, emulator: DashScopeEmulator
) -> None:
    emulator.config.max_voices = 1
    emulator.add_voice(TEST_API_KEY, MODEL, "first")
    with pytest.raises(VoiceRefusedError) as raised:
        await voices.clone(MODEL, "second", sample=wav_sample(8.0))
    assert raised.value.caller_error


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.customization(429), RateLimitedError),
        (Fault.customization(500), ServiceUnavailableError),
        (Fault.customization(401), AuthenticationError),
    ],
)
async def test_service_faults_are_typed(
    voices: VoiceEnrollment,
    emulator: DashScopeEmulator,
    fault: Fault,
    error: type[Exception],
) -> None:
    emulator.add_fault(fault)
    with pytest.raises(error):
        await voices.list_voices()


async def test_a_design_prompt_too_long_fails_before_sending(
    voices: VoiceEnrollment, emulator: DashScopeEmulator
) -> None:
    with pytest.raises(InvalidOptionError, match="description"):
        await voices.design(MODEL, "long", description="x" * 501, preview_text="hi")
    with pytest.raises(InvalidOptionError, match="preview_text"):
        await voices.design(MODEL, "long", description="calm", preview_text="")
    assert emulator.customization_requests == 0


async def test_no_key_in_any_message(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> None:
    key = "sk-not-accepted-0123456789"
    with pytest.raises(AuthenticationError) as raised:
        await _enrollment(session, emulator, key).list_voices()
    assert key not in str(raised.value)


_previews = st.fixed_dictionaries(
    {},
    optional={
        "data": st.binary(max_size=32).map(lambda b: base64.b64encode(b).decode())
        | json_values,
        "sample_rate": st.sampled_from([24000, "24000"]) | json_values,
        "response_format": st.just("wav") | json_values,
    },
)


@given(
    st.fixed_dictionaries({}, optional={"preview_audio": _previews | json_values})
    | st.dictionaries(st.text(max_size=8), json_values, max_size=3)
)
@example({"preview_audio": "abc"})  # found by fuzzing: AttributeError
@example({"preview_audio": {"data": 5}})  # found by fuzzing: TypeError
@example({"preview_audio": {"data": "abc"}})  # base64 without its padding
@example({"preview_audio": {"sample_rate": "fast"}})  # found by fuzzing: ValueError
@example({"preview_audio": {"sample_rate": float("inf")}})  # OverflowError
def test_any_design_answer_gives_a_preview_or_a_protocol_error(
    output: dict[str, Any],
) -> None:
    """A design answer's preview is audio, a format and a whole rate, or a ProtocolError."""
    try:
        audio, audio_format, rate = _preview(output, "wav", 24000)
    except ProtocolError:
        return
    assert isinstance(audio, bytes)
    assert isinstance(audio_format, str)
    assert type(rate) is int
