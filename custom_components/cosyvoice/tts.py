"""The CosyVoice text-to-speech entity."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.components.tts import (
    ATTR_PREFERRED_FORMAT,
    ATTR_PREFERRED_SAMPLE_BYTES,
    ATTR_PREFERRED_SAMPLE_CHANNELS,
    ATTR_PREFERRED_SAMPLE_RATE,
    TextToSpeechEntity,
    TtsAudioType,
    Voice,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import AuthenticationError, CosyVoiceError
from .api.voices import find_voice, voices_for_language
from .const import (
    CONF_FORMAT,
    CONF_INSTRUCTION,
    CONF_MODEL,
    CONF_PITCH,
    CONF_RATE,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    DOMAIN,
    MANUFACTURER,
)
from .error_mapping import to_ha_error
from .languages import default_language, supported_languages
from .request_options import default_options, resolve
from .runtime import CosyVoiceConfigEntry, option

_LOGGER = logging.getLogger(__name__)

# Requests queue in the entry's session manager, which bounds them itself.
PARALLEL_UPDATES = 0

SUPPORTED_OPTIONS = [
    CONF_VOICE,
    CONF_MODEL,
    CONF_FORMAT,
    CONF_SAMPLE_RATE,
    CONF_VOLUME,
    CONF_RATE,
    CONF_PITCH,
    CONF_INSTRUCTION,
    ATTR_PREFERRED_FORMAT,
    ATTR_PREFERRED_SAMPLE_RATE,
    ATTR_PREFERRED_SAMPLE_CHANNELS,
    ATTR_PREFERRED_SAMPLE_BYTES,
]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the entry's one TTS entity."""
    async_add_entities([CosyVoiceTTSEntity(hass, entry)])


class CosyVoiceTTSEntity(TextToSpeechEntity):
    """Speech from CosyVoice, through the entry's client and session manager."""

    _attr_has_entity_name = True
    # Home Assistant refuses to speak with an entity whose name is None.
    _attr_translation_key = "speech"
    _attr_supported_options = SUPPORTED_OPTIONS

    def __init__(self, hass: HomeAssistant, entry: CosyVoiceConfigEntry) -> None:
        """Describe the entity from the entry's options."""
        self._entry = entry
        self._model = str(option(entry.options, CONF_MODEL))
        self._voice = str(option(entry.options, CONF_VOICE))
        self._attr_unique_id = entry.entry_id
        self._attr_supported_languages = supported_languages(self._model)
        self._attr_default_language = default_language(
            self._attr_supported_languages, hass.config.language, hass.config.country
        )
        self._attr_default_options = default_options(entry.options)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=MANUFACTURER,
            model=f"DashScope {self._model}",
            entry_type=DeviceEntryType.SERVICE,
        )

    @callback
    def async_get_supported_voices(self, language: str) -> list[Voice]:
        """System voices of the configured model for a language, default first.

        A configured voice that is not in the catalogue (a cloned or designed voice)
        leads the list, so the picker can show the voice actually in use.
        """
        voices = [
            Voice(info.voice_id, info.name)
            for info in voices_for_language(self._model, language)
        ]
        if find_voice(self._voice) is None:
            voices.insert(0, Voice(self._voice, f"{self._voice} (custom voice)"))
        return voices

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Synthesize the whole message through the smart router."""
        client = self._entry.runtime_data.client
        try:
            request = resolve(options, self._attr_default_options or {})
            result = await client.synthesize(message, request.options)
        except CosyVoiceError as err:
            if isinstance(err, AuthenticationError):
                self._entry.async_start_reauth(self.hass)
            _LOGGER.debug("Synthesis failed: %s", err)
            raise to_ha_error(err) from err
        _LOGGER.debug(
            "Synthesized %d characters over %s in %.0f ms",
            result.characters,
            result.route,
            result.total_time * 1000,
        )
        return request.extension, result.audio
