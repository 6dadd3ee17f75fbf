"""A TTS engine that speaks offline, for trying and measuring CosyVoice's fallback.

``scripts/develop``, the soak and the fallback bench give a CosyVoice voice profile
this engine as its ``fallback_engine``: when the emulator is stopped or hangs, the
message is still spoken, here. It speaks with ``espeak-ng`` when that is installed
and a tone otherwise, and never reaches the network.

``spare_voice.spoken`` (a response-only action) lists what it was asked to say, when
and how long the audio took, so a soak can tell which calls the fallback spoke.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.helpers.typing import ConfigType

from .speech import SPOKEN, speaker

DOMAIN = "spare_voice"
PLATFORMS = [Platform.TTS]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the action that lists what was spoken."""

    async def spoken(call: ServiceCall) -> ServiceResponse:
        return {
            "speaks_with": speaker(),
            "spoken": [dict(item) for item in hass.data.get(SPOKEN, ())],
        }

    hass.services.async_register(
        DOMAIN, "spoken", spoken, supports_response=SupportsResponse.ONLY
    )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Add the one TTS entity."""
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Remove it."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
