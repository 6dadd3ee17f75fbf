"""Diagnostic sensors: pushed after every request, billed characters kept across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, EntityCategory
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_restore_state_shutdown_restart,
    mock_restore_cache_with_extra_data,
)

from custom_components.cosyvoice.const import DOMAIN
from devtools.emulator import DashScopeEmulator, Fault
from tests.integration.conftest import device_of, first_profile, tts_entity

HELLO = "你好"
"""Billed as 4 characters: Han characters count twice."""

ENABLED = (
    "requests",
    "failures",
    "last_error",
    "billed_characters_today",
    "billed_characters_total",
)
NOISY = ("first_audio_p50", "first_audio_p95", "open_connections")

TOTAL_ID = "sensor.cosyvoice_emulator_billed_characters_total"
TODAY_ID = "sensor.cosyvoice_emulator_billed_characters_today"


@pytest.fixture(autouse=True)
def stable_billed_ids(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    """Register the billed sensors under fixed ids: restore data is kept by id.

    Their device is named after the endpoint, whose port changes every run.
    """
    registry = er.async_get(hass)
    for entity_id in (TOTAL_ID, TODAY_ID):
        key = entity_id.removeprefix("sensor.cosyvoice_emulator_")
        registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{config_entry.entry_id}_{key}",
            suggested_object_id=entity_id.removeprefix("sensor."),
            config_entry=config_entry,
        )


def _entity_id(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert found is not None, key
    return found


def _state(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    state = hass.states.get(_entity_id(hass, entry, key))
    assert state is not None, key
    return state.state


def _states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    return {key: _state(hass, entry, key) for key in ENABLED}


async def _speak(
    hass: HomeAssistant, entry: MockConfigEntry, message: str = HELLO
) -> None:
    entity = tts_entity(hass, entry)
    await entity.async_get_tts_audio(
        message, "zh-CN", dict(entity.default_options or {})
    )


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _enable_noisy(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    registry = er.async_get(hass)
    for key in NOISY:
        registry.async_update_entity(_entity_id(hass, entry, key), disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


def _extra(value: Any, day: str | None) -> dict[str, Any]:
    return {"native_value": value, "native_unit_of_measurement": None, "day": day}


async def test_sensors_start_at_zero(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    assert _states(hass, loaded_entry) == {
        "requests": "0",
        "failures": "0",
        "last_error": "none",
        "billed_characters_today": "0",
        "billed_characters_total": "0",
    }


async def test_registry_device_names_and_attributes(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    tts_entry = registry.async_get(tts_entity(hass, loaded_entry).entity_id)
    assert tts_entry is not None
    devices = dr.async_get(hass)
    account = device_of(hass, loaded_entry, loaded_entry.entry_id)
    assert account is not None
    # The voice profile has a device of its own, in its subentry.
    profile_device = devices.async_get(tts_entry.device_id or "")
    assert profile_device is not None
    assert profile_device.id != account.id
    assert profile_device.identifiers == {(DOMAIN, tts_entry.config_subentry_id)}
    # Each named as what it is: the account after its entry, the profile after itself.
    assert account.name == loaded_entry.title == "CosyVoice (emulator)"
    assert profile_device.name == first_profile(loaded_entry).title == "CosyVoice"
    for key in ENABLED + NOISY:
        entry = registry.async_get(_entity_id(hass, loaded_entry, key))
        assert entry is not None
        assert entry.unique_id == f"{loaded_entry.entry_id}_{key}"
        assert entry.translation_key == key
        assert entry.entity_category is EntityCategory.DIAGNOSTIC
        assert entry.device_id == account.id
        if key in NOISY:
            assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
            assert hass.states.get(entry.entity_id) is None
        else:
            assert entry.disabled_by is None

    requests = hass.states.get(_entity_id(hass, loaded_entry, "requests"))
    assert requests is not None
    assert requests.name == "CosyVoice (emulator) Requests"
    assert requests.attributes["state_class"] == "total_increasing"
    total = hass.states.get(TOTAL_ID)
    assert total is not None
    assert total.name == "CosyVoice (emulator) Billed characters total"
    assert total.attributes["state_class"] == "total_increasing"
    assert hass.states.get(TODAY_ID) is not None


async def test_success_is_pushed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    await _speak(hass, loaded_entry)
    assert emulator.tasks[-1].characters == 4
    assert _states(hass, loaded_entry) == {
        "requests": "1",
        "failures": "0",
        "last_error": "none",
        "billed_characters_today": "4",
        "billed_characters_total": "4",
    }
    await _speak(hass, loaded_entry, "Hello.")
    assert _state(hass, loaded_entry, "billed_characters_total") == "10"
    assert _state(hass, loaded_entry, "requests") == "2"


async def test_failure_is_pushed_and_stays_the_last_error(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.task_failed("InvalidParameter", "bad voice"))
    with pytest.raises(HomeAssistantError):
        await _speak(hass, loaded_entry)
    expected = {
        "requests": "1",
        "failures": "1",
        "last_error": "synthesis_failed",
        "billed_characters_today": "0",
        "billed_characters_total": "0",
    }
    assert _states(hass, loaded_entry) == expected
    # A success is counted, but the last error is still the last error.
    await _speak(hass, loaded_entry)
    assert _states(hass, loaded_entry) == {
        **expected,
        "requests": "2",
        "billed_characters_today": "4",
        "billed_characters_total": "4",
    }


async def test_a_long_error_is_cut_to_what_a_state_holds(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.task_failed("InvalidParameter", "x" * 400))
    with pytest.raises(HomeAssistantError):
        await _speak(hass, loaded_entry)
    state = hass.states.get(_entity_id(hass, loaded_entry, "last_error"))
    assert state is not None
    message = state.attributes["message"]
    assert len(message) == 255
    assert message.startswith("InvalidParameter: xxx")
    assert message.endswith("x…")


async def test_noisy_sensors_once_enabled(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await _enable_noisy(hass, loaded_entry)
    # The new client's warm-up connection is open; no latency is known yet.
    assert _state(hass, loaded_entry, "open_connections") == "1"
    assert _state(hass, loaded_entry, "first_audio_p50") == STATE_UNKNOWN
    p95 = hass.states.get(_entity_id(hass, loaded_entry, "first_audio_p95"))
    assert p95 is not None
    assert p95.attributes["unit_of_measurement"] == "ms"
    assert p95.attributes["device_class"] == "duration"
    assert p95.attributes["state_class"] == "measurement"

    await _speak(hass, loaded_entry)
    latency = loaded_entry.runtime_data.client.snapshot()["first_audio_ms"]
    assert latency["p50"] is not None
    assert float(_state(hass, loaded_entry, "first_audio_p50")) == latency["p50"]
    assert float(_state(hass, loaded_entry, "first_audio_p95")) == latency["p95"]

    await loaded_entry.runtime_data.client.pool.close()
    assert _state(hass, loaded_entry, "open_connections") == "0"


async def test_unloading_stops_listening(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    stats = loaded_entry.runtime_data.client.stats
    health = loaded_entry.runtime_data.health
    assert stats._listeners
    assert health._listeners
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert not stats._listeners
    assert not health._listeners


async def test_billed_characters_are_restored(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(datetime(2025, 3, 1, 12, tzinfo=dt_util.get_default_time_zone()))
    mock_restore_cache_with_extra_data(
        hass,
        [
            (State(TOTAL_ID, "1000"), _extra(1000, "2025-02-27")),
            (State(TODAY_ID, "40"), _extra(40, "2025-03-01")),
        ],
    )
    await _set_up(hass, config_entry)
    assert _state(hass, config_entry, "billed_characters_total") == "1000"
    assert _state(hass, config_entry, "billed_characters_today") == "40"

    await _speak(hass, config_entry)
    assert _state(hass, config_entry, "billed_characters_total") == "1004"
    assert _state(hass, config_entry, "billed_characters_today") == "44"

    # Home Assistant stops (the entry first), saves, starts again: a fresh client.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.runtime_data.client.stats.billed_characters == 0
    assert _state(hass, config_entry, "billed_characters_total") == "1004"
    assert _state(hass, config_entry, "billed_characters_today") == "44"

    await _speak(hass, config_entry)
    assert _state(hass, config_entry, "billed_characters_total") == "1008"
    assert _state(hass, config_entry, "billed_characters_today") == "48"


@pytest.mark.parametrize(
    ("today", "total", "restored_total"),
    [
        # Yesterday's count is not today's; the total has no day.
        (_extra(40, "2025-02-28"), _extra(1000, "2025-02-28"), "1000"),
        (_extra(40, None), {"native_value": 7}, "7"),
        # Not a count.
        (_extra(-5, "2025-03-01"), _extra("lots", "2025-03-01"), "0"),
        ({}, _extra(None, "2025-03-01"), "0"),
    ],
)
async def test_what_is_not_restored(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    today: dict[str, Any],
    total: dict[str, Any],
    restored_total: str,
) -> None:
    freezer.move_to(datetime(2025, 3, 1, 12, tzinfo=dt_util.get_default_time_zone()))
    mock_restore_cache_with_extra_data(
        hass, [(State(TOTAL_ID, "1000"), total), (State(TODAY_ID, "40"), today)]
    )
    await _set_up(hass, config_entry)
    assert _state(hass, config_entry, "billed_characters_total") == restored_total
    assert _state(hass, config_entry, "billed_characters_today") == "0"


async def test_without_restore_data_counting_starts_at_zero(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    await _set_up(hass, config_entry)
    await _speak(hass, config_entry)
    assert _state(hass, config_entry, "billed_characters_total") == "4"


async def test_today_starts_over_at_local_midnight(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    zone = dt_util.get_default_time_zone()
    freezer.move_to(datetime(2025, 3, 1, 23, 59, tzinfo=zone))
    await _set_up(hass, config_entry)
    await _speak(hass, config_entry)
    assert _state(hass, config_entry, "billed_characters_today") == "4"

    freezer.move_to(datetime(2025, 3, 1, 23, 59, 59, tzinfo=zone))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _state(hass, config_entry, "billed_characters_today") == "4"

    # Nothing is spoken after midnight, and still the day starts at zero.
    midnight = datetime(2025, 3, 2, tzinfo=zone)
    freezer.move_to(midnight)
    async_fire_time_changed(hass, midnight)
    await hass.async_block_till_done()
    assert _state(hass, config_entry, "billed_characters_today") == "0"
    assert _state(hass, config_entry, "billed_characters_total") == "4"

    await _speak(hass, config_entry)
    assert _state(hass, config_entry, "billed_characters_today") == "4"
    assert _state(hass, config_entry, "billed_characters_total") == "8"


async def test_request_ending_after_midnight_counts_for_the_new_day(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    # The midnight timer has not run yet when the request ends: the request itself
    # notices the new day, and its characters are the new day's first.
    await _speak(hass, loaded_entry)
    tomorrow = dt_util.now().date() + timedelta(days=1)
    with patch("custom_components.cosyvoice.sensor._today", return_value=tomorrow):
        await _speak(hass, loaded_entry, "Hello.")
    assert _state(hass, loaded_entry, "billed_characters_today") == "6"
    assert _state(hass, loaded_entry, "billed_characters_total") == "10"
