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
    CONF_FORMAT,
    CONF_HTTP_URL,
    CONF_LONG_TEXT_THRESHOLD,
    CONF_MODEL,
    CONF_PITCH,
    CONF_POOL_SIZE,
    CONF_RATE,
    CONF_REGION,
    CONF_ROUTE,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    CONF_WORKSPACE_ID,
    CONF_WS_URL,
    DOMAIN,
)
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

from .conftest import entry_data

OTHER_KEY = "sk-test-other-key-9876"


async def _start(hass: HomeAssistant, *, advanced: bool = False) -> Any:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": advanced}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


@pytest.mark.usefixtures("regions_on_emulator")
async def test_user_creates_entry_after_a_handshake(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    result = await _start(hass)
    # Advanced fields are hidden from ordinary users.
    assert CONF_WS_URL not in result["data_schema"].schema
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY: f"  {TEST_API_KEY} ",
            CONF_REGION: "cn",
            CONF_WORKSPACE_ID: "ws-1",
        },
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
        result["flow_id"], {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "intl"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "CosyVoice International (Singapore)"


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
        result["flow_id"], {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("regions_on_emulator")
async def test_wrong_key_is_invalid_auth(hass: HomeAssistant) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "sk-wrong", CONF_REGION: "cn"}
    )
    assert result["errors"] == {"base": "invalid_auth"}


@pytest.mark.usefixtures("regions_on_emulator")
async def test_malformed_key_is_invalid_auth(hass: HomeAssistant) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "sk-has space", CONF_REGION: "cn"}
    )
    assert result["errors"] == {"base": "invalid_auth"}


async def test_unreachable_server_is_cannot_connect(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    result = await _start(hass, advanced=True)
    closed_port = "ws://127.0.0.1:9/api-ws/v1/inference"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "custom", CONF_WS_URL: closed_port},
    )
    assert result["errors"] == {"base": "cannot_connect"}


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
            result["flow_id"], {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn"}
        )
    assert result["errors"] == {"base": expected}


async def test_custom_endpoint_in_advanced_mode(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    result = await _start(hass, advanced=True)
    data = entry_data(emulator)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == data
    assert result["title"] == f"CosyVoice ({emulator.ws_url.split('/')[2]})"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({CONF_REGION: "custom"}, {CONF_WS_URL: "url_required"}),
        (
            {CONF_REGION: "custom", CONF_WS_URL: "http://x/y"},
            {CONF_WS_URL: "invalid_url"},
        ),
        (
            {CONF_REGION: "custom", CONF_WS_URL: "ws://x/y", CONF_HTTP_URL: "ftp://x"},
            {CONF_HTTP_URL: "invalid_url"},
        ),
        (
            {CONF_REGION: "cn", CONF_WS_URL: "ws://x/y"},
            {"base": "urls_need_custom_region"},
        ),
    ],
)
async def test_endpoint_errors(
    hass: HomeAssistant, fields: dict[str, str], errors: dict[str, str]
) -> None:
    result = await _start(hass, advanced=True)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: TEST_API_KEY, **fields}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors


@pytest.mark.usefixtures("regions_on_emulator")
async def test_same_key_and_region_only_once(hass: HomeAssistant) -> None:
    for expected in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT):
        result = await _start(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn"}
        )
        assert result["type"] is expected
    assert result["reason"] == "already_configured"
    # The same key in the other region is another account.
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "intl"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_reauth(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    loaded_entry: MockConfigEntry,
) -> None:
    emulator.config.api_keys.add(OTHER_KEY)
    result = await loaded_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": loaded_entry.title}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "sk-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data[CONF_API_KEY] == OTHER_KEY
    assert loaded_entry.data[CONF_WS_URL] == emulator.ws_url
    assert loaded_entry.unique_id == _unique_id(loaded_entry.data)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED


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


