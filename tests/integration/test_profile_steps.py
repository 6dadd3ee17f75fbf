"""A voice profile from the account's flows: added from the account flow, edited in options."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.config_flow import _unique_id
from custom_components.cosyvoice.const import (
    CONF_MODEL,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    DOMAIN,
)
from custom_components.cosyvoice.profiles import profiles
from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY

from .conftest import entry_data, first_profile, profile_data, tts_entity
from .test_profile_flow import SETTINGS


async def _menu(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "account_exists"
    return result


async def _choose(hass: HomeAssistant, result: Any, step: str) -> Any:
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def _second_account(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> MockConfigEntry:
    """Another account on the emulator (another key), set up."""
    other_key = "sk-test-second-account"
    emulator.config.api_keys.add(other_key)
    data = entry_data(emulator, **{CONF_API_KEY: other_key})
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        title="CosyVoice (second)",
        data=data,
        unique_id=_unique_id(data),
        subentries_data=[profile_data()],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_with_an_account_the_first_choice_is_a_voice_profile_for_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await _menu(hass)
    assert result["menu_options"] == ["add_profile", "new_account"]
    assert result["description_placeholders"] == {"account": loaded_entry.title}

    result = await _choose(hass, result, "add_profile")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "profile"
    assert result["description_placeholders"] == {"account": loaded_entry.title}
    fields = [str(marker) for marker in result["data_schema"].schema]
    assert fields[0] == CONF_NAME
    # The same checks as the profile's own flow, under the account flow's keys.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SETTINGS, CONF_NAME: " "}
    )
    assert result["errors"] == {CONF_NAME: "name_required"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SETTINGS, CONF_NAME: "Alarms"}
    )
    assert result["step_id"] == "profile_voice"
    assert result["description_placeholders"] == {
        "account": loaded_entry.title,
        "model": "cosyvoice-v2",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_VOICE: "longanyang"},  # not a v2 voice
    )
    assert result["errors"] == {CONF_VOICE: "invalid_voice"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VOICE: "longhua_v2"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "profile_added"
    assert result["description_placeholders"] == {
        "profile": "Alarms",
        "account": loaded_entry.title,
    }
    await hass.async_block_till_done()

    # No second account: a profile of this one, with its entity, and no reload.
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert loaded_entry.state is ConfigEntryState.LOADED
    alarms = profiles(loaded_entry)[-1]
    assert alarms.title == "Alarms"
    assert alarms.data[CONF_VOICE] == "longhua_v2"
    assert alarms.data[CONF_SAMPLE_RATE] == 16000
    entity = tts_entity(hass, loaded_entry, alarms)
    assert entity.name == "Alarms"
    assert (entity.default_options or {})[CONF_VOICE] == "longhua_v2"
    registered = er.async_get(hass).async_get(entity.entity_id)
    assert registered is not None
    assert registered.config_subentry_id == alarms.subentry_id


async def test_with_several_accounts_the_user_picks_one(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    second = await _second_account(hass, emulator)
    result = await _menu(hass)
    assert result["menu_options"] == ["pick_account", "new_account"]
    result = await _choose(hass, result, "pick_account")
    assert result["step_id"] == "pick_account"
    choices = result["data_schema"].schema["account"].config["options"]
    assert choices == [
        {"value": loaded_entry.entry_id, "label": loaded_entry.title},
        {"value": second.entry_id, "label": second.title},
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"account": second.entry_id}
    )
    assert result["description_placeholders"] == {"account": second.title}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SETTINGS, CONF_NAME: "Kitchen"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VOICE: "longhua_v2"}
    )
    assert result["reason"] == "profile_added"
    await hass.async_block_till_done()
    assert [p.title for p in profiles(second)] == ["CosyVoice", "Kitchen"]
    assert [p.title for p in profiles(loaded_entry)] == ["CosyVoice"]
    kitchen = tts_entity(hass, second, profiles(second)[-1])
    assert kitchen.name == "Kitchen"


@pytest.mark.usefixtures("regions_on_emulator")
async def test_another_account_is_the_second_choice_and_a_key_counts_once(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    data = {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn"}
    MockConfigEntry(
        domain=DOMAIN,
        version=2,
        title="CosyVoice China",
        data=data,
        unique_id=_unique_id(data),
    ).add_to_hass(hass)
    result = await _choose(hass, await _menu(hass), "new_account")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert {str(marker) for marker in result["data_schema"].schema} == {
        CONF_API_KEY,
        CONF_REGION,
        "advanced",
    }
    credentials = {CONF_API_KEY: TEST_API_KEY, CONF_REGION: "cn", "advanced": {}}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    # Another region is another account, still through the menu.
    result = await _choose(hass, await _menu(hass), "new_account")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**credentials, CONF_REGION: "intl"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


async def _options_menu(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "init"
    assert result["menu_options"] == ["account", "pick_profile"]
    assert result["description_placeholders"] == {"account": entry.title}
    return result


async def _edit(hass: HomeAssistant, result: Any, data: dict[str, Any]) -> Any:
    return await hass.config_entries.options.async_configure(result["flow_id"], data)


async def test_options_edit_the_only_profile_in_place(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    profile = first_profile(loaded_entry)
    entity = tts_entity(hass, loaded_entry)
    entity_id = entity.entity_id
    entries = hass.config_entries
    with patch.object(entries, "async_reload", wraps=entries.async_reload) as reload:
        result = await _edit(
            hass,
            await _options_menu(hass, loaded_entry),
            {"next_step_id": "pick_profile"},
        )
        # One profile: nothing to choose; its form shows its current values.
        assert result["step_id"] == "profile"
        assert result["description_placeholders"] == {
            "account": loaded_entry.title,
            "profile": profile.title,
        }
        fields = {str(m): m for m in result["data_schema"].schema}
        assert CONF_NAME not in fields
        assert fields["volume"].description == {"suggested_value": 50}
        result = await _edit(hass, result, {**SETTINGS, "volume": 70})
        assert result["step_id"] == "profile_voice"
        result = await _edit(hass, result, {CONF_VOICE: "longhua_v2"})
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "profile_saved"
        assert result["description_placeholders"] == {"profile": profile.title}
        await hass.async_block_till_done()
    assert reload.call_count == 0
    (saved,) = profiles(loaded_entry)
    assert saved.subentry_id == profile.subentry_id
    assert saved.data["volume"] == 70
    assert saved.data[CONF_MODEL] == "cosyvoice-v2"
    # The same entity, its ids kept, its defaults changed where it stands.
    assert tts_entity(hass, loaded_entry) is entity
    assert entity.entity_id == entity_id
    assert (entity.default_options or {})[CONF_VOICE] == "longhua_v2"
    assert (entity.default_options or {})["volume"] == 70
    assert loaded_entry.options == {}  # the account's own options untouched


async def test_options_pick_which_profile_to_edit(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    first = first_profile(loaded_entry)
    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, "tts"), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**SETTINGS, CONF_NAME: "Alarms"}
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_VOICE: "longhua_v2"}
    )
    await hass.async_block_till_done()
    alarms = profiles(loaded_entry)[-1]

    result = await _edit(
        hass, await _options_menu(hass, loaded_entry), {"next_step_id": "pick_profile"}
    )
    assert result["step_id"] == "pick_profile"
    choices = result["data_schema"].schema["profile"].config["options"]
    assert choices == [
        {"value": first.subentry_id, "label": first.title},
        {"value": alarms.subentry_id, "label": "Alarms"},
    ]
    result = await _edit(hass, result, {"profile": alarms.subentry_id})
    assert result["description_placeholders"]["profile"] == "Alarms"
    fields = {str(m): m for m in result["data_schema"].schema}
    assert fields["volume"].description == {"suggested_value": 60}
    result = await _edit(hass, result, {**SETTINGS, "volume": 20})
    result = await _edit(hass, result, {CONF_VOICE: "longhua_v2"})
    assert result["reason"] == "profile_saved"
    await hass.async_block_till_done()
    assert profiles(loaded_entry)[-1].data["volume"] == 20
    assert dict(profiles(loaded_entry)[0].data) == dict(first.data)


async def test_options_of_an_account_without_profiles_are_its_settings(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=2, data=entry_data(emulator))
    entry.add_to_hass(hass)
    assert await async_setup_component(hass, "homeassistant", {})
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "account"
