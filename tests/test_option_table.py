"""The option table is the one source: the README, the forms and the wire follow it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from custom_components.cosyvoice.api import OPTION_TABLE, SynthesisOptions
from custom_components.cosyvoice.api import options as options_module
from custom_components.cosyvoice.api.http import request_body
from custom_components.cosyvoice.api.options import OptionRule, wire_parameters
from custom_components.cosyvoice.api.protocol import run_task

ROOT = Path(__file__).parents[1]
COMPONENT = ROOT / "custom_components" / "cosyvoice"
PROFILE_RULES = [r for r in OPTION_TABLE if r.profile and r.name != "voice"]


def _readme_rows() -> dict[str, list[str]]:
    """The README's table of a profile's settings: first cell → the row's cells."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| setting | default | meaning |") :].split("\n\n")[0]
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    return {cells[0].strip(): [c.strip() for c in cells] for cells in rows}


def _label(rule: OptionRule) -> str:
    strings = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))
    label = strings["config_subentries"]["tts"]["step"]["user"]["data"][rule.name]
    return re.sub(r"\s*\(.*\)$", "", label)


def _shown_default(rule: OptionRule) -> str:
    if rule.default is None or rule.default == ():
        return "(none)"
    if rule.kind is bool:
        return "on" if rule.default else "off"
    if rule.labelled:
        strings = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))
        return str(strings["selector"][rule.name]["options"][rule.default])
    return str(rule.default)


@pytest.mark.parametrize("rule", PROFILE_RULES, ids=lambda rule: rule.name)
def test_the_readme_states_each_settings_default_and_range(rule: OptionRule) -> None:
    rows = _readme_rows()
    label = _label(rule)
    assert label in rows, f"the README's settings table has no row {label!r}"
    _, default, meaning = rows[label]
    assert _shown_default(rule) in default
    if rule.low is not None and rule.high is not None:
        assert f"{rule.low:g} to {rule.high:g}" in meaning
    if rule.choices and rule.name == "sample_rate":
        assert all(str(choice) in meaning for choice in rule.choices)
    if rule.max_length is not None:
        assert f"at most {rule.max_length} characters" in meaning


def test_every_setting_is_translated_in_both_steps_and_both_languages() -> None:
    for language in ("strings.json", "translations/zh-Hans.json"):
        strings = json.loads((COMPONENT / language).read_text(encoding="utf-8"))
        tts = strings["config_subentries"]["tts"]
        for rule in PROFILE_RULES:
            for step in ("user", "reconfigure"):
                assert rule.name in tts["step"][step]["data"], (language, rule.name)
                assert rule.name in tts["step"][step]["data_description"]
            assert f"invalid_{rule.name}" in tts["error"], (language, rule.name)
            if rule.labelled:
                labels = strings["selector"][rule.name]["options"]
                assert set(labels) >= {c for c in rule.choices if c != "pcm"}


def test_the_wire_takes_each_routes_own_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A row's wire names are what the service is sent, on each route."""
    renamed = tuple(
        OptionRule(**{**_fields(r), "ws_name": "ws_pitch", "http_name": "http_pitch"})
        if r.name == "pitch"
        else r
        for r in OPTION_TABLE
    )
    monkeypatch.setattr(options_module, "OPTION_TABLE", renamed)
    options = SynthesisOptions(pitch=1.5)
    assert wire_parameters(options, "websocket")["ws_pitch"] == 1.5
    assert (
        json.loads(run_task("t", options))["payload"]["parameters"]["ws_pitch"] == 1.5
    )
    assert request_body("hi", options)["input"]["http_pitch"] == 1.5
    assert "pitch" not in request_body("hi", options)["input"]


def _fields(rule: OptionRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in OptionRule.__dataclass_fields__}


def test_only_what_is_set_is_sent() -> None:
    sent = wire_parameters(SynthesisOptions(), "websocket")
    always = {r.name for r in OPTION_TABLE if r.sent == "always"}
    assert set(sent) == always
    sent = wire_parameters(
        SynthesisOptions(seed=0, instruction="慢一点", enable_ssml=True), "http"
    )
    assert sent["seed"] == 0  # a seed of 0 is a seed
    assert sent["instruction"] == "慢一点"
    assert sent["enable_ssml"] is True
    assert "model" not in sent  # the request's model goes beside the parameters


def test_every_field_of_the_options_is_a_row() -> None:
    """SynthesisOptions' fields and defaults are the table's (extra aside)."""
    fields = {
        name: field.default
        for name, field in SynthesisOptions.__dataclass_fields__.items()
        if name != "extra"
    }
    assert fields == {rule.name: rule.default for rule in OPTION_TABLE}


def test_the_glue_names_options_only_through_the_table() -> None:
    """An option is one row: no module but the table spells an ordinary one out."""
    modules = [
        path
        for path in COMPONENT.rglob("*.py")
        if re.search(r"\bpitch\b", path.read_text(encoding="utf-8"))
    ]
    assert [p.relative_to(COMPONENT).as_posix() for p in modules] == ["api/options.py"]


def test_only_the_reactions_decide_what_the_home_sees_of_an_error() -> None:
    """A refused key, an account that cannot pay: each reaction is written once."""
    calls = (
        "async_start_reauth(",
        "async_create_invalid_auth_issue(",
        "availability.failed(",
    )
    for path in COMPONENT.glob("*.py"):
        if path.name in ("reactions.py", "issues.py"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not [c for c in calls if c in text], path.name
