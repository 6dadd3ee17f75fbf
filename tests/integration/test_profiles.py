"""Voice profiles: several TTS entities on one account, and entries from before them."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

from homeassistant.components import tts
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.const import DOMAIN
from custom_components.cosyvoice.profiles import profiles
from devtools.emulator import DashScopeEmulator

from .conftest import device_of, entry_data, profile_data, tts_entity


async def test_two_profiles_share_one_pool_then_change_and_go(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        title="CosyVoice (emulator)",
        data=entry_data(emulator),
        options={"pool_size": 2},
        subentries_data=[
            profile_data("Greetings", model="cosyvoice-v3-flash", voice="longanhuan"),
            profile_data("Alarms", model="cosyvoice-v2", voice="longxiaochun_v2"),
        ],
    )
    entry.add_to_hass(hass)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    greetings, alarms = profiles(entry)
    greet, alarm = tts_entity(hass, entry, greetings), tts_entity(hass, entry, alarms)
    greet_id = greet.entity_id
    assert greet.name == "Greetings"
    assert alarm.name == "Alarms"
    # Each profile's picker offers its own model's voices.
    assert "longxiaochun_v2" in [
        v.voice_id for v in alarm.async_get_supported_voices("zh")
    ]
    assert "longxiaochun_v2" not in [
        v.voice_id for v in greet.async_get_supported_voices("zh")
    ]

    # Both speak at once, over the account's one pool of connections.
    emulator.config.first_audio_delay = 0.2
    await asyncio.gather(
        greet.async_get_tts_audio("早上好。", "zh", greet.default_options or {}),
        alarm.async_get_tts_audio("起床了。", "zh", alarm.default_options or {}),
    )
    spoken = {(t.model, t.parameters["voice"]) for t in emulator.tasks}
    assert spoken == {
        ("cosyvoice-v3-flash", "longanhuan"),
        ("cosyvoice-v2", "longxiaochun_v2"),
    }
    assert {t.connection_id for t in emulator.tasks} == {1, 2}  # at once, not queued
    client = entry.runtime_data.client
    assert client.pool.open_connections == 2
    assert client.pool.settings.max_connections == 2

    # Reconfigure one: the entry reloads, the entity keeps its id.
    hass.config_entries.async_update_subentry(
        entry, greetings, data={**greetings.data, "volume": 80}
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert tts_entity(hass, entry, greetings).entity_id == greet_id
    assert (tts_entity(hass, entry, greetings).default_options or {})["volume"] == 80

    # Remove the other: its entity and device go, the first stays through a reload.
    alarm_id = alarm.entity_id
    assert device_of(hass, entry, alarms.subentry_id)
    hass.config_entries.async_remove_subentry(entry, alarms.subentry_id)
    await hass.async_block_till_done()
    assert er.async_get(hass).async_get(alarm_id) is None
    assert not device_of(hass, entry, alarms.subentry_id)
    assert device_of(hass, entry, greetings.subentry_id)
    assert hass.states.get(alarm_id) is None
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert [p.title for p in profiles(entry)] == ["Greetings"]
    assert tts_entity(hass, entry, greetings).entity_id == greet_id
    assert hass.states.get(greet_id) is not None


async def test_a_version_1_entry_becomes_an_account_with_one_profile(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        title="CosyVoice (emulator)",
        data=entry_data(emulator),
        options={
            "model": "cosyvoice-v2",
            "voice": "longhua_v2",
            "volume": 70,
            "route": "auto",
            "pool_size": 3,
        },
    )
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    old = registry.async_get_or_create(
        "tts",
        DOMAIN,
        entry.entry_id,
        config_entry=entry,
        suggested_object_id="kitchen_voice",
    )

    assert await async_setup_component(hass, "homeassistant", {})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.version == 2
    assert entry.options == {"pool_size": 3}
    (profile,) = profiles(entry)
    assert (profile.subentry_type, profile.title) == ("tts", "CosyVoice")
    assert dict(profile.data) == {
        "model": "cosyvoice-v2",
        "voice": "longhua_v2",
        "volume": 70,
        "route": "auto",
    }
    # The same registry entry: entity id, unique id and so its history are kept.
    moved = registry.async_get(old.entity_id)
    assert moved is not None
    assert (moved.id, moved.unique_id) == (old.id, entry.entry_id)
    assert moved.config_subentry_id == profile.subentry_id
    entity = tts_entity(hass, entry)
    assert entity.entity_id == "tts.kitchen_voice"
    assert (entity.default_options or {})["voice"] == "longhua_v2"
    assert entry.runtime_data.client.pool.settings.max_connections == 3
    _, audio = await entity.async_get_tts_audio(
        "你好。", "zh", entity.default_options or {}
    )
    assert audio == emulator.tasks[-1].audio
    assert emulator.tasks[-1].parameters["voice"] == "longhua_v2"


async def test_an_entry_from_a_newer_version_is_refused(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=3, data=entry_data(emulator))
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_profiles_come_and_go_without_a_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    """A profile added or removed: its entity comes or goes, the others speak on."""
    first = tts_entity(hass, loaded_entry)
    client = loaded_entry.runtime_data.client
    with patch.object(
        hass.config_entries, "async_reload", wraps=hass.config_entries.async_reload
    ) as reload:
        hass.config_entries.async_add_subentry(
            loaded_entry, ConfigSubentry(**profile_data("Alarms", volume=80))
        )
        await hass.async_block_till_done()
        alarms = next(p for p in profiles(loaded_entry) if p.title == "Alarms")
        entity = tts_entity(hass, loaded_entry, alarms)
        assert (entity.default_options or {})["volume"] == 80
        stream = tts.async_create_stream(hass, entity.entity_id, None, {})
        stream.async_set_message("起床了。")
        assert b"".join([c async for c in stream.async_stream_result()])
        hass.config_entries.async_remove_subentry(loaded_entry, alarms.subentry_id)
        await hass.async_block_till_done()
        assert er.async_get(hass).async_get(entity.entity_id) is None
        assert hass.states.get(entity.entity_id) is None
    assert reload.call_count == 0
    assert tts_entity(hass, loaded_entry) is first
    assert loaded_entry.runtime_data.client is client
    assert emulator.tasks[-1].texts == ["起床了。"]
