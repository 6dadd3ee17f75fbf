"""Adding and changing voice profiles: name and settings, then a voice of the model."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.const import (
    CONF_FORMAT,
    CONF_HTTP_URL,
    CONF_LONG_TEXT_THRESHOLD,
    CONF_MODEL,
    CONF_ROUTE,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
)
from custom_components.cosyvoice.profiles import profiles
from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY

from .conftest import entry_data, first_profile, mock_entry, set_profile, tts_entity

SETTINGS = {
    CONF_MODEL: "cosyvoice-v2",
    CONF_FORMAT: "wav",
    CONF_SAMPLE_RATE: "16000",
    "volume": 60,
    "rate": 1.2,
    "pitch": 0.9,
    CONF_LONG_TEXT_THRESHOLD: 300,
    CONF_ROUTE: "auto",
}


async def _add(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "tts"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "tts"),
        context={
            "source": "reconfigure",
            "subentry_id": first_profile(entry).subentry_id,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    return result


def _voice_field(result: Any) -> Any:
    return next(iter(result["data_schema"].schema))


def _choices(result: Any) -> list[dict[str, str]]:
    choices: list[dict[str, str]] = (
        result["data_schema"].schema[_voice_field(result)].config["options"]
    )
    return choices


async def test_add_a_profile_in_two_steps_gives_it_an_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    first = tts_entity(hass, loaded_entry)
    result = await _add(hass, loaded_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**SETTINGS, CONF_NAME: "  "}
    )
    assert result["errors"] == {CONF_NAME: "name_required"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**SETTINGS, CONF_NAME: "Alarms"}
    )
    assert result["step_id"] == "voice"
    assert result["description_placeholders"] == {"model": "cosyvoice-v2"}
    # The default voice does not fit v2, so v2's default is suggested.
    assert _voice_field(result).description == {"suggested_value": "longxiaochun_v2"}
    assert _choices(result)[0]["value"] == "longxiaochun_v2"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_VOICE: "longanyang"}
    )
    assert result["errors"] == {CONF_VOICE: "invalid_voice"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_VOICE: "longhua_v2"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.LOADED
    first_after, alarms = profiles(loaded_entry)
    assert alarms.title == "Alarms"
    assert dict(alarms.data) == {
        **SETTINGS,
        CONF_SAMPLE_RATE: 16000,
        "instruction": "",
        CONF_VOICE: "longhua_v2",
        "fallback_engine": "",
        "fallback_after": 3.0,
        # Left out of the form: the defaults, as the profile stores them.
        "clean_text": True,
        "pronunciations": {},
        "replacements": {},
        "language_hints": [],
        "seed": None,
    }
    entity = tts_entity(hass, loaded_entry, alarms)
    # On a device of its own, both named as the user named the profile.
    assert entity.entity_id == "tts.alarms"
    assert entity.name == "Alarms"
    assert entity.registry_entry is not None
    device = dr.async_get(hass).async_get(entity.registry_entry.device_id or "")
    assert device is not None
    assert device.name == "Alarms"
    assert (entity.default_options or {})[CONF_VOICE] == "longhua_v2"
    assert tts_entity(hass, loaded_entry, first_after).entity_id == first.entity_id
    entry = er.async_get(hass).async_get(entity.entity_id)
    assert entry is not None
    assert entry.config_subentry_id == alarms.subentry_id


async def test_reconfigure_a_profile_takes_effect_without_a_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    entity_id = tts_entity(hass, loaded_entry).entity_id
    entries = hass.config_entries

    async def save(settings: dict[str, Any], voice: str) -> int:
        with patch.object(
            entries, "async_reload", wraps=entries.async_reload
        ) as reload:
            result = await _reconfigure(hass, loaded_entry)
            result = await entries.subentries.async_configure(
                result["flow_id"], settings
            )
            result = await entries.subentries.async_configure(
                result["flow_id"], {CONF_VOICE: voice}
            )
            assert result["type"] is FlowResultType.ABORT
            assert result["reason"] == "reconfigure_successful"
            await hass.async_block_till_done()
        assert loaded_entry.state is ConfigEntryState.LOADED
        return reload.call_count

    entity = tts_entity(hass, loaded_entry)
    assert await save(SETTINGS, "longhua_v2") == 0
    assert await save({**SETTINGS, "volume": 70}, "longhua_v2") == 0
    assert first_profile(loaded_entry).data["volume"] == 70
    # The same entity object, changed where it stands: its model, voice and options.
    assert tts_entity(hass, loaded_entry) is entity
    assert entity.entity_id == entity_id
    assert (entity.default_options or {})["volume"] == 70
    assert (entity.default_options or {})[CONF_VOICE] == "longhua_v2"
    assert (entity.default_options or {})[CONF_MODEL] == "cosyvoice-v2"
    assert (
        entity.supported_languages == ["zh", "en"] or "zh" in entity.supported_languages
    )
    assert not loaded_entry.update_listeners


async def test_reconfigure_keeps_a_voice_variant_the_list_leaves_out(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    set_profile(hass, loaded_entry, **{CONF_VOICE: "longhuhu"})
    await hass.async_block_till_done()
    result = await _reconfigure(hass, loaded_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**SETTINGS, CONF_MODEL: "cosyvoice-v3-flash"}
    )
    assert _voice_field(result).description == {"suggested_value": "longhuhu"}
    values = [o["value"] for o in _choices(result)]
    assert values[0] == "longhuhu"
    assert values.count("longhuhu") == 1


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
async def test_settings_errors(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await _reconfigure(hass, loaded_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**SETTINGS, **changes}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors


async def test_http_route_needs_an_http_endpoint(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    data = entry_data(emulator)
    del data[CONF_HTTP_URL]
    entry = mock_entry(emulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data=data)
    result = await _reconfigure(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**SETTINGS, CONF_ROUTE: "http"}
    )
    assert result["errors"] == {CONF_ROUTE: "http_unavailable"}


async def test_the_accounts_voices_are_offered_for_a_model_without_system_ones(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    model = "cosyvoice-v3.5-flash"
    cloned = emulator.add_voice(TEST_API_KEY, model, "family")
    emulator.add_voice(TEST_API_KEY, "cosyvoice-v3.5-plus", "other")
    await loaded_entry.runtime_data.voices.async_refresh()
    result = await _add(hass, loaded_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**SETTINGS, CONF_NAME: "Family", CONF_MODEL: model, CONF_FORMAT: "mp3"},
    )
    assert result["step_id"] == "voice"
    assert _voice_field(result).description is None  # nothing to suggest
    # Only the voice made for this model, saying so.
    assert _choices(result) == [
        {"value": cloned, "label": f"family · cloned for {model}"}
    ]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_VOICE: f" {cloned} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    family = profiles(loaded_entry)[-1]
    assert family.data[CONF_VOICE] == cloned
    voices = tts_entity(hass, loaded_entry, family).async_get_supported_voices("zh")
    assert [v.voice_id for v in voices] == [cloned]
