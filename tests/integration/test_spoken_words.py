"""A profile's text settings through Home Assistant: form, entity, what is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.const import CONF_MODEL, CONF_VOICE
from custom_components.cosyvoice.tts import CosyVoiceTTSEntity
from devtools.emulator import DashScopeEmulator

from .conftest import first_profile, set_profile, tts_entity

ANSWER = ["**Good", " night!** The", " doors are `locked`.", " 🌙"]


async def _written(pieces: list[str]) -> AsyncIterator[str]:
    for piece in pieces:
        await asyncio.sleep(0.05)
        yield piece


def _sent(emulator: DashScopeEmulator) -> str:
    return "".join(text for task in emulator.tasks for text in task.texts)


async def _settings_page(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, "tts"),
        context={
            "source": "reconfigure",
            "subentry_id": first_profile(entry).subentry_id,
        },
    )


def _shown(result: Any) -> dict[str, Any]:
    """What the settings page shows in each field."""
    return {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }


def _as_shown(result: Any) -> dict[str, Any]:
    """The page sent back as shown: every field that shows a value."""
    return {key: value for key, value in _shown(result).items() if value is not None}


async def test_an_assistants_stream_is_spoken_as_words_in_its_language(
    entity: CosyVoiceTTSEntity, emulator: DashScopeEmulator
) -> None:
    options = {**(entity.default_options or {}), "preferred_format": "mp3"}
    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("en-US", options, _written(ANSWER))
    )
    assert b"".join([chunk async for chunk in response.data_gen])
    assert " ".join(_sent(emulator).split()) == "Good night! The doors are locked."
    assert emulator.tasks[0].parameters["language_hints"] == ["en"]


async def test_clean_text_off_for_one_message(
    entity: CosyVoiceTTSEntity, emulator: DashScopeEmulator
) -> None:
    options = {**(entity.default_options or {}), "clean_text": False}
    await entity.async_get_tts_audio("**as is**", "en-US", options)
    assert _sent(emulator) == "**as is**"


async def test_the_profiles_words_and_seed_reach_the_service(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
) -> None:
    set_profile(
        hass,
        loaded_entry,
        pronunciations={"重庆": "chong2 qing4"},
        replacements={"HA": "Home Assistant"},
        seed=42,
        language_hints=["zh"],
    )
    await hass.async_block_till_done()
    entity = tts_entity(hass, loaded_entry)
    await entity.async_get_tts_audio(
        "HA 说：到重庆了。", "en-US", dict(entity.default_options or {})
    )
    parameters = emulator.tasks[-1].parameters
    assert parameters["hot_fix"] == {
        "pronunciation": [{"重庆": "chong2 qing4"}],
        "replace": [{"HA": "Home Assistant"}],
    }
    assert parameters["seed"] == 42
    assert parameters["language_hints"] == ["zh"]  # pinned, not the message's


async def test_the_form_takes_words_a_line_each_and_shows_them_so(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await _settings_page(hass, loaded_entry)
    settings = _as_shown(result) | {
        "pronunciations": "重庆 = chong2 qing4",
        "replacements": "HA = Home Assistant\n°C = 摄氏度",
        "seed": 7,
        "language_hints": "en",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], settings
    )
    assert result["step_id"] == "voice"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_VOICE: "longanyang"}
    )
    assert result["type"] is FlowResultType.ABORT
    data = first_profile(loaded_entry).data
    assert data["pronunciations"] == {"重庆": "chong2 qing4"}
    assert data["replacements"] == {"HA": "Home Assistant", "°C": "摄氏度"}
    assert (data["seed"], data["language_hints"]) == (7, ["en"])
    suggested = _shown(await _settings_page(hass, loaded_entry))
    assert suggested["replacements"] == "HA = Home Assistant\n°C = 摄氏度"
    assert suggested["language_hints"] == "en"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"pronunciations": "重庆 = chongqing"},
            {"pronunciations": "words_bad_pinyin"},
        ),
        (
            {"pronunciations": "重庆 = chong2"},
            {"pronunciations": "words_syllable_count"},
        ),
        ({"pronunciations": "HA = ha1"}, {"pronunciations": "words_not_chinese"}),
        ({"replacements": "HA Home Assistant"}, {"replacements": "words_no_equals"}),
        ({"replacements": "HA = "}, {"replacements": "words_empty_side"}),
        ({CONF_MODEL: "cosyvoice-v1", "seed": 5}, {"seed": "invalid_seed"}),
        (
            {CONF_MODEL: "cosyvoice-v1", "language_hints": "en"},
            {"language_hints": "invalid_language_hints"},
        ),
    ],
)
async def test_a_bad_word_or_setting_gets_its_own_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    changes: dict[str, Any],
    error: dict[str, str],
) -> None:
    result = await _settings_page(hass, loaded_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**_as_shown(result), **changes}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error
