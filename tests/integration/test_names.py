"""What a newcomer reads: voice and device names, model hints, times with a zone."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cosyvoice import own_voices
from custom_components.cosyvoice.api.voices import CLONE_LANGUAGES
from custom_components.cosyvoice.const import DOMAIN
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY
from tests.voice_samples import wav_sample

from .conftest import (
    design_voice,
    first_profile,
    set_profile,
    tts_entity,
    voice_action,
)

ROOT = Path(__file__).parents[2] / "custom_components" / "cosyvoice"
DESCRIPTION = "A calm, warm middle-aged female voice, speaking slowly."
TIME_KEYS = {"at", "since", "created", "modified", "created_at", "modified_at"}


def _labels(
    hass: HomeAssistant, entry: MockConfigEntry, language: str
) -> dict[str, str]:
    entity = tts_entity(hass, entry)
    return {v.voice_id: v.name for v in entity.async_get_supported_voices(language)}


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_a_new_voice_is_made_for_the_model_the_profiles_use(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    tmp_path: Path,
) -> None:
    """Without a model named, design and clone serve the profiles, not v3.5-plus."""
    model = "cosyvoice-v3-plus"
    set_profile(hass, config_entry, model=model, voice="longanyang")
    await _set_up(hass, config_entry)
    designed = await voice_action(
        hass,
        "design_voice",
        config_entry,
        name="calm",
        description=DESCRIPTION,
        preview_text="晚上好。",
    )
    assert designed["target_model"] == model
    (tmp_path / "grandma.wav").write_bytes(wav_sample(8.0))
    hass.config.media_dirs = {"local": str(tmp_path)}
    cloned = await voice_action(
        hass,
        "clone_voice",
        config_entry,
        name="grandma",
        sample={"media_content_id": "media-source://media_source/local/grandma.wav"},
    )
    assert cloned["target_model"] == model
    assert {voice.target_model for voice in emulator.voices(TEST_API_KEY)} == {model}
    # Both are offered at once in the profile's picker, saying what they are for.
    labels = _labels(hass, config_entry, "en")
    assert (
        labels[designed["voice_id"]] == f"calm · designed for {model} · {DESCRIPTION}"
    )
    assert labels[cloned["voice_id"]] == f"grandma · cloned for {model}"


async def test_own_voices_are_labelled_in_the_requests_language(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    long = "一位慈祥的老奶奶，说话很慢，声音温暖而柔和，像在讲睡前故事，" * 3
    designed = await design_voice(hass, loaded_entry, description=long)
    model = designed["target_model"]
    chinese = _labels(hass, loaded_entry, "zh-CN")[designed["voice_id"]]
    assert chinese.startswith(f"calm · 为 {model} 设计 · 一位慈祥的老奶奶")
    assert chinese.endswith("…")
    assert len(chinese.rpartition(" · ")[2]) == own_voices.DESCRIPTION_CHARS
    english = _labels(hass, loaded_entry, "en-GB")[designed["voice_id"]]
    assert english.startswith(f"calm · designed for {model} · ")
    # System voices follow the language too.
    assert _labels(hass, loaded_entry, "zh-CN")["longanyang"] == "龙安洋 · 阳光大男孩"
    assert _labels(hass, loaded_entry, "en")["longanyang"] == (
        "Long Anyang · male, sunny"
    )


async def test_a_voice_for_another_model_is_not_offered_and_says_why(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    other = emulator.add_voice(TEST_API_KEY, "cosyvoice-v3.5-plus", "elsewhere")
    await loaded_entry.runtime_data.voices.async_refresh()
    assert other not in _labels(hass, loaded_entry, "en")
    entity = tts_entity(hass, loaded_entry)
    options = {**(entity.default_options or {}), "voice": other}
    with pytest.raises(HomeAssistantError) as raised:
        await entity.async_get_tts_audio("你好。", "zh", options)
    text = str(raised.value)
    assert "cosyvoice-v3.5-plus" in text
    assert "speaks only with that model" in text


async def test_descriptions_outlive_a_restart_and_go_with_their_voice(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
) -> None:
    """The service lists no descriptions: those of voices designed here are kept."""
    voice_id = emulator.add_voice(
        TEST_API_KEY, "cosyvoice-v3-flash", "calm", designed=True
    )
    key = f"{DOMAIN}.{config_entry.entry_id}.voices"
    hass_storage[key] = {
        "version": own_voices.STORAGE_VERSION,
        "key": key,
        "data": {"descriptions": {voice_id: DESCRIPTION}},
    }
    await _set_up(hass, config_entry)
    assert _labels(hass, config_entry, "en")[voice_id].endswith(f" · {DESCRIPTION}")
    await voice_action(hass, "delete_voice", config_entry, voice_id=voice_id)
    descriptions = await own_voices.descriptions_store(
        hass, config_entry.entry_id
    ).async_load()
    assert descriptions == {"descriptions": {}}


async def test_a_designed_voices_description_survives_a_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    designed = await design_voice(hass, loaded_entry)
    assert designed["description"] == DESCRIPTION
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    listed = await voice_action(hass, "list_voices", loaded_entry)
    assert listed["voices"][0]["description"] is None  # the service keeps none
    label = _labels(hass, loaded_entry, "en")[designed["voice_id"]]
    assert label.endswith(f" · {DESCRIPTION}")


async def test_removing_the_entry_removes_its_descriptions(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    await design_voice(hass, loaded_entry)
    store = own_voices.descriptions_store(hass, loaded_entry.entry_id)
    assert (await store.async_load() or {}).get("descriptions")
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{loaded_entry.entry_id}.voices" not in hass_storage


async def test_devices_are_named_after_the_account_and_the_profile(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    profile = first_profile(loaded_entry)
    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), loaded_entry.entry_id
    )
    assert sorted(device.name or "" for device in devices) == [
        "CosyVoice",
        "CosyVoice (emulator)",
    ]
    # A profile renamed renames its device and its engine, without a reload.
    hass.config_entries.async_update_subentry(loaded_entry, profile, title="Greetings")
    await hass.async_block_till_done()
    entity = tts_entity(hass, loaded_entry)
    assert entity.name == "Greetings"
    state = hass.states.get(entity.entity_id)
    assert state is not None
    assert state.name == "Greetings"
    assert entity.registry_entry is not None
    device = dr.async_get(hass).async_get(entity.registry_entry.device_id or "")
    assert device is not None
    assert device.name == "Greetings"


def _times(tree: Any, path: str = "") -> dict[str, str]:
    """Every value under a key that names a time, by where it is."""
    found: dict[str, str] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in TIME_KEYS:
                found[f"{path}.{key}"] = value
            else:
                found.update(_times(value, f"{path}.{key}"))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found.update(_times(value, f"{path}[{index}]"))
    return found


async def test_every_time_shown_is_iso_8601_with_a_zone(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    designed = await design_voice(hass, loaded_entry)
    listed = await voice_action(hass, "list_voices", loaded_entry)
    emulator.add_fault(Fault.task_failed("InvalidParameter", "bad voice"))
    entity = tts_entity(hass, loaded_entry)
    with pytest.raises(HomeAssistantError):
        await entity.async_get_tts_audio("你好。", "zh", entity.default_options or {})
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    times = {
        **_times(designed, "designed"),
        **_times(listed, "listed"),
        **_times(diagnostics, "diagnostics"),
    }
    for where in (
        "designed.created",
        "listed.voices[0].created",
        "diagnostics.own_voices.voices[0].modified",
        "diagnostics.statistics.recent_errors[0].at",
        "diagnostics.messages.recent_errors[0].at",
        "diagnostics.messages.since",
    ):
        assert where in times
    for where, value in times.items():
        if value is None and where.endswith(("created", "modified")):
            continue  # a voice the service has not dated yet
        assert isinstance(value, str), where
        assert datetime.fromisoformat(value).tzinfo is not None, (where, value)
    assert listed["voices"][0]["created"].endswith("+08:00")


def test_the_language_fields_show_language_names() -> None:
    """The design and clone forms offer languages by name, in the user's language."""
    services = yaml.safe_load((ROOT / "services.yaml").read_text(encoding="utf-8"))
    for action in ("design_voice", "clone_voice"):
        select = services[action]["fields"]["language"]["selector"]["select"]
        assert select["translation_key"] == "clone_language"
        assert tuple(select["options"]) == CLONE_LANGUAGES
        # No model is forced on the action: the profiles' one is the default.
        assert "default" not in services[action]["fields"]["model"]
        assert not services[action]["fields"]["model"]["required"]
    for name, expected in (
        ("strings.json", "Chinese"),
        ("translations/zh-Hans.json", "中文"),
    ):
        strings = json.loads((ROOT / name).read_text(encoding="utf-8"))
        names = strings["selector"]["clone_language"]["options"]
        assert set(names) == set(CLONE_LANGUAGES)
        assert names["zh"] == expected
        assert all(label not in CLONE_LANGUAGES for label in names.values())


@pytest.mark.parametrize("name", ["strings.json", "translations/zh-Hans.json"])
def test_the_unknown_voice_error_names_designed_and_cloned_voices(name: str) -> None:
    strings = json.loads((ROOT / name).read_text(encoding="utf-8"))
    text = strings["config_subentries"]["tts"]["error"]["invalid_voice"]
    words = ("designed", "cloned") if name == "strings.json" else ("设计", "复刻")
    assert all(word in text for word in words), text
