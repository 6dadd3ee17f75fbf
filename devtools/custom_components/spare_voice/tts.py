"""The spare voice's TTS entity: every message spoken offline, and remembered."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from homeassistant.components.tts import TextToSpeechEntity, TtsAudioType
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .speech import ESPEAK_VOICES, SPOKEN, speak, speaker

KEPT = 20_000
"""Messages remembered for ``spare_voice.spoken``: a 20-minute soak makes fewer."""


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the one entity."""
    async_add_entities([SpareVoice(entry)])


class SpareVoice(TextToSpeechEntity):
    """Speaks every message with espeak-ng (or a tone), with no network."""

    _attr_name = "Spare voice"
    _attr_default_language = "en"

    def __init__(self, entry: ConfigEntry) -> None:
        """One entity per entry (and one entry at most)."""
        self._attr_unique_id = entry.entry_id
        self._attr_supported_languages = list(ESPEAK_VOICES)
        self._spoken = 0

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """What speaks, and how many messages it spoke since Home Assistant started."""
        return {"speaks_with": speaker(), "spoken": self._spoken}

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """The whole message as WAV (Home Assistant converts it where asked)."""
        asked, began = time.time(), time.perf_counter()
        try:
            audio = await speak(message, language)
        except (OSError, RuntimeError, TimeoutError) as err:
            raise HomeAssistantError(f"The spare voice failed: {err}") from err
        log: deque[dict[str, Any]] = self.hass.data.setdefault(
            SPOKEN, deque(maxlen=KEPT)
        )
        # The text is kept: this is a development tool, and the soak finds its
        # calls by the tag each message carries.
        log.append(
            {
                "text": message,
                "language": language,
                "asked_at": asked,
                "took_s": round(time.perf_counter() - began, 4),
            }
        )
        self._spoken += 1
        self.async_write_ha_state()
        return "wav", audio
