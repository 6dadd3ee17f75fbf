"""Setting up and unloading entries against the emulator."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cosyvoice.api import (
    InvalidRequestError,
    KeepReadySettings,
    SynthesisOptions,
)
from custom_components.cosyvoice.const import CONF_REGION, CONF_WORKSPACE_ID, DOMAIN
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY


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


async def test_bad_key_at_setup_starts_reauth(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    emulator.config.api_keys.clear()
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert config_entry.reason is not None
    assert config_entry.reason.startswith("DashScope rejected the API key")
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert emulator.open_connections == 0


async def test_unreachable_service_retries_setup(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    for _ in range(3):  # the whole retry budget
        emulator.add_fault(Fault.handshake(503, "ServiceUnavailable"))
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason is not None
    assert config_entry.reason.startswith("DashScope is unavailable right now")


async def test_invalid_saved_config_is_a_setup_error(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_API_KEY: TEST_API_KEY, CONF_REGION: "moon"}
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "moon" in entry.reason
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_home_assistant_stop_closes_connections(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    client = loaded_entry.runtime_data.client
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert client.pool.closed
    assert client.pool.open_connections == 0


async def test_no_update_listener(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The flows reload the entry; a listener too is refused from HA 2026.12."""
    assert not loaded_entry.update_listeners
    client = loaded_entry.runtime_data.client
    hass.config_entries.async_update_entry(loaded_entry, title="Renamed")
    await hass.async_block_till_done()
    assert loaded_entry.runtime_data.client is client
    hass.config_entries.async_update_entry(loaded_entry, options={"pool_size": 1})
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    assert loaded_entry.runtime_data.pool.settings.max_connections == 1


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    hass.config_entries.async_update_entry(
        loaded_entry, data={**loaded_entry.data, CONF_WORKSPACE_ID: "ws-secret"}
    )
    own = emulator.add_voice(TEST_API_KEY, "cosyvoice-v3.5-plus", "grandma")
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    emulator.add_fault(Fault.task_failed("InvalidParameter", "bad voice"))
    client = loaded_entry.runtime_data.client
    with pytest.raises(InvalidRequestError):
        await client.synthesize("你好", SynthesisOptions())
    await client.synthesize("你好", SynthesisOptions())

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    text = json.dumps(diagnostics)
    assert TEST_API_KEY not in text
    assert "ws-secret" not in text
    assert diagnostics["entry"]["data"][CONF_API_KEY] == "**REDACTED**"
    assert diagnostics["entry"]["unique_id"] == "**REDACTED**"
    assert diagnostics["endpoint"] == {
        "region": "custom",
        "host": emulator.ws_url.split("/")[2],
        "http_api": True,
        "workspace": True,
    }
    assert diagnostics["connection_pool"]["max_connections"] == 8
    assert diagnostics["statistics"]["renewals"] == 0  # nothing aged yet
    statistics = diagnostics["statistics"]
    assert statistics["requests"] == 2
    assert statistics["successes"] == 1
    assert statistics["recent_errors"][0]["message"].endswith("bad voice")
    assert statistics["first_audio_ms"]["p50"] is not None
    assert diagnostics["own_voices"]["listed"]
    (voice,) = diagnostics["own_voices"]["voices"]
    assert (voice["voice_id"], voice["name"], voice["status"]) == (own, "grandma", "OK")


async def test_connections_kept_ready_and_a_key_refused_while_quiet(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    quick = partial(KeepReadySettings, renew_after=0.2, retry_after=0.05)
    emulator.config.idle_timeout = 0.4
    hass.config_entries.async_update_entry(config_entry, options={"keep_ready": 1})
    with patch("custom_components.cosyvoice.runtime.KeepReadySettings", quick):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    client = config_entry.runtime_data.client
    assert client.keep_ready.running
    await asyncio.sleep(1.0)
    assert client.stats.renewals >= 2
    assert client.pool.idle_connections == 1

    emulator.config.api_keys.clear()  # revoked in the console while nobody speaks
    await asyncio.sleep(1.0)
    await hass.async_block_till_done()
    assert not client.keep_ready.running
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert issue_registry.async_get_issue(
        DOMAIN, f"invalid_auth_{config_entry.entry_id}"
    )

    # Unloading stops everything of ours.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert client.pool.closed
    assert not [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith(("cosyvoice-keep", "cosyvoice-prepare"))
    ]
