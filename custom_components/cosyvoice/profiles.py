"""Voice profiles: the ``tts`` subentries of an account, each a TTS entity of its own.

An entry is the account (key, region, endpoint, the shared connection pool); each
profile is a model, a voice and how they sound. Entries made before profiles
existed (version 1) kept all of that in their options: they become version 2 with
one profile holding those options, whose entity keeps its entity id and unique id.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import DOMAIN
from .option_table import DEFAULT_PROFILE

if TYPE_CHECKING:  # runtime.py builds on these
    from .runtime import CosyVoiceConfigEntry

SUBENTRY_TYPE: Final = "tts"
FIRST_PROFILE_TITLE: Final = "CosyVoice"
"""The profile a new or migrated entry starts with (the entity's old name)."""


def profiles(entry: CosyVoiceConfigEntry) -> list[ConfigSubentry]:
    """The entry's voice profiles."""
    return [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_TYPE]


def entity_unique_id(profile: ConfigSubentry) -> str:
    """The profile's TTS entity: a migrated profile keeps the old entity's id."""
    return profile.unique_id or profile.subentry_id


def _shape(entry: CosyVoiceConfigEntry) -> dict[str, Any]:
    """What the loaded entities were built from: a change means a reload."""
    return {p.subentry_id: (p.title, dict(p.data)) for p in profiles(entry)}


@callback
def async_reload_on_profile_change(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry
) -> None:
    """Reload the entry when a profile is added, changed or removed.

    Not an update listener: Home Assistant 2026.12 refuses one on an entry that
    reauthentication reloads; and a profile removed on the entry page passes through
    no flow of ours. Changes of the account (a new key) are reloaded by their flows.
    """
    loaded = _shape(entry)

    @callback
    def _changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        nonlocal loaded
        if (
            change is not ConfigEntryChange.UPDATED
            or changed.entry_id != entry.entry_id
        ):
            return
        # State changes are updates too (the reload's own unloading among them).
        if (shape := _shape(changed)) != loaded:
            loaded = shape
            hass.config_entries.async_schedule_reload(entry.entry_id)

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _changed)
    )


@callback
def async_migrate_to_profiles(hass: HomeAssistant, entry: CosyVoiceConfigEntry) -> None:
    """Version 1 → 2: the options become the first profile, the entity moves into it."""
    profile = {k: v for k, v in entry.options.items() if k in DEFAULT_PROFILE}
    account = {k: v for k, v in entry.options.items() if k not in DEFAULT_PROFILE}
    subentry = ConfigSubentry(
        data=MappingProxyType(profile),
        subentry_type=SUBENTRY_TYPE,
        title=FIRST_PROFILE_TITLE,
        unique_id=entry.entry_id,
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    registry = er.async_get(hass)
    if entity_id := registry.async_get_entity_id("tts", DOMAIN, entry.entry_id):
        registry.async_update_entity(entity_id, config_subentry_id=subentry.subentry_id)
    hass.config_entries.async_update_entry(entry, options=account, version=2)
