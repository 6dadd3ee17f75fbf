"""Voice profiles: the ``tts`` subentries of an account, each a TTS entity of its own.

An entry is the account (key, region, endpoint, the shared connection pool); each
profile is a model, a voice and how they sound. Entries made before profiles
existed (version 1) kept all of that in their options: they become version 2 with
one profile holding those options, whose entity keeps its entity id and unique id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


def first_profile_title(taken: Iterable[str]) -> str:
    """The first profile's name, told apart from the other accounts' profiles.

    A second account's first profile would be a second "CosyVoice" in every
    picker (media browser, fallback engines): it is "CosyVoice 2".
    """
    names = set(taken)
    title, number = FIRST_PROFILE_TITLE, 2
    while title in names:
        title, number = f"{FIRST_PROFILE_TITLE} {number}", number + 1
    return title


def profiles(entry: CosyVoiceConfigEntry) -> list[ConfigSubentry]:
    """The entry's voice profiles."""
    return [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_TYPE]


def entity_unique_id(profile: ConfigSubentry) -> str:
    """The profile's TTS entity: a migrated profile keeps the old entity's id."""
    return profile.unique_id or profile.subentry_id


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """What became of an entry's voice profiles since it was last looked at."""

    added: list[ConfigSubentry]
    changed: list[ConfigSubentry]
    removed: list[str]
    """Subentry ids; Home Assistant removes their entities and devices itself."""


def _shape(entry: CosyVoiceConfigEntry) -> dict[str, tuple[str, dict[str, Any]]]:
    return {p.subentry_id: (p.title, dict(p.data)) for p in profiles(entry)}


@callback
def async_follow_profiles(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    on_change: Callable[[ProfileChanges], None],
) -> Callable[[], None]:
    """Tell ``on_change`` when a profile is added, changed or removed; no reload.

    The entities take a change where they stand, so no announcement falls into a
    reload. Not an update listener: Home Assistant 2026.12 refuses one on an entry
    that reauthentication reloads; and a profile removed on the entry page passes
    through no flow of ours. Returns how to stop following.
    """
    known = _shape(entry)

    @callback
    def _changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        nonlocal known
        if (
            change is not ConfigEntryChange.UPDATED
            or changed.entry_id != entry.entry_id
        ):
            return
        # State changes are updates too (unloading among them): only shapes count.
        if (shape := _shape(entry)) == known:
            return
        now = {p.subentry_id: p for p in profiles(entry)}
        changes = ProfileChanges(
            added=[p for key, p in now.items() if key not in known],
            changed=[
                p for key, p in now.items() if key in known and shape[key] != known[key]
            ],
            removed=[key for key in known if key not in now],
        )
        known = shape
        on_change(changes)

    return async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _changed)


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
