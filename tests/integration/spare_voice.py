"""A second TTS engine for the fallback tests: a mock integration with one entity."""

from __future__ import annotations

import io
import wave
from typing import Any

from homeassistant.components.tts import TextToSpeechEntity, TtsAudioType
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)

SPARE_ENTITY = "tts.spare_voice"
SPARE_RATE = 16000


def tone(characters: int) -> bytes:
    """A WAV of silence, 10 ms per character: what the spare engine says."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SPARE_RATE)
        wav.writeframes(b"\0\0" * (SPARE_RATE // 100) * max(characters, 1))
    return out.getvalue()


class SpareVoice(TextToSpeechEntity):
    """Says every message as silence; remembers what it was asked to say."""

    _attr_name = "Spare voice"
    _attr_unique_id = "spare-voice"
    _attr_default_language = "en"

    def __init__(self) -> None:
        self._attr_supported_languages = ["en"]
        self.spoken: list[str] = []
        self.languages: list[str] = []
        self.broken = False

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        if self.broken:
            raise HomeAssistantError("the spare voice is broken too")
        self.spoken.append(message)
        self.languages.append(language)
        return "wav", tone(len(message))


class _SpareFlow(ConfigFlow):
    """Home Assistant sets up only entries whose integration has a flow."""


async def async_add_spare_voice(hass: HomeAssistant) -> SpareVoice:
    """Set up the spare engine as Home Assistant sets up any TTS integration."""
    voice = SpareVoice()

    async def setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, ["tts"])
        return True

    async def setup_platform(
        hass: HomeAssistant,
        entry: ConfigEntry,
        add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        add_entities([voice])

    mock_integration(hass, MockModule("spare", async_setup_entry=setup_entry))
    mock_platform(hass, "spare.tts", MockPlatform(async_setup_entry=setup_platform))
    mock_platform(hass, "spare.config_flow", None)
    entry = MockConfigEntry(domain="spare")
    entry.add_to_hass(hass)
    with mock_config_flow("spare", _SpareFlow):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert voice.entity_id == SPARE_ENTITY
    return voice


async def async_falling_back(
    hass: HomeAssistant, entry: MockConfigEntry
) -> MockConfigEntry:
    """``entry`` set up with the spare voice as its first profile's fallback."""
    profile = next(iter(entry.subentries.values()))
    entry.add_to_hass(hass)
    hass.config_entries.async_update_subentry(
        entry, profile, data={**profile.data, "fallback_engine": SPARE_ENTITY}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
