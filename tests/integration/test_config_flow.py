"""The config flow: user step, reauth, reconfigure and options, against the emulator."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.config_flow import _unique_id
from custom_components.cosyvoice.const import (
    CONF_HTTP_URL,
    CONF_POOL_SIZE,
    CONF_REGION,
    CONF_WORKSPACE_ID,
    CONF_WS_URL,
    DOMAIN,
)
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

from .conftest import entry_data

OTHER_KEY = "sk-test-other-key-9876"


ADVANCED = "advanced"
RELOAD_WARNING = "should use it for scheduling a reload"


async def _start(hass: HomeAssistant) -> Any:
    """The key and region form; with an account set up, through the menu's second choice."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    if hass.config_entries.async_entries(DOMAIN):
        assert result["type"] is FlowResultType.MENU
        assert result["menu_options"][-1] == "new_account"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "new_account"}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


def _credentials(
    region: str = "cn", key: str = TEST_API_KEY, **advanced: str
) -> dict[str, Any]:
    return {CONF_API_KEY: key, CONF_REGION: region, ADVANCED: advanced}


def _reloads(hass: HomeAssistant) -> Any:
    """Count the entry reloads while it is active (they still happen)."""
    entries = hass.config_entries
    return patch.object(entries, "async_reload", wraps=entries.async_reload)


def _fields(result: Any) -> dict[str, Any]:
    """The form's fields by name, the advanced section's marker and schema included."""
    return {str(marker): marker for marker in result["data_schema"].schema}


def test_advanced_fields_live_in_a_collapsed_section() -> None:
    from custom_components.cosyvoice.config_flow import _credentials_schema

    schema = _credentials_schema(key_required=True).schema
    assert {str(marker) for marker in schema} == {CONF_API_KEY, CONF_REGION, ADVANCED}
    advanced = schema[ADVANCED]
    assert advanced.options == {"collapsed": True}
    assert {str(marker) for marker in advanced.schema.schema} == {CONF_WORKSPACE_ID}


@pytest.mark.usefixtures("regions_on_emulator")
async def test_user_creates_entry_after_a_handshake(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    result = await _start(hass)
    # Endpoint URLs are never asked of a user who picks a region.
    assert set(_fields(result)) == {CONF_API_KEY, CONF_REGION, ADVANCED}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _credentials(key=f"  {TEST_API_KEY} ", **{CONF_WORKSPACE_ID: " ws-1 "}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "CosyVoice China mainland (Beijing)"
    assert result["data"] == {
        CONF_API_KEY: TEST_API_KEY,
        CONF_REGION: "cn",
        CONF_WORKSPACE_ID: "ws-1",
    }
    entry = result["result"]
    assert entry.unique_id == _unique_id(result["data"])
    assert TEST_API_KEY not in entry.unique_id
    assert emulator.connections_opened >= 1
    # No synthesis was needed (or billed) to check the key.
    assert not emulator.tasks
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("regions_on_emulator")
async def test_international_region_title(hass: HomeAssistant) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("intl")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "CosyVoice International (Singapore)"
    assert result["data"] == {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "intl"}


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.handshake(401, "InvalidApiKey"), "invalid_auth"),
        (Fault.handshake(403, "AccessDenied"), "invalid_auth"),
        (Fault.handshake(503, "ServiceUnavailable"), "cannot_connect"),
    ],
)
@pytest.mark.usefixtures("regions_on_emulator")
async def test_user_errors_then_recovery(
    hass: HomeAssistant, emulator: DashScopeEmulator, fault: Fault, error: str
) -> None:
    result = await _start(hass)
    emulator.add_fault(fault)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials()
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)
    # The form keeps what was entered, except the key.
    suggested = {
        name: (marker.description or {}).get("suggested_value")
        for name, marker in _fields(result).items()
    }
    assert suggested[CONF_REGION] == "cn"
    assert suggested[CONF_API_KEY] is None

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials()
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("key", ["sk-wrong", "sk-has space"])
@pytest.mark.usefixtures("regions_on_emulator")
async def test_wrong_or_malformed_key_is_invalid_auth(
    hass: HomeAssistant, key: str
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(key=key)
    )
    assert result["errors"] == {"base": "invalid_auth"}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("AccountError", "account_error"),
        ("RuntimeError", "unknown"),
    ],
)
@pytest.mark.usefixtures("regions_on_emulator")
async def test_account_and_unexpected_errors(
    hass: HomeAssistant, error: str, expected: str
) -> None:
    from custom_components.cosyvoice import api

    exception = (
        api.AccountError("Arrearage", code="Arrearage")
        if error == "AccountError"
        else RuntimeError("boom")
    )
    result = await _start(hass)
    with patch(
        "custom_components.cosyvoice.config_flow.async_check_credentials",
        side_effect=exception,
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _credentials()
        )
    assert result["errors"] == {"base": expected}


async def _custom_endpoint_step(hass: HomeAssistant, **advanced: str) -> Any:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("custom", **advanced)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "endpoint"
    assert set(_fields(result)) == {CONF_WS_URL, CONF_HTTP_URL}
    return result


