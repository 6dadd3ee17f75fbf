"""The TTS entity, used the way media players, actions and pipelines use it."""

from __future__ import annotations

import io
import wave
from http import HTTPStatus
from typing import Any

import pytest
from homeassistant.components import media_source, tts
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.cosyvoice.api import wav_header
from custom_components.cosyvoice.const import DOMAIN
from custom_components.cosyvoice.tts import CosyVoiceTTSEntity
from devtools.emulator import DashScopeEmulator, Fault
from tests.emulator.wire import decode

from .conftest import entry_data, first_profile, set_profile, tts_entity


def _entity(hass: HomeAssistant, entity_id: str) -> CosyVoiceTTSEntity:
    entity = tts.get_engine_instance(hass, entity_id)
    assert isinstance(entity, CosyVoiceTTSEntity)
    return entity


async def _get_url_audio(
    hass_client: ClientSessionGenerator,
    entity_id: str,
    message: str,
    options: dict[str, Any] | None = None,
    language: str | None = None,
) -> tuple[str, int, bytes]:
    """What a media player gets: ask for a URL, then download it."""
    client = await hass_client()
    body: dict[str, Any] = {"engine_id": entity_id, "message": message}
    if options:
        body["options"] = options
    if language:
        body["language"] = language
    response = await client.post("/api/tts_get_url", json=body)
    assert response.status == HTTPStatus.OK, await response.text()
    path = (await response.json())["path"]
    audio = await client.get(path)
    return path, audio.status, await audio.read()


