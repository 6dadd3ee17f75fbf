"""Setting up and unloading entries against the emulator."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from devtools.emulator import DashScopeEmulator


async def test_setup_and_unload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    client = loaded_entry.runtime_data.client
    # The setup's handshake stays pooled for the first request.
    assert client.pool.idle_connections == 1
    assert emulator.open_connections == 1

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert client.pool.closed
    assert client.pool.open_connections == 0
