"""A message CosyVoice cannot speak is still heard: another engine speaks it."""

from __future__ import annotations

import asyncio
import io
import logging
import time
import wave
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import tts
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice import fallback
from devtools.emulator import DashScopeEmulator, Fault

from .conftest import mock_entry, profile_data, tts_entity
from .spare_voice import (
    SPARE_ENTITY,
    SPARE_RATE,
    SpareVoice,
    async_add_spare_voice,
    async_falling_back,
)

OUTAGE = Fault.task_failed("InternalError", "An internal error has occured")


@pytest.fixture
async def spare(hass: HomeAssistant) -> SpareVoice:
    return await async_add_spare_voice(hass)


async def _entry(
    hass: HomeAssistant, emulator: DashScopeEmulator, **profile: Any
) -> MockConfigEntry:
    return await async_falling_back(hass, mock_entry(emulator, **profile))


async def _speak(
    hass: HomeAssistant, engine: str, message: str, **options: Any
) -> bytes:
    stream = tts.async_create_stream(hass, engine, None, options)
    stream.async_set_message(message)
    return b"".join([chunk async for chunk in stream.async_stream_result()])


def _is_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


async def test_an_outage_is_spoken_by_the_fallback_in_the_format_asked_for(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    entry = await _entry(hass, emulator)
    engine = tts_entity(hass, entry).entity_id
    emulator.add_fault(OUTAGE, times=10)
    audio = await _speak(
        hass, engine, "<speak>门开着。<break time='1s'/>Door open.</speak>"
    )
    # The same words, without the markup, and MP3 as the profile makes.
    assert spare.spoken == ["门开着。 Door open."]
    assert _is_mp3(audio)
    # The entity's card says it was not CosyVoice, and who spoke instead.
    attributes = hass.states.get(engine).attributes
    assert attributes["last_error"] == "service_unavailable"
    assert attributes["spoken_by"] == SPARE_ENTITY


async def test_assist_gets_the_fallback_as_the_wav_it_asked_for(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    entry = await _entry(hass, emulator)
    engine = tts_entity(hass, entry).entity_id
    emulator.add_fault(OUTAGE, times=10)
    audio = await _speak(
        hass,
        engine,
        "Welcome home.",
        preferred_format="wav",
        preferred_sample_rate=22050,
        preferred_sample_channels=1,
        preferred_sample_bytes=2,
    )
    assert spare.spoken == ["Welcome home."]
    with wave.open(io.BytesIO(audio)) as wav:
        assert wav.getframerate() == 22050
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        assert wav.getnframes() > 0 or len(audio) > 44


@pytest.mark.parametrize(
    ("message", "options"),
    [
        ("<speak>门开着", {}),  # malformed SSML
        ("门开着。", {"volume": 500}),  # an option out of range
        ("门开着。", {"voice": "no-such-voice"}),  # an unknown voice
    ],
)
async def test_a_callers_mistake_is_never_hidden_behind_the_fallback(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    spare: SpareVoice,
    message: str,
    options: dict[str, Any],
) -> None:
    entry = await _entry(hass, emulator)
    engine = tts_entity(hass, entry).entity_id
    emulator.add_fault(OUTAGE, times=10)  # even while the service is down
    with pytest.raises(HomeAssistantError):
        await _speak(hass, engine, message, **options)
    assert spare.spoken == []


async def test_a_service_that_never_answers_is_given_up_at_the_deadline(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    entry = await _entry(hass, emulator, fallback_after=0.5)
    engine = tts_entity(hass, entry).entity_id
    emulator.add_fault(Fault.hang())
    began = time.monotonic()
    await _speak(hass, engine, "The washing is done.")
    assert time.monotonic() - began < 2.5
    assert spare.spoken == ["The washing is done."]
    # The late request was cancelled: its connection is gone, nothing keeps waiting.
    await asyncio.sleep(0.2)
    assert all(task.state != "started" for task in emulator.tasks if task.texts)


async def test_without_a_fallback_a_silent_service_fails_clearly_and_soon(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    entry = mock_entry(emulator)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    engine = tts_entity(hass, entry).entity_id
    emulator.add_fault(Fault.hang())
    assert fallback.NO_FALLBACK_DEADLINE == 10.0
    began = time.monotonic()
    with (
        patch.object(fallback, "NO_FALLBACK_DEADLINE", 0.5),
        pytest.raises(HomeAssistantError, match=r"no audio within 0\.5 s"),
    ):
        await _speak(hass, engine, "The washing is done.")
    assert time.monotonic() - began < 2.5


async def test_a_broken_fallback_gives_the_original_error_with_both_reasons_logged(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    spare: SpareVoice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await _entry(hass, emulator)
    engine = tts_entity(hass, entry).entity_id
    spare.broken = True
    emulator.add_fault(OUTAGE, times=10)
    with pytest.raises(HomeAssistantError, match="DashScope"):
        await _speak(hass, engine, "The washing is done.")
    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components.cosyvoice")
        and r.levelno >= logging.WARNING
        and SPARE_ENTITY in r.getMessage()
    ]
    assert len(ours) == 1
    assert "InternalError" in ours[0]
    assert "broken too" in ours[0]
    assert "washing" not in ours[0]  # never the text


async def test_a_fallback_that_is_gone_gives_the_original_error(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    entry = await _entry(hass, emulator)
    engine = tts_entity(hass, entry).entity_id
    emulator.add_fault(OUTAGE, times=10)
    with pytest.raises(HomeAssistantError, match="DashScope"):
        await _speak(hass, engine, "The washing is done.")


async def test_one_hop_only_a_fallback_never_falls_back_in_its_turn(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    """Alarms fall back to Greetings, another CosyVoice profile, which falls back to
    the spare voice: with the service down, the spare is not reached from Alarms."""
    entry = mock_entry(emulator, fallback_engine=SPARE_ENTITY)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    greetings = tts_entity(hass, entry).entity_id
    hass.config_entries.async_add_subentry(
        entry, ConfigSubentry(**profile_data("Alarms", fallback_engine=greetings))
    )
    await hass.async_block_till_done()
    alarms = next(p for p in entry.subentries.values() if p.title == "Alarms")
    emulator.add_fault(OUTAGE, times=30)
    with pytest.raises(HomeAssistantError):
        await _speak(hass, tts_entity(hass, entry, alarms).entity_id, "Smoke!")
    assert spare.spoken == []
    # Greetings itself still falls back when it is asked directly.
    await _speak(hass, greetings, "Hello.")
    assert spare.spoken == ["Hello."]


async def _llm(
    *pieces: str, written: asyncio.Event | None = None
) -> AsyncIterator[str]:
    for piece in pieces:
        yield piece
        await asyncio.sleep(0.01)
    if written is not None:
        written.set()


async def test_a_streamed_answer_goes_to_the_fallback_from_its_start(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    entry = await _entry(hass, emulator)
    entity = tts_entity(hass, entry)
    emulator.add_fault(OUTAGE, times=10)
    options = {**(entity.default_options or {}), "preferred_format": "wav"}
    response = await entity.async_stream_tts_audio(
        TTSAudioRequest(
            "en", options, _llm("The door ", "is open. ", "Close it, ", "please.")
        )
    )
    data = b"".join([chunk async for chunk in response.data_gen])
    assert response.extension == "wav"
    assert spare.spoken == ["The door is open. Close it, please."]
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getframerate() == SPARE_RATE


async def test_an_outage_at_start_still_loads_an_entry_with_a_fallback(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    emulator.config.api_keys = {"sk-someone-else"}  # refused: never loads
    refused = mock_entry(emulator, fallback_engine=SPARE_ENTITY)
    refused.add_to_hass(hass)
    await hass.config_entries.async_setup(refused.entry_id)
    assert refused.state is ConfigEntryState.SETUP_ERROR
    await hass.config_entries.async_remove(refused.entry_id)

    await emulator.stop()
    entry = mock_entry(emulator, fallback_engine=SPARE_ENTITY)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    audio = await _speak(hass, tts_entity(hass, entry).entity_id, "Power is back.")
    assert spare.spoken == ["Power is back."]
    assert _is_mp3(audio)


# The profile form: a fallback picked, and bad choices refused in the user's words.

SETTINGS = {
    "model": "cosyvoice-v3-flash",
    "format": "mp3",
    "sample_rate": "22050",
    "volume": 50,
    "rate": 1.0,
    "pitch": 1.0,
    "long_text_threshold": 500,
    "route": "websocket",
    "fallback_engine": SPARE_ENTITY,
}


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    profile = next(iter(entry.subentries.values()))
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, "tts"),
        context={"source": "reconfigure", "subentry_id": profile.subentry_id},
    )


def _field(result: Any, key: str) -> Any:
    schema = result["data_schema"].schema
    return schema[next(marker for marker in schema if marker == key)]


@pytest.mark.parametrize(
    ("choice", "error"),
    [
        ({"fallback_engine": "itself"}, {"fallback_engine": "fallback_is_itself"}),
        ({"fallback_engine": "light.kitchen"}, {"fallback_engine": "fallback_not_tts"}),
        ({"fallback_engine": "not an id"}, {"fallback_engine": "fallback_not_tts"}),
        ({"fallback_engine": "tts.nobody"}, {"fallback_engine": "fallback_not_found"}),
        ({"fallback_after": 0.2}, {"fallback_after": "invalid_fallback_after"}),
        ({"fallback_after": 31}, {"fallback_after": "invalid_fallback_after"}),
    ],
)
async def test_a_bad_fallback_gets_a_translated_form_error(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    spare: SpareVoice,
    choice: dict[str, Any],
    error: dict[str, str],
) -> None:
    entry = await _entry(hass, emulator)
    own = tts_entity(hass, entry).entity_id
    result = await _reconfigure(hass, entry)
    # The picker offers TTS entities only, and leaves the profile's own out.
    picker = _field(result, "fallback_engine").config
    filters = (
        picker["filter"] if isinstance(picker["filter"], list) else [picker["filter"]]
    )
    assert [f["domain"] for f in filters] in (["tts"], [["tts"]])
    assert picker["exclude_entities"] == [own]
    if choice.get("fallback_engine") == "itself":
        choice = {"fallback_engine": own}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**SETTINGS, **choice}
    )
    assert result["errors"] == error


async def test_a_fallback_is_saved_with_its_deadline(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    entry = mock_entry(emulator)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    result = await _reconfigure(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**SETTINGS, "fallback_after": 1.5}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"voice": "longanyang"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    profile = next(iter(entry.subentries.values()))
    assert profile.data["fallback_engine"] == SPARE_ENTITY
    assert profile.data["fallback_after"] == 1.5


async def test_once_cosyvoice_speaks_again_no_message_is_replayed_in_the_fallbacks_voice(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    entry = await _entry(hass, emulator)
    engine = tts_entity(hass, entry).entity_id
    emulator.add_fault(OUTAGE, times=3)  # one message's tries
    await _speak(hass, engine, "The door is open.")
    assert spare.spoken == ["The door is open."]
    # While the outage lasts, Home Assistant's cache may serve it: no new try.
    await _speak(hass, engine, "The door is open.")
    assert spare.spoken == ["The door is open."]
    await _speak(hass, engine, "The washing is done.")  # CosyVoice is back
    await hass.async_block_till_done()
    await _speak(hass, engine, "The door is open.")
    assert spare.spoken == ["The door is open."]
    assert emulator.tasks[-1].texts == ["The door is open."]
