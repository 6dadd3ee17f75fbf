"""A conversation agent that writes its answers slowly, as a language model does.

For the soak test (``scripts/soak``): an Assist pipeline with this agent hands its
answer to the TTS entity while it is still being written, on the Home Assistant
versions that stream (2025.7 and newer); older ones speak the finished answer.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

PLATFORMS = [Platform.CONVERSATION]


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Add the agent."""
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Remove the agent."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