async def _entity_with_options(
    hass: HomeAssistant, emulator: DashScopeEmulator, options: dict[str, Any]
) -> CosyVoiceTTSEntity:
    """The TTS entity of a new emulator entry set up with these options."""
    entry = MockConfigEntry(domain=DOMAIN, data=entry_data(emulator), options=options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return tts_entity(hass, entry)


def _duration(data: bytes) -> float:
    rate, samples = decode(data)
    return samples / rate


async def test_entity_and_device(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_id: str,
    emulator: DashScopeEmulator,
) -> None:
    entry = er.async_get(hass).async_get(entity_id)
    assert entry is not None
    profile = first_profile(loaded_entry)
    assert entry.unique_id == profile.subentry_id
    assert entry.config_subentry_id == profile.subentry_id
    device = dr.async_get(hass).async_get(entry.device_id or "")
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.manufacturer == "Alibaba Cloud"
    # The profile's device and its entity are named as the user named the profile:
    # once, not "CosyVoice CosyVoice", nor after the service.
    assert device.name == profile.title == "CosyVoice"
    entity = _entity(hass, entity_id)
    assert entity.name == "CosyVoice"
    assert not entity.has_entity_name
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.name == "CosyVoice"
    assert entity_id == "tts.cosyvoice"

    assert entity.supported_languages == ["en", "ja", "ko", "zh", "zh-HK"]
    # The test hass speaks English in the US.
    assert entity.default_language == "en"
    # Claimed options are delivered exactly (Home Assistant 2026.11 no longer
    # converts them): of the player's preferences only the format is claimed.
    assert set(entity.supported_options or []) == {
        "voice",
        "model",
        "format",
        "sample_rate",
        "volume",
        "rate",
        "pitch",
        "instruction",
        "clean_text",
        "pronunciations",
        "replacements",
        "language_hints",
        "seed",
        "preferred_format",
    }
    assert entity.default_options == {
        "model": "cosyvoice-v3-flash",
        "voice": "longanyang",
        "format": "mp3",
        "sample_rate": 22050,
        "volume": 50,
        "rate": 1.0,
        "pitch": 1.0,
        "clean_text": True,
        "preferred_format": "mp3",
    }


async def test_default_language_follows_home_assistant(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    hass.config.language = "zh-Hant"
    hass.config.country = "HK"
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert tts_entity(hass, config_entry).default_language == "zh-HK"


async def test_voice_picker(
    hass: HomeAssistant, entity_id: str, hass_ws_client: WebSocketGenerator
) -> None:
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {"type": "tts/engine/voices", "engine_id": entity_id, "language": "zh-CN"}
    )
    response = await client.receive_json()
    assert response["success"]
    voices = response["result"]["voices"]
    # Chinese names for a Chinese request, as Alibaba lists them.
    assert voices[0] == {"voice_id": "longanyang", "name": "龙安洋 · 阳光大男孩"}
    assert len(voices) > 20
    names = {v["name"] for v in voices}
    assert len(names) == len(voices)  # one variant of each voice
    assert "龙安朗 · 清爽利落男" in names
    assert not [name for name in names if name.startswith("Long ")]
    assert {v["voice_id"] for v in voices} >= {"longanlang_v3", "longhuhu_v3"}
    assert "longhuhu" not in {v["voice_id"] for v in voices}
    english = _entity(hass, entity_id).async_get_supported_voices("en-US")
    assert english
    # Romanised for any other language.
    assert english[0].name == "Long Anyang · male, sunny"
    assert all(v.name.replace(" · ", " ").isascii() for v in english)
    assert {v.voice_id for v in english} < {v["voice_id"] for v in voices} | {
        v.voice_id for v in english
    }
    assert _entity(hass, entity_id).async_get_supported_voices("fr") == []


async def test_custom_voice_leads_the_picker(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    model = "cosyvoice-v3.5-flash"
    cloned = f"{model}-myvoice-0a1b2c"
    entity = await _entity_with_options(
        hass, emulator, {"model": model, "voice": cloned}
    )
    voices = entity.async_get_supported_voices("zh-CN")
    assert [v.voice_id for v in voices] == [cloned]
    assert "fr" in entity.supported_languages  # v3.5 speaks the cloning languages


async def test_a_configured_variant_the_picker_hides_leads_it(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    entity = await _entity_with_options(
        hass, emulator, {"model": "cosyvoice-v3-flash", "voice": "longhuhu"}
    )
    voices = entity.async_get_supported_voices("zh")
    assert voices[0].voice_id == "longhuhu"
    assert [v.voice_id for v in voices].count("longhuhu") == 1
    assert "longhuhu_v3" in [v.voice_id for v in voices]
    # It speaks no Japanese: the Japanese list is left as it is.
    assert "longhuhu" not in [
        v.voice_id for v in entity.async_get_supported_voices("ja")
    ]


async def test_tts_speak_plays_the_emulators_mp3(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    calls = async_mock_service(hass, "media_player", "play_media")
    await hass.services.async_call(
        tts.DOMAIN,
        "speak",
        {
            "entity_id": entity_id,
            "media_player_entity_id": "media_player.kitchen",
            "message": "你好，欢迎回家。",
        },
        blocking=True,
    )
    assert len(calls) == 1
    media = await media_source.async_resolve_media(
        hass, calls[0].data["media_content_id"], None
    )
    assert media.url.startswith("/api/tts_proxy/")
    assert media.mime_type == "audio/mpeg"
    client = await hass_client()
    response = await client.get(media.url)
    assert response.status == HTTPStatus.OK
    data = await response.read()

    (task,) = emulator.tasks
    assert task.format == "mp3"
    assert task.sample_rate == 22050
    assert task.parameters["voice"] == "longanyang"
    assert task.texts == ["你好，欢迎回家。"]
    # Served as the emulator made it: no ffmpeg pass in between.
    assert data == task.audio
    # The emulator speaks 20 ms per billed character (conftest).
    assert _duration(data) == pytest.approx(task.characters * 0.020, abs=0.1)


async def test_preferred_wav_is_made_natively(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    path, status, data = await _get_url_audio(
        hass_client, entity_id, "Welcome home.", {"preferred_format": "wav"}
    )
    assert status == HTTPStatus.OK
    assert path.endswith(".wav")
    (task,) = emulator.tasks
    # Streamed WAV: one header of unknown length, then the service's PCM as it came.
    assert task.format == "pcm"
    assert data == wav_header(22050) + task.audio
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getframerate() == 22050
        assert wav.readframes(10**9) == task.audio


async def test_satellite_format_is_converted_by_home_assistant(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    # What an Assist satellite asks for. The rate, channels and sample width are not
    # claimed, so Home Assistant converts what CosyVoice made (the configured rate).
    options = {
        "preferred_format": "wav",
        "preferred_sample_rate": 16000,
        "preferred_sample_channels": 1,
        "preferred_sample_bytes": 2,
    }
    _, status, data = await _get_url_audio(hass_client, entity_id, "Hello.", options)
    assert status == HTTPStatus.OK
    (task,) = emulator.tasks
    assert (task.format, task.sample_rate) == ("pcm", 22050)
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getframerate() == 16000
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2


@pytest.mark.parametrize("preferred", ["ogg", "opus"])
async def test_preferred_ogg_is_made_as_opus(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
    preferred: str,
) -> None:
    path, status, data = await _get_url_audio(
        hass_client, entity_id, "Hello.", {"preferred_format": preferred}
    )
    assert status == HTTPStatus.OK
    assert path.endswith(f".{preferred}")
    (task,) = emulator.tasks
    assert task.format == "opus"
    assert task.sample_rate == 24000  # 22050 is no opus rate; the next one up
    assert data == task.audio
    assert data.startswith(b"OggS")


async def test_format_ffmpeg_cannot_skip_is_converted(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    path, status, data = await _get_url_audio(
        hass_client, entity_id, "Hello.", {"preferred_format": "flac", "format": "wav"}
    )
    assert status == HTTPStatus.OK
    assert path.endswith(".flac")
    (task,) = emulator.tasks
    assert task.format == "pcm"  # streamed as WAV
    assert data.startswith(b"fLaC")


async def test_per_call_options_reach_the_service(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    options = {
        "voice": "longhua_v2",
        "model": "cosyvoice-v2",
        "volume": 80,
        "rate": "1.5",
        "pitch": 0.8,
        "sample_rate": 48000,
        "instruction": "请用开心的语气说",
    }
    _, status, _ = await _get_url_audio(hass_client, entity_id, "你好", options)
    assert status == HTTPStatus.OK
    (task,) = emulator.tasks
    assert task.model == "cosyvoice-v2"
    assert task.sample_rate == 48000
    params = task.parameters
    assert params["voice"] == "longhua_v2"
    assert (params["volume"], params["rate"], params["pitch"]) == (80, 1.5, 0.8)
    assert params["instruction"] == "请用开心的语气说"


async def test_another_model_gets_its_own_default_voice(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    _, status, _ = await _get_url_audio(
        hass_client, entity_id, "你好", {"model": "cosyvoice-v2"}
    )
    assert status == HTTPStatus.OK
    (task,) = emulator.tasks
    assert task.parameters["voice"] == "longxiaochun_v2"


async def test_ssml_is_sent_as_ssml(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    ssml = '<speak>你好<break time="300ms"/>世界</speak>'
    _, status, _ = await _get_url_audio(hass_client, entity_id, ssml)
    assert status == HTTPStatus.OK
    (task,) = emulator.tasks
    assert task.parameters["enable_ssml"] is True
    assert task.texts == [ssml]


@pytest.mark.parametrize(
    ("message", "options", "key"),
    [
        ("你好", {"voice": "no-such-voice"}, "invalid_option"),
        ("你好", {"voice": "longxiaochun_v2"}, "invalid_option"),
        ("你好", {"format": "pcm", "preferred_format": "flac"}, "invalid_option"),
        # Refused even when the player's preferred format would be made instead.
        ("你好", {"format": "aiff", "preferred_format": "mp3"}, "invalid_option"),
        ("你好", {"volume": "loud"}, "invalid_option"),
        ("你好", {"volume": 50.5}, "invalid_option"),
        ("你好", {"volume": float("nan")}, "invalid_option"),
        ("你好", {"rate": True}, "invalid_option"),
        ("你好", {"rate": 3}, "invalid_option"),
        ("你好", {"model": "cosyvoice-v9"}, "invalid_option"),
        ("   ", {}, "invalid_text"),
        ("<speak>unclosed", {}, "invalid_ssml"),
        ("长" * 600_000, {}, "text_too_long"),
    ],
)
async def test_bad_input_is_a_clear_validation_error(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    message: str,
    options: dict[str, Any],
    key: str,
) -> None:
    entity = _entity(hass, entity_id)
    merged = {**(entity.default_options or {}), **options}
    with pytest.raises(ServiceValidationError) as raised:
        await entity.async_get_tts_audio(message, "zh-CN", merged)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert not emulator.tasks  # refused before anything was sent


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (Fault.task_failed("Throttling.RateQuota", "slow down"), "rate_limited"),
        (Fault.task_failed("InternalError", "oops"), "service_unavailable"),
        (Fault.task_failed("Arrearage", "pay up"), "account_error"),
        (Fault.task_failed("DataInspectionFailed", "no"), "content_filtered"),
    ],
)
async def test_upstream_failures_are_translated(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    fault: Fault,
    key: str,
) -> None:
    for _ in range(3):  # more than the retry budget
        emulator.add_fault(fault)
    entity = _entity(hass, entity_id)
    with pytest.raises(HomeAssistantError) as raised:
        await entity.async_get_tts_audio(
            "你好", "zh-CN", dict(entity.default_options or {})
        )
    assert raised.value.translation_key == key
    assert fault.message in str(raised.value.translation_placeholders)


async def test_failed_audio_is_an_http_500_for_the_player(
    hass: HomeAssistant,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    emulator.add_fault(Fault.task_failed("InvalidParameter", "bad request"))
    _, status, _ = await _get_url_audio(hass_client, entity_id, "你好")
    assert status in (HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.NOT_FOUND)


async def test_key_revoked_during_synthesis_starts_reauth(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_id: str,
    emulator: DashScopeEmulator,
) -> None:
    emulator.add_fault(Fault.task_failed("InvalidApiKey", "Invalid API-key provided."))
    entity = _entity(hass, entity_id)
    with pytest.raises(HomeAssistantError) as raised:
        await entity.async_get_tts_audio(
            "你好", "zh-CN", dict(entity.default_options or {})
        )
    assert raised.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == loaded_entry.entry_id


async def test_options_change_replaces_cached_audio(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_id: str,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    await _get_url_audio(hass_client, entity_id, "同一句话")
    set_profile(hass, loaded_entry, sample_rate=16000)
    await hass.async_block_till_done()  # the profile changed: the entry reloads
    await _get_url_audio(hass_client, entity_id, "同一句话")
    assert [task.sample_rate for task in emulator.tasks] == [22050, 16000]


async def test_configured_format_is_served_unconverted(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    set_profile(hass, loaded_entry, format="wav", sample_rate=16000)
    await hass.async_block_till_done()
    await async_process_ha_core_config(
        hass, {"internal_url": "http://example.local:8123"}
    )
    entity_id = tts_entity(hass, loaded_entry).entity_id
    path, status, data = await _get_url_audio(hass_client, entity_id, "你好")
    assert status == HTTPStatus.OK
    assert path.endswith(".wav")
    (task,) = emulator.tasks
    assert (task.format, task.sample_rate) == ("pcm", 16000)
    assert data == wav_header(16000) + task.audio


async def test_one_shot_method_for_non_streaming_callers(
    hass: HomeAssistant, entity_id: str, emulator: DashScopeEmulator
) -> None:
    entity = _entity(hass, entity_id)
    options = {**(entity.default_options or {}), "preferred_format": "wav"}
    extension, data = await entity.async_get_tts_audio("你好。", "zh-CN", options)
    (task,) = emulator.tasks
    assert extension == "wav"
    assert task.format == "wav"  # one piece: the service's own WAV file
    assert data == task.audio