async def test_reconfigure(
    hass: HomeAssistant, emulator: DashScopeEmulator, loaded_entry: MockConfigEntry
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    # The key is never sent back to the browser.
    schema = result["data_schema"].schema
    for marker in schema:
        if marker == CONF_API_KEY:
            assert marker.description is None or "suggested_value" not in (
                marker.description
            )
    assert CONF_WS_URL in schema  # custom entries always show their URLs

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_REGION: "custom", CONF_WS_URL: "ws://"},
    )
    assert result["errors"] == {CONF_WS_URL: "invalid_url"}

    # A blank key keeps the old one; the HTTP URL is dropped.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_REGION: "custom", CONF_WS_URL: emulator.ws_url, CONF_WORKSPACE_ID: "w"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data == {
        CONF_API_KEY: TEST_API_KEY,
        CONF_REGION: "custom",
        CONF_WS_URL: emulator.ws_url,
        CONF_WORKSPACE_ID: "w",
    }
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("regions_on_emulator")
async def test_reconfigure_to_a_region_with_a_new_key(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    data = {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn"}
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id=_unique_id(data))
    entry.add_to_hass(hass)
    emulator.config.api_keys.add(OTHER_KEY)
    result = await entry.start_reconfigure_flow(hass)
    assert CONF_WS_URL not in result["data_schema"].schema
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_KEY, CONF_REGION: "intl"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_API_KEY: OTHER_KEY, CONF_REGION: "intl"}
    assert entry.title == "CosyVoice International (Singapore)"
    assert entry.unique_id == _unique_id(entry.data)


async def _options(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    return result


SETTINGS = {
    CONF_MODEL: "cosyvoice-v2",
    CONF_FORMAT: "wav",
    CONF_SAMPLE_RATE: "16000",
    CONF_VOLUME: 60,
    CONF_RATE: 1.2,
    CONF_PITCH: 0.9,
    CONF_LONG_TEXT_THRESHOLD: 300,
    CONF_ROUTE: "auto",
    CONF_POOL_SIZE: 2,
}


async def test_options_two_steps_and_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    old_client = loaded_entry.runtime_data.client
    result = await _options(hass, loaded_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS
    )
    assert result["step_id"] == "voice"
    assert result["description_placeholders"] == {"model": "cosyvoice-v2"}
    # The configured v3 voice does not fit v2, so v2's default is suggested.
    voice_field = next(iter(result["data_schema"].schema))
    assert voice_field.description == {"suggested_value": "longxiaochun_v2"}
    choices = result["data_schema"].schema[voice_field].config["options"]
    assert choices[0]["value"] == "longxiaochun_v2"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_VOICE: "longanyang"}
    )
    assert result["errors"] == {CONF_VOICE: "invalid_voice"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_VOICE: "longhua_v2"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {
        **SETTINGS,
        CONF_SAMPLE_RATE: 16000,
        CONF_VOICE: "longhua_v2",
    }
    await hass.async_block_till_done()
    client = loaded_entry.runtime_data.client
    assert client is not old_client
    assert old_client.pool.closed
    assert client.pool.settings.max_connections == 2
    assert client.routing.route == "auto"
    assert client.routing.long_text_threshold == 300


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {CONF_FORMAT: "opus", CONF_SAMPLE_RATE: "22050"},
            {CONF_SAMPLE_RATE: "invalid_sample_rate"},
        ),
        (
            {
                CONF_MODEL: "cosyvoice-v1",
                CONF_FORMAT: "opus",
                CONF_SAMPLE_RATE: "24000",
            },
            {CONF_FORMAT: "invalid_format"},
        ),
        (
            {CONF_ROUTE: "http", CONF_MODEL: "cosyvoice-v1"},
            {CONF_ROUTE: "http_unavailable"},
        ),
    ],
)
async def test_options_errors(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await _options(hass, loaded_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**SETTINGS, **changes}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors


async def test_http_route_needs_an_http_endpoint(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    data = entry_data(emulator)
    del data[CONF_HTTP_URL]
    entry = MockConfigEntry(domain=DOMAIN, data=data)
    entry.add_to_hass(hass)
    result = await _options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**SETTINGS, CONF_ROUTE: "http"}
    )
    assert result["errors"] == {CONF_ROUTE: "http_unavailable"}


async def test_options_cloned_voice_for_a_model_without_system_voices(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    model = "cosyvoice-v3.5-flash"
    result = await _options(hass, loaded_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**SETTINGS, CONF_MODEL: model, CONF_FORMAT: "mp3"}
    )
    assert result["step_id"] == "voice"
    voice_field = next(iter(result["data_schema"].schema))
    assert voice_field.description is None  # nothing to suggest
    assert result["data_schema"].schema[voice_field].config["options"] == []
    cloned = f"{model}-myvoice-0a1b2c"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_VOICE: f" {cloned} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_VOICE] == cloned
    await hass.async_block_till_done()

    # Opening the options again offers the cloned voice first.
    result = await _options(hass, loaded_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**SETTINGS, CONF_MODEL: model, CONF_FORMAT: "mp3"}
    )
    voice_field = next(iter(result["data_schema"].schema))
    assert voice_field.description == {"suggested_value": cloned}
    options = result["data_schema"].schema[voice_field].config["options"]
    assert options == [{"value": cloned, "label": cloned}]
