"""What the home sees of every message CosyVoice did not speak: sensors, event, diagnostics.

Messages refused before they reach the client (a bad option) count as much as the
service's failures; the counts outlive reloads and restarts; the message's text is
never in an event or in diagnostics.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import pytest
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_restore_state_shutdown_restart,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cosyvoice.api import CannotConnectError, ServiceUnavailableError
from custom_components.cosyvoice.const import DOMAIN, EVENT_SPEECH_FAILED
from custom_components.cosyvoice.reactions import react, recovered
from devtools.emulator import DashScopeEmulator, Fault
from tests.integration.conftest import first_profile, tts_entity

SECRET_TEXT = "The spare key is under the third flowerpot."
"""What a message says: it must show nowhere."""
BAD_RATE = {"rate": 99}
"""An option the profile's model refuses before anything is sent."""
FALLBACK = "tts.piper"

COUNTS = ("requests", "failures", "spoken_by_fallback")


def _sensor_id(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert found is not None, key
    return found


def _state(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    state = hass.states.get(_sensor_id(hass, entry, key))
    assert state is not None, key
    return state.state


def _counts(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    return {key: _state(hass, entry, key) for key in (*COUNTS, "last_error")}


def _message_attribute(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    state = hass.states.get(_sensor_id(hass, entry, "last_error"))
    assert state is not None
    return state.attributes.get("message")


async def _say(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    options: dict[str, Any] | None = None,
    message: str = SECRET_TEXT,
) -> None:
    entity = tts_entity(hass, entry)
    merged = {**(entity.default_options or {}), **(options or {})}
    await entity.async_get_tts_audio(message, "en", merged)


async def _stream(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entity = tts_entity(hass, entry)

    async def text() -> AsyncGenerator[str]:
        yield SECRET_TEXT

    options = {**(entity.default_options or {}), **BAD_RATE}
    await entity.async_stream_tts_audio(TTSAudioRequest("en", options, text()))


async def test_refused_messages_count_at_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    assert _counts(hass, loaded_entry) == {
        "requests": "0",
        "failures": "0",
        "spoken_by_fallback": "0",
        "last_error": "none",
    }
    for _ in range(4):
        with pytest.raises(ServiceValidationError):
            await _say(hass, loaded_entry, BAD_RATE)
    with pytest.raises(ServiceValidationError):
        await _stream(hass, loaded_entry)
    # No await since: the sensors were written as the callers got their errors.
    assert _counts(hass, loaded_entry) == {
        "requests": "5",
        "failures": "5",
        "spoken_by_fallback": "0",
        "last_error": "invalid_option",
    }
    assert "rate" in _message_attribute(hass, loaded_entry)
    assert not emulator.tasks
    assert loaded_entry.runtime_data.client.stats.requests == 0  # it never saw them


async def test_a_message_the_fallback_spoke(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    error = react(
        hass,
        loaded_entry,
        first_profile(loaded_entry),
        ServiceUnavailableError("InternalError: oops"),
        fallback=FALLBACK,
        length=len(SECRET_TEXT),
    )
    assert error.translation_key == "service_unavailable"
    assert _counts(hass, loaded_entry) == {
        "requests": "1",
        "failures": "1",
        "spoken_by_fallback": "1",
        "last_error": "service_unavailable",
    }
    react(hass, loaded_entry, first_profile(loaded_entry), CannotConnectError("no"))
    assert _state(hass, loaded_entry, "spoken_by_fallback") == "1"
    assert _state(hass, loaded_entry, "failures") == "2"


async def test_the_event_names_the_entity_kind_profile_and_fallback(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    events = async_capture_events(hass, EVENT_SPEECH_FAILED)
    entity_id = tts_entity(hass, loaded_entry).entity_id
    with pytest.raises(ServiceValidationError):
        await _say(hass, loaded_entry, BAD_RATE)
    emulator.add_fault(Fault.task_failed("InvalidParameter", "bad voice"))
    with pytest.raises(HomeAssistantError):
        await _say(hass, loaded_entry)
    react(
        hass,
        loaded_entry,
        first_profile(loaded_entry),
        ServiceUnavailableError("InternalError: oops"),
        fallback=FALLBACK,
        length=len(SECRET_TEXT),
    )
    await hass.async_block_till_done()
    assert [event.data for event in events] == [
        {
            "entity_id": entity_id,
            "kind": "invalid_option",
            "profile": "CosyVoice",
            "fallback": None,
        },
        {
            "entity_id": entity_id,
            "kind": "synthesis_failed",
            "profile": "CosyVoice",
            "fallback": None,
        },
        {
            "entity_id": entity_id,
            "kind": "service_unavailable",
            "profile": "CosyVoice",
            "fallback": FALLBACK,
        },
    ]
    assert SECRET_TEXT not in json.dumps([event.as_dict() for event in events])


async def test_no_message_no_count_and_no_event(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    # Connections kept ready failing while the house is quiet: no message failed.
    events = async_capture_events(hass, EVENT_SPEECH_FAILED)
    react(hass, loaded_entry, None, CannotConnectError("no route"))
    recovered(hass, loaded_entry, spoke=False)
    await hass.async_block_till_done()
    assert events == []
    assert _counts(hass, loaded_entry) == {
        "requests": "0",
        "failures": "0",
        "spoken_by_fallback": "0",
        "last_error": "none",
    }


async def _count_one_of_each(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One message spoken, one refused, one the fallback spoke."""
    await _say(hass, entry)
    with pytest.raises(ServiceValidationError):
        await _say(hass, entry, BAD_RATE)
    react(
        hass,
        entry,
        first_profile(entry),
        ServiceUnavailableError("InternalError: oops"),
        fallback=FALLBACK,
    )


COUNTED = {
    "requests": "3",
    "failures": "2",
    "spoken_by_fallback": "1",
    "last_error": "service_unavailable",
}


async def test_counts_and_the_last_error_survive_a_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await _count_one_of_each(hass, loaded_entry)
    assert _counts(hass, loaded_entry) == COUNTED
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.runtime_data.health.requests == 0  # a new run
    assert _counts(hass, loaded_entry) == COUNTED
    assert _message_attribute(hass, loaded_entry) == "InternalError: oops"

    with pytest.raises(ServiceValidationError):
        await _say(hass, loaded_entry, BAD_RATE)
    assert _counts(hass, loaded_entry) == {
        **COUNTED,
        "requests": "4",
        "failures": "3",
        "last_error": "invalid_option",
    }


async def test_counts_and_the_last_error_survive_a_restart(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await _count_one_of_each(hass, loaded_entry)
    # Home Assistant stops (the entry first), saves, starts again: a fresh client.
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert _counts(hass, loaded_entry) == COUNTED
    assert _message_attribute(hass, loaded_entry) == "InternalError: oops"

    await _say(hass, loaded_entry)
    assert _counts(hass, loaded_entry) == {**COUNTED, "requests": "4"}


async def test_diagnostics_list_failed_messages_without_their_text(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    await _say(hass, loaded_entry)
    with pytest.raises(ServiceValidationError):
        await _say(hass, loaded_entry, BAD_RATE)
    emulator.add_fault(Fault.task_failed("InvalidParameter", "bad voice"))
    with pytest.raises(HomeAssistantError):
        await _say(hass, loaded_entry)
    profile = first_profile(loaded_entry)
    react(
        hass,
        loaded_entry,
        profile,
        ServiceUnavailableError("InternalError: oops"),
        fallback=FALLBACK,
        length=len(SECRET_TEXT),
    )
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    assert SECRET_TEXT not in json.dumps(diagnostics)
    messages = diagnostics["messages"]
    assert (messages["requests"], messages["failures"]) == (4, 3)
    assert messages["spoken_by_fallback"] == 1
    since = datetime.fromisoformat(messages["since"])
    failed = messages["recent_errors"]
    assert [error["kind"] for error in failed] == [
        "invalid_option",
        "synthesis_failed",
        "service_unavailable",
    ]
    for error in failed:
        assert error.keys() == {
            "at",
            "profile",
            "profile_id",
            "kind",
            "length",
            "fallback",
        }
        assert (error["profile"], error["profile_id"]) == (
            "CosyVoice",
            profile.subentry_id,
        )
        assert datetime.fromisoformat(error["at"]) >= since
    assert (failed[-1]["length"], failed[-1]["fallback"]) == (
        len(SECRET_TEXT),
        FALLBACK,
    )
