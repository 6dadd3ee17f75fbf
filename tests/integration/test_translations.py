"""Translations: English is strings.json, Chinese has every key, code uses only known keys."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from custom_components.cosyvoice import sensor
from custom_components.cosyvoice.api import ERROR_KINDS, OPTION_TABLE, CosyVoiceError
from custom_components.cosyvoice.api.ssml import InvalidSsmlError

ROOT = Path(__file__).parents[2] / "custom_components" / "cosyvoice"


def _load(name: str) -> dict[str, Any]:
    return json.loads((ROOT / name).read_text(encoding="utf-8"))


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_english_is_strings_json() -> None:
    assert _load("translations/en.json") == _load("strings.json")


def test_chinese_has_every_string_with_the_same_placeholders() -> None:
    english = _leaves(_load("strings.json"))
    chinese = _leaves(_load("translations/zh-Hans.json"))
    assert chinese.keys() == english.keys()
    for key, text in english.items():
        placeholders = set(re.findall(r"\{\w+\}", text))
        assert set(re.findall(r"\{\w+\}", chinese[key])) == placeholders, key
        assert chinese[key].strip(), key


def test_every_error_key_the_code_uses_is_translated() -> None:
    strings = _load("strings.json")
    exceptions = strings["exceptions"]
    assert {*ERROR_KINDS, "invalid_config"} <= exceptions.keys()
    # The last-error sensor names every kind, and "none".
    states = strings["entity"]["sensor"]["last_error"]["state"]
    assert states.keys() == {"none", *ERROR_KINDS}
    # So does the voice profile's entity card, for its latest message not spoken.
    card = strings["entity"]["tts"]["speech"]["state_attributes"]["last_error"]
    assert card["state"].keys() == set(ERROR_KINDS)
    sources = "\n".join(p.read_text() for p in ROOT.glob("*.py"))
    config_errors = set(re.findall(r'"base": "(\w+)"', sources))
    config_errors.add("invalid_url")
    assert config_errors <= strings["config"]["error"].keys()
    profile_errors = strings["config_subentries"]["tts"]["error"].keys()
    assert {"invalid_voice", "http_unavailable", "name_required"} <= profile_errors
    # Every setting the client can refuse, by the option its error names.
    for rule in OPTION_TABLE:
        if rule.profile and rule.name != "voice":
            assert f"invalid_{rule.name}" in profile_errors


def _subclasses(cls: type[CosyVoiceError]) -> set[type[CosyVoiceError]]:
    found = set(cls.__subclasses__())
    for sub in tuple(found):
        found |= _subclasses(sub)
    return found


def test_every_error_class_has_a_known_kind() -> None:
    classes = _subclasses(CosyVoiceError) | {CosyVoiceError}
    assert InvalidSsmlError in classes
    assert {cls.kind for cls in classes} == set(ERROR_KINDS)


@pytest.mark.parametrize("step", ["user", "reconfigure"])
def test_every_field_has_a_description(step: str) -> None:
    config = _load("strings.json")["config"]["step"][step]
    assert config["data"].keys() == config["data_description"].keys()


def test_every_option_has_a_description() -> None:
    for step in _load("strings.json")["options"]["step"].values():
        if "menu_options" not in step:
            assert step["data"].keys() == step["data_description"].keys()


def test_every_sensor_is_named_and_every_entity_has_an_icon() -> None:
    names = _load("strings.json")["entity"]
    keys = {d.translation_key for d in sensor.DESCRIPTIONS}
    assert keys == names["sensor"].keys()
    icons = _load("icons.json")["entity"]
    assert {platform: set(keys) for platform, keys in icons.items()} == {
        platform: set(keys) for platform, keys in names.items()
    }
    for platform in icons.values():
        for icon in platform.values():
            assert icon["default"].startswith("mdi:")


@pytest.mark.parametrize(
    "name", ["strings.json", "translations/en.json", "translations/zh-Hans.json"]
)
def test_repair_issues_link_through_placeholders(name: str) -> None:
    # hassfest refuses URLs in translations: the consoles go in as placeholders.
    leaves = _leaves(_load(name)["issues"])
    assert not {key for key, text in leaves.items() if "://" in text}
    assert "{console_cn}" in leaves["account_error.description"]
    assert "{console_intl}" in leaves["account_error.description"]


def test_no_urls_in_translations() -> None:
    """hassfest refuses URLs in strings: they go in as placeholders."""
    for name in ("strings.json", "translations/zh-Hans.json"):
        for key, text in _leaves(_load(name)).items():
            assert "://" not in text, (name, key)


@pytest.mark.parametrize(
    "name", ["strings.json", "translations/en.json", "translations/zh-Hans.json"]
)
def test_the_profile_form_reads_alike_in_every_flow(name: str) -> None:
    """The account flow and the options show the profile's own form: the same words.

    A setting added to the profile's form needs its text in these copies too.
    """
    tree = _load(name)
    profile = tree["config_subentries"]["tts"]
    config, options = tree["config"], tree["options"]
    for copy, source in (
        (config["step"]["profile"], profile["step"]["user"]),
        (options["step"]["profile"], profile["step"]["reconfigure"]),
    ):
        assert copy["data"] == source["data"]
        assert copy["data_description"] == source["data_description"]
    assert config["step"]["profile_voice"] == profile["step"]["voice"]
    assert options["step"]["profile_voice"] == profile["step"]["voice"]
    assert options["error"] == profile["error"]
    assert {key: config["error"][key] for key in profile["error"]} == profile["error"]


def test_the_account_flows_menus_and_endings_are_translated() -> None:
    strings = _load("strings.json")
    config, options = strings["config"], strings["options"]
    assert config["step"]["account_exists"]["menu_options"].keys() == {
        "add_profile",
        "pick_account",
        "new_account",
    }
    assert (
        "{account}" in config["step"]["account_exists"]["menu_options"]["add_profile"]
    )
    assert options["step"]["init"]["menu_options"].keys() == {"account", "pick_profile"}
    for step in ("pick_account", "profile", "profile_voice"):
        assert step in config["step"]
    for step in ("account", "pick_profile", "profile", "profile_voice"):
        assert step in options["step"]
    assert {"profile_added"} <= config["abort"].keys()
    assert {"profile_saved", "no_profile"} <= options["abort"].keys()
    profile = strings["config_subentries"]["tts"]
    assert profile["initiate_flow"].keys() == {"user", "reconfigure"}


@pytest.mark.parametrize(
    "name", ["strings.json", "translations/en.json", "translations/zh-Hans.json"]
)
def test_menu_titles_need_no_placeholder(name: str) -> None:
    """Home Assistant 2025.4's frontend gives a menu's title no placeholders.

    It shows "Translation Error: ... was not provided" instead of the title.
    """
    tree = _load(name)
    for flow in ("config", "options"):
        for step_id, step in tree[flow]["step"].items():
            if "menu_options" in step:
                assert "{" not in step["title"], (flow, step_id)
