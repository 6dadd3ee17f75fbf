"""The repair issue of a voice profile whose fallback engine no longer exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.const import DOMAIN
from custom_components.cosyvoice.issues import (
    async_update_fallback_missing_issue,
    async_watch_fallback_engines,
)
from devtools.emulator import DashScopeEmulator

from .conftest import entry_data, first_profile, profile_data, tts_entity

STRINGS = json.loads(
    (
        Path(__file__).parents[2] / "custom_components" / "cosyvoice" / "strings.json"
    ).read_text(encoding="utf-8")
)


def _entry(
    emulator: DashScopeEmulator, unique_id: str, title: str, **profile: str
) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        version=2,
        title=f"CosyVoice ({unique_id})",
        data=entry_data(emulator),
        unique_id=unique_id,
        subentries_data=[profile_data(title, **profile)],
    )


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    issue_id = f"fallback_missing_{first_profile(entry).subentry_id}"
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


@pytest.mark.parametrize(
    ("fallback", "registered", "state", "missing"),
    [
        ("tts.piper", False, False, True),
        # Registered: its integration may not have loaded yet.
        ("tts.piper", True, False, False),
        # No unique id: a state alone.
        ("tts.piper", False, True, False),
        ("media_player.kitchen", False, True, True),
        ("", False, False, False),
    ],
)
async def test_issue_when_the_fallback_is_no_tts_entity(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    fallback: str,
    registered: bool,
    state: bool,
    missing: bool,
) -> None:
    entry = _entry(emulator, "ours", "Greetings", fallback_engine=fallback)
    await _set_up(hass, entry)
    if registered:
        domain, name = fallback.split(".")
        er.async_get(hass).async_get_or_create(
            domain, "piper", name, suggested_object_id=name
        )
    if state:
        hass.states.async_set(fallback, "unknown")
    async_update_fallback_missing_issue(hass, first_profile(entry))
    issue = _issue(hass, entry)
    if not missing:
        assert issue is None
        return
    assert issue is not None
    assert (issue.severity, issue.is_fixable) == (ir.IssueSeverity.ERROR, False)
    assert issue.translation_key == "fallback_missing"
    assert issue.translation_placeholders == {
        "name": "Greetings",
        "fallback": fallback,
    }
    texts = STRINGS["issues"]["fallback_missing"]
    said = set(re.findall(r"\{(\w+)\}", texts["title"] + texts["description"]))
    assert said == {"name", "fallback"}


async def test_the_issue_follows_the_fallback_coming_and_going(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    backup = _entry(emulator, "backup", "Backup")
    await _set_up(hass, backup)
    fallback = tts_entity(hass, backup).entity_id
    ours = _entry(emulator, "ours", "Greetings", fallback_engine=fallback)
    await _set_up(hass, ours)
    # An issue left from before is cleared by the first check: the fallback exists.
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"fallback_missing_{first_profile(ours).subentry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="fallback_missing",
    )
    async_watch_fallback_engines(hass, ours)
    assert _issue(hass, ours) is None

    # The other account goes, and with it its entity.
    assert await hass.config_entries.async_remove(backup.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(fallback) is None
    issue = _issue(hass, ours)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "Greetings", "fallback": fallback}

    # An entity by that id comes back.
    hass.states.async_set(fallback, "unknown")
    await hass.async_block_till_done()
    assert _issue(hass, ours) is None

    # Unloaded, the entry no longer watches; removed, it takes its issues along.
    assert await hass.config_entries.async_unload(ours.entry_id)
    hass.states.async_remove(fallback)
    await hass.async_block_till_done()
    assert _issue(hass, ours) is None
    async_update_fallback_missing_issue(hass, first_profile(ours))
    assert _issue(hass, ours) is not None
    assert await hass.config_entries.async_remove(ours.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, ours) is None