async def test_custom_endpoint_has_a_step_of_its_own(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    result = await _custom_endpoint_step(hass, **{CONF_WORKSPACE_ID: "ws-2"})
    # Nothing is checked or saved before the URLs are known.
    assert emulator.connections_opened == 0
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_WS_URL: f" {emulator.ws_url} ", CONF_HTTP_URL: emulator.http_url},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {**entry_data(emulator), CONF_WORKSPACE_ID: "ws-2"}
    assert result["title"] == f"CosyVoice ({emulator.ws_url.split('/')[2]})"


async def test_a_refused_key_is_asked_for_again_then_the_urls_are_kept(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("custom", key="sk-wrong")
    )
    urls = {CONF_WS_URL: emulator.ws_url, CONF_HTTP_URL: emulator.http_url}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], urls)
    # The key is wrong: the form with the key says so, the region still chosen.
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "invalid_auth"}
    assert _fields(result)[CONF_REGION].description == {"suggested_value": "custom"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("custom")
    )
    assert result["step_id"] == "endpoint"
    fields = _fields(result)
    assert fields[CONF_WS_URL].description == {"suggested_value": emulator.ws_url}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], urls)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == entry_data(emulator)


async def test_unreachable_server_is_cannot_connect(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    result = await _custom_endpoint_step(hass)
    closed_port = "ws://127.0.0.1:9/api-ws/v1/inference"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_WS_URL: closed_port}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    # Fixing the URL on the same form creates the entry.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_WS_URL: emulator.ws_url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_HTTP_URL not in result["data"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({CONF_WS_URL: "http://x/y"}, {CONF_WS_URL: "invalid_url"}),
        ({CONF_WS_URL: "ws://"}, {CONF_WS_URL: "invalid_url"}),
        (
            {CONF_WS_URL: "ws://x/y", CONF_HTTP_URL: "ftp://x"},
            {CONF_HTTP_URL: "invalid_url"},
        ),
    ],
)
async def test_endpoint_errors(
    hass: HomeAssistant, fields: dict[str, str], errors: dict[str, str]
) -> None:
    result = await _custom_endpoint_step(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], fields)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "endpoint"
    assert result["errors"] == errors


async def test_endpoint_needs_a_websocket_url(hass: HomeAssistant) -> None:
    from homeassistant.data_entry_flow import InvalidData

    result = await _custom_endpoint_step(hass)
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HTTP_URL: "http://x/api/v1"}
        )


@pytest.mark.usefixtures("regions_on_emulator")
async def test_same_key_and_region_only_once(hass: HomeAssistant) -> None:
    for expected in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT):
        result = await _start(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _credentials()
        )
        assert result["type"] is expected
    assert result["reason"] == "already_configured"
    # The same key in the other region is another account.
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("intl")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Whose first profile is told apart from the first account's in every picker.
    first, second = hass.config_entries.async_entries(DOMAIN)
    assert [p.title for p in first.subentries.values()] == ["CosyVoice"]
    assert [p.title for p in second.subentries.values()] == ["CosyVoice 2"]


async def test_same_custom_endpoint_only_once(
    hass: HomeAssistant, emulator: DashScopeEmulator, loaded_entry: MockConfigEntry
) -> None:
    loaded_entry_data = dict(loaded_entry.data)
    hass.config_entries.async_update_entry(
        loaded_entry, unique_id=_unique_id(loaded_entry_data)
    )
    result = await _custom_endpoint_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_WS_URL: emulator.ws_url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.config.api_keys.add(OTHER_KEY)
    old_client = loaded_entry.runtime_data.client
    result = await loaded_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": loaded_entry.title}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "sk-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    with _reloads(hass) as reload:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: OTHER_KEY}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data[CONF_API_KEY] == OTHER_KEY
    assert loaded_entry.data[CONF_WS_URL] == emulator.ws_url
    assert loaded_entry.unique_id == _unique_id(loaded_entry.data)
    assert loaded_entry.state is ConfigEntryState.LOADED
    reload.assert_called_once_with(loaded_entry.entry_id)
    assert loaded_entry.runtime_data.client is not old_client
    # Home Assistant 2026.12 refuses an update listener beside the flows' reloads.
    assert not loaded_entry.update_listeners
    assert RELOAD_WARNING not in caplog.text


async def test_reauth_cannot_take_another_entrys_account(
    hass: HomeAssistant, emulator: DashScopeEmulator, loaded_entry: MockConfigEntry
) -> None:
    emulator.config.api_keys.add(OTHER_KEY)
    other_data = entry_data(emulator, **{CONF_API_KEY: OTHER_KEY})
    MockConfigEntry(
        domain=DOMAIN, data=other_data, unique_id=_unique_id(other_data)
    ).add_to_hass(hass)
    result = await loaded_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_KEY}
    )
    assert result["errors"] == {"base": "already_configured"}


