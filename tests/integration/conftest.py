"""Fixtures for tests with a real ``hass``: the integration against the emulator."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import tts
from homeassistant.config_entries import ConfigEntry, ConfigSubentry, ConfigSubentryData
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.api import endpoints
from custom_components.cosyvoice.const import (
    CONF_HTTP_URL,
    CONF_REGION,
    CONF_WS_URL,
    DOMAIN,
)
from custom_components.cosyvoice.profiles import (
    FIRST_PROFILE_TITLE,
    SUBENTRY_TYPE,
    entity_unique_id,
    profiles,
)
from custom_components.cosyvoice.tts import CosyVoiceTTSEntity
from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/cosyvoice."""


# What Home Assistant says of every custom integration, and how it reports the setup
# outcomes that tests cause on purpose (a rejected key, an unreachable service).
EXPECTED_NOTICES = (
    "We found a custom integration cosyvoice which has not been tested",
    "for cosyvoice integration could not authenticate",
    "for cosyvoice integration not ready yet",
    "for cosyvoice: The saved configuration is invalid",
    "which is higher than the current version",  # a downgrade, refused on purpose
    "request with invalid authentication",  # a preview asked for without a login
    # A message that fails on purpose: Home Assistant names it and says why, in our
    # translated words (which name CosyVoice).
    "Error getting audio for ",
    "Error getting audio from stream: ",
    "Error streaming tts: ",
)


@pytest.fixture(autouse=True)
def home_assistant_has_no_complaint(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which Home Assistant warns about this integration.

    Its usage reports (deprecations such as "has an update listener and should use
    it for scheduling a reload", breaking in 2026.12) name the integration at WARNING
    or above. Only Home Assistant's loggers count: what ours say is part of the tests,
    and asyncio's debug notes on slow steps (a busy machine) name no fault of ours.
    """
    yield
    complaints = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.levelno >= logging.WARNING
        and record.name.startswith("homeassistant")
        and "cosyvoice" in record.getMessage().lower()
        and not any(notice in record.getMessage() for notice in EXPECTED_NOTICES)
    ]
    assert not complaints, complaints


@pytest.fixture(autouse=True)
def tts_cache_dir(tmp_path: Path) -> Iterator[Path]:
    """Keep the TTS file cache in the test's temporary folder, empty at start."""
    cache = tmp_path / "tts"
    cache.mkdir()
    with (
        patch(
            "homeassistant.components.tts._init_tts_cache_dir",
            return_value=str(cache),
        ),
        patch("homeassistant.components.tts._get_cache_files", return_value={}),
    ):
        yield cache


@pytest.fixture
def regions_on_emulator(emulator: DashScopeEmulator) -> Iterator[None]:
    """Point the China and International presets at the emulator.

    The real service is never reachable from tests; this keeps the region code
    paths (presets, HTTP API only in China) while the bytes go to the emulator.
    """
    presets = {
        "cn": (emulator.ws_url, emulator.http_url),
        "intl": (emulator.ws_url, None),
    }
    with patch.dict(endpoints._PRESETS, presets):
        yield


def entry_data(emulator: DashScopeEmulator, **overrides: Any) -> dict[str, Any]:
    """Config entry data for a custom endpoint on the emulator."""
    return {
        CONF_API_KEY: TEST_API_KEY,
        CONF_REGION: "custom",
        CONF_WS_URL: emulator.ws_url,
        CONF_HTTP_URL: emulator.http_url,
        **overrides,
    }


def profile_data(title: str = FIRST_PROFILE_TITLE, **data: Any) -> ConfigSubentryData:
    """A voice profile for a mock entry's ``subentries_data``."""
    return ConfigSubentryData(
        data=data, subentry_type=SUBENTRY_TYPE, title=title, unique_id=None
    )


def mock_entry(emulator: DashScopeEmulator, **profile: Any) -> MockConfigEntry:
    """An account on the emulator with one voice profile of these settings."""
    return MockConfigEntry(
        domain=DOMAIN,
        version=2,
        title="CosyVoice (emulator)",
        data=entry_data(emulator),
        unique_id="emulator-entry",
        subentries_data=[profile_data(**profile)],
    )


@pytest.fixture
def config_entry(hass: HomeAssistant, emulator: DashScopeEmulator) -> MockConfigEntry:
    """An entry for the emulator, added to hass but not set up."""
    entry = mock_entry(emulator)
    entry.add_to_hass(hass)
    return entry


def device_of(
    hass: HomeAssistant, entry: ConfigEntry, identifier: str
) -> dr.DeviceEntry | None:
    """The entry's device with this identifier of ours (on every Home Assistant)."""
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(
                dr.async_get(hass), entry.entry_id
            )
            if (DOMAIN, identifier) in device.identifiers
        ),
        None,
    )


def first_profile(entry: ConfigEntry) -> ConfigSubentry:
    """The entry's first voice profile."""
    return profiles(entry)[0]


def set_profile(hass: HomeAssistant, entry: ConfigEntry, **data: Any) -> None:
    """Change the first profile's settings (a loaded entry then reloads)."""
    profile = first_profile(entry)
    hass.config_entries.async_update_subentry(
        entry, profile, data={**profile.data, **data}
    )


def tts_entity(
    hass: HomeAssistant, entry: ConfigEntry, profile: ConfigSubentry | None = None
) -> CosyVoiceTTSEntity:
    """A profile's TTS entity (the first one's by default), as Home Assistant holds it."""
    unique_id = entity_unique_id(profile or first_profile(entry))
    entity_id = er.async_get(hass).async_get_entity_id("tts", DOMAIN, unique_id)
    found = tts.get_engine_instance(hass, entity_id or "")
    assert isinstance(found, CosyVoiceTTSEntity)
    return found


@pytest.fixture
def entity(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> CosyVoiceTTSEntity:
    """The loaded entry's TTS entity."""
    return tts_entity(hass, loaded_entry)


@pytest.fixture
async def entity_id(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> str:
    """The entry's TTS entity id, with what serving audio over HTTP needs."""
    await async_process_ha_core_config(
        hass, {"internal_url": "http://example.local:8123"}
    )
    assert await async_setup_component(hass, "media_source", {})
    return str(tts_entity(hass, loaded_entry).entity_id)


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The emulator entry, set up; Home Assistant's http and tts are loaded too."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


VOICE_MODEL = "cosyvoice-v3-flash"
"""The model of the voices the voice actions make in tests: its picker offers them."""


async def voice_action(
    hass: HomeAssistant, action: str, entry: ConfigEntry, **data: Any
) -> Any:
    """Call one of the voice actions for ``entry``, as an automation would."""
    return await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=action != "delete_voice",
    )


async def design_voice(hass: HomeAssistant, entry: ConfigEntry, **data: Any) -> Any:
    """Design a calm voice (``data`` overrides the action's fields); its response."""
    return await voice_action(
        hass,
        "design_voice",
        entry,
        **{
            "model": VOICE_MODEL,
            "name": "calm",
            "description": "A calm, warm middle-aged female voice, speaking slowly.",
            "preview_text": "晚上好，欢迎回家。",
            **data,
        },
    )