async def test_reconfigure_a_custom_endpoint(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    # The key is never sent back to the browser; the region is suggested.
    fields = _fields(result)
    assert "suggested_value" not in (fields[CONF_API_KEY].description or {})
    assert fields[CONF_REGION].description == {"suggested_value": "custom"}

    # A blank key keeps the old one; the URLs come next, the current ones suggested.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_REGION: "custom", ADVANCED: {CONF_WORKSPACE_ID: "w"}},
    )
    assert result["step_id"] == "reconfigure_endpoint"
    fields = _fields(result)
    assert fields[CONF_WS_URL].description == {"suggested_value": emulator.ws_url}
    assert fields[CONF_HTTP_URL].description == {"suggested_value": emulator.http_url}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_WS_URL: "ws://"}
    )
    assert result["errors"] == {CONF_WS_URL: "invalid_url"}

    # A URL left empty is dropped.
    with _reloads(hass) as reload:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_WS_URL: emulator.ws_url}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data == {
        CONF_API_KEY: TEST_API_KEY,
        CONF_REGION: "custom",
        CONF_WS_URL: emulator.ws_url,
        CONF_WORKSPACE_ID: "w",
    }
    assert loaded_entry.state is ConfigEntryState.LOADED
    reload.assert_called_once_with(loaded_entry.entry_id)
    assert RELOAD_WARNING not in caplog.text


@pytest.mark.usefixtures("regions_on_emulator")
async def test_reconfigure_to_a_region_with_a_new_key(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    data = {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn", CONF_WORKSPACE_ID: "w"}
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id=_unique_id(data))
    entry.add_to_hass(hass)
    emulator.config.api_keys.add(OTHER_KEY)
    result = await entry.start_reconfigure_flow(hass)
    fields = _fields(result)
    assert set(fields) == {CONF_API_KEY, CONF_REGION, ADVANCED}
    assert fields[CONF_REGION].description == {"suggested_value": "cn"}
    workspace = next(iter(result["data_schema"].schema[fields[ADVANCED]].schema.schema))
    assert workspace.description == {"suggested_value": "w"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("intl", key=OTHER_KEY)
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_API_KEY: OTHER_KEY, CONF_REGION: "intl"}
    assert entry.title == "CosyVoice International (Singapore)"
    assert entry.unique_id == _unique_id(entry.data)


async def test_reconfigure_a_refused_key_on_a_custom_endpoint(
    hass: HomeAssistant, emulator: DashScopeEmulator, loaded_entry: MockConfigEntry
) -> None:
    data = dict(loaded_entry.data)
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("custom", key="sk-wrong")
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_WS_URL: emulator.ws_url}
    )
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "invalid_auth"}
    # A blank key now keeps the working one; the URL entered before is suggested.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REGION: "custom", ADVANCED: {}}
    )
    assert result["step_id"] == "reconfigure_endpoint"
    fields = _fields(result)
    assert fields[CONF_WS_URL].description == {"suggested_value": emulator.ws_url}
    assert fields[CONF_HTTP_URL].description is None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_WS_URL: emulator.ws_url, CONF_HTTP_URL: emulator.http_url},
    )
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data == data
    await hass.async_block_till_done()  # the reload it schedules
    assert loaded_entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("regions_on_emulator")
async def test_reconfigure_errors_keep_the_form(hass: HomeAssistant) -> None:
    data = {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn"}
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id=_unique_id(data))
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("intl", key="sk-wrong", workspace_id="x")
    )
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "invalid_auth"}
    fields = _fields(result)
    assert fields[CONF_REGION].description == {"suggested_value": "intl"}
    assert entry.data == data


async def _options(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    """The account's settings: the options menu's first choice."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["account", "pick_profile"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "account"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "account"
    return result


async def test_account_options_take_effect_without_a_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """No announcement falls into a reload: the pool and keeping ready change live."""

    async def save(pool_size: int, keep_ready: int) -> int:
        with _reloads(hass) as reload:
            result = await _options(hass, loaded_entry)
            assert list(_fields(result)) == [CONF_POOL_SIZE, "keep_ready"]
            result = await hass.config_entries.options.async_configure(
                result["flow_id"], {CONF_POOL_SIZE: pool_size, "keep_ready": keep_ready}
            )
            assert result["type"] is FlowResultType.CREATE_ENTRY
            await hass.async_block_till_done()
        assert loaded_entry.state is ConfigEntryState.LOADED
        return reload.call_count

    client = loaded_entry.runtime_data.client
    assert client.keep_ready.running
    assert await save(2, 0) == 0
    assert loaded_entry.runtime_data.client is client
    assert client.pool.settings.max_connections == 2
    assert client.keep_ready.settings.connections == 0
    assert not client.keep_ready.running
    assert await save(3, 2) == 0
    assert client.pool.settings.max_connections == 3
    assert client.keep_ready.running
    assert loaded_entry.options == {CONF_POOL_SIZE: 3, "keep_ready": 2}
    assert not loaded_entry.update_listeners
    assert RELOAD_WARNING not in caplog.text


@pytest.mark.usefixtures("regions_on_emulator")
async def test_a_new_entry_starts_with_one_voice_profile(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials()
    )
    entry = result["result"]
    assert entry.version == 2
    (profile,) = entry.subentries.values()
    assert (profile.subentry_type, profile.title, dict(profile.data)) == (
        "tts",
        "CosyVoice",
        {},
    )
