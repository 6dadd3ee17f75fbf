"""The README's examples run as written in ``scripts/develop``'s home, and do something.

The home is built from the description ``scripts/develop`` builds its own from
(:mod:`devtools.develop_home`): its configuration, the account added through the config
flow on the emulator, the spare voice as the first profile's fallback (the development
components themselves, from ``devtools/custom_components``), the recording in the local
media folder and the README's entity ids. An action is run the way Developer tools →
Actions runs it (``execute_script``, a response asked for where the action gives one);
an automation is set up and run the way its editor's *Run actions* runs it, or by its
event, caused for real. Then what it should have done is looked at: audio made for
each speaker it names, the voice it made listed, the notification shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from homeassistant import loader
from homeassistant.components import tts
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

import custom_components
from custom_components.cosyvoice.const import DOMAIN, EVENT_SPEECH_FAILED
from devtools import develop_home
from devtools.emulator import DashScopeEmulator, Fault
from devtools.hass_runner import ROOT
from tests.conftest import TEST_API_KEY
from tests.readme_examples import Example, actions, entity_ids, examples

DEVELOPMENT_COMPONENTS = ROOT / "devtools" / "custom_components"
EXAMPLES = examples()
OUTAGE = Fault.task_failed("InternalError", "An internal error has occured")


@dataclass
class Home:
    """``scripts/develop``'s home, set up in this test's Home Assistant."""

    hass: HomeAssistant
    entry: ConfigEntry
    emulator: DashScopeEmulator
    client: Any
    """An HTTP client of Home Assistant's, logged in (what a speaker fetches)."""
    ws: Any
    """A WebSocket client of Home Assistant's, as the frontend has."""


@pytest.fixture
async def home(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> Home:
    """Everything ``scripts/develop`` sets up, from the same description."""
    # The development components, beside the integration, as develop links them.
    monkeypatch.setattr(
        custom_components,
        "__path__",
        [*custom_components.__path__, str(DEVELOPMENT_COMPONENTS)],
    )
    hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
    media = tmp_path / "media"
    media.mkdir()
    (media / develop_home.VOICE_SAMPLE).write_bytes(develop_home.voice_sample())
    await async_process_ha_core_config(
        hass, {"internal_url": "http://example.local:8123"}
    )
    hass.config.media_dirs = {"local": str(media)}
    # What Home Assistant itself sets up, then develop's configuration.
    for domain in (
        "homeassistant",
        "persistent_notification",
        "media_source",
        "websocket_api",
    ):
        assert await async_setup_component(hass, domain, {})
    for domain, config in yaml.safe_load(develop_home.HOME_YAML).items():
        # No HTTP server runs in-process: the checks below fetch as a speaker does.
        setup = (
            [{**player, "fetch": False} for player in config]
            if domain == "media_player"
            else config
        )
        assert await async_setup_component(hass, domain, {domain: setup}), domain
    entry = await _add_account(hass, emulator)
    await _add_fallback(hass, entry)
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if new := develop_home.readme_entity_id(entity.entity_id, emulator.ws_url):
            registry.async_update_entity(entity.entity_id, new_entity_id=new)
    await hass.async_block_till_done()
    return Home(hass, entry, emulator, await hass_client(), await hass_ws_client(hass))


async def _add_account(hass: HomeAssistant, emulator: DashScopeEmulator) -> ConfigEntry:
    """The account, through the config flow's forms as develop fills them in."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "user"}
    )
    for step in develop_home.flow_steps(
        TEST_API_KEY, emulator.ws_url, emulator.http_url
    ):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], step)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    return result["result"]


async def _add_fallback(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The spare voice (its one-step flow), as the first profile's fallback."""
    result = await hass.config_entries.flow.async_init(
        "spare_voice", context={"source": "user"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    assert hass.states.get(develop_home.FALLBACK) is not None
    profile = next(iter(entry.subentries.values()))
    hass.config_entries.async_update_subentry(
        entry,
        profile,
        data={**profile.data, "fallback_engine": develop_home.FALLBACK},
    )
    await hass.async_block_till_done()


def test_the_readme_has_examples_of_each_kind() -> None:
    kinds = {example.kind for example in EXAMPLES}
    assert {"action", "automation"} <= kinds, EXAMPLES


async def test_every_entity_id_an_example_names_is_in_the_home(home: Home) -> None:
    missing = {
        str(example): sorted(
            entity_id
            for entity_id in entity_ids(example.config)
            if home.hass.states.get(entity_id) is None
        )
        for example in EXAMPLES
    }
    missing = {where: ids for where, ids in missing.items() if ids}
    ours = sorted(
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(home.hass), home.entry.entry_id
        )
    )
    assert not missing, f"not in develop's home: {missing}; its CosyVoice ids: {ours}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.title)
async def test_an_example_runs_and_does_what_it_says(
    home: Home, example: Example
) -> None:
    failures = async_capture_events(home.hass, EVENT_SPEECH_FAILED)
    if example.kind == "automation":
        await _run_automation(home, example.config)
    else:
        sequence = example.config.get("sequence", [example.config])
        response = await _execute(home, sequence)
        if example.kind == "action":
            await _check(home, example.config, response)
    for action in actions(example.config) if example.kind != "action" else ():
        await _check(home, action, None)
    caused = _triggered_by(example.config) == {EVENT_SPEECH_FAILED}
    assert bool(failures) == caused, [event.data for event in failures]


async def _execute(home: Home, sequence: list[dict[str, Any]]) -> Any:
    """Run actions as Developer tools → Actions does: a script, its response kept."""
    last = sequence[-1]
    domain, _, service = str(last.get("action", "")).partition(".")
    if (
        len(sequence) == 1
        and home.hass.services.has_service(domain, service)
        and home.hass.services.supports_response(domain, service)
        is not SupportsResponse.NONE
    ):
        sequence = [
            {**last, "response_variable": "service_result"},
            {"stop": "done", "response_variable": "service_result"},
        ]
    await home.ws.send_json_auto_id({"type": "execute_script", "sequence": sequence})
    answer = await home.ws.receive_json()
    assert answer["success"], answer
    await home.hass.async_block_till_done()
    return answer["result"].get("response")


def _triggered_by(config: dict[str, Any]) -> set[str]:
    """The event types an automation's triggers wait for."""
    return {
        str(trigger["event_type"])
        for trigger in config.get("triggers", [])
        if trigger.get("trigger") == "event"
    }


async def _run_automation(home: Home, config: dict[str, Any]) -> None:
    """Set the automation up, then fire it: by its event, or as *Run actions* does.

    *Run actions* skips the conditions (here: the sun), as the editor's button does.
    """
    hass = home.hass
    assert await async_setup_component(hass, "automation", {"automation": [config]})
    await hass.async_block_till_done()
    (automation,) = hass.states.async_entity_ids("automation")
    assert hass.states.is_state(automation, "on"), hass.states.get(automation)
    if events := _triggered_by(config):
        for event in events:
            await CAUSES[event](home)
    else:
        await hass.services.async_call(
            "automation", "trigger", {"entity_id": automation}, blocking=True
        )
    await hass.async_block_till_done()


async def _a_message_in_an_outage(home: Home) -> None:
    """A message said while DashScope fails: the fallback speaks it, the event fires."""
    (engine,) = (
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(home.hass), home.entry.entry_id
        )
        if entity.domain == "tts"
    )
    home.emulator.add_fault(OUTAGE, times=10)
    stream = tts.async_create_stream(home.hass, engine, None, {})
    stream.async_set_message("The washing is done.")
    assert b"".join([chunk async for chunk in stream.async_stream_result()])


CAUSES: dict[str, Callable[[Home], Awaitable[None]]] = {
    EVENT_SPEECH_FAILED: _a_message_in_an_outage,
}
"""How a test makes each event an example's automation waits for happen."""


async def _check(home: Home, action: dict[str, Any], response: Any) -> None:
    """That an action did what it is for; an action without a check fails."""
    name = str(action["action"])
    assert name in CHECKS, f"no check for {name}: add one to CHECKS"
    await CHECKS[name](home, action, response)


async def _spoken(home: Home, action: dict[str, Any], response: Any) -> None:
    """Each speaker named got a URL, and it gives CosyVoice's audio with the options."""
    data = action["data"]
    players = data["media_player_entity_id"]
    for player in [players] if isinstance(players, str) else players:
        state = home.hass.states.get(player)
        assert state is not None, player
        assert "played_url" in state.attributes, state
        audio = await home.client.get(urlsplit(state.attributes["played_url"]).path)
        assert audio.status == HTTPStatus.OK, await audio.text()
        assert len(await audio.read()) > 1000
    task = home.emulator.tasks[-1]
    assert "".join(task.texts).replace(" ", "") == data["message"].replace(" ", "")
    assert task.state == "finished", task.state
    options = data.get("options", {})
    assert task.model == options.get("model", task.model)
    assert task.parameters["voice"] == options.get("voice", task.parameters["voice"])


async def _voice_made(home: Home, action: dict[str, Any], response: Any) -> None:
    """The voice the action answered with is the account's, by the name it was given."""
    voice = response.get("voice", response)
    assert voice["voice_id"].startswith(f"{action['data']['model']}-")
    assert f"-{action['data']['name']}-" in voice["voice_id"]
    listed = await home.hass.services.async_call(
        DOMAIN,
        "list_voices",
        {"config_entry_id": home.entry.entry_id},
        blocking=True,
        return_response=True,
    )
    assert voice["voice_id"] in [v["voice_id"] for v in listed["voices"]]


async def _notified(home: Home, action: dict[str, Any], response: Any) -> None:
    """A notification shows, its templates filled in from what happened."""
    await home.ws.send_json_auto_id({"type": "persistent_notification/get"})
    answer = await home.ws.receive_json()
    (notification,) = answer["result"]
    text = f"{notification['title']} {notification['message']}"
    assert "{" not in text, text
    assert develop_home.FALLBACK in notification["message"], notification


CHECKS: dict[str, Callable[[Home, dict[str, Any], Any], Awaitable[None]]] = {
    "tts.speak": _spoken,
    "cosyvoice.design_voice": _voice_made,
    "cosyvoice.clone_voice": _voice_made,
    "persistent_notification.create": _notified,
}
"""What each action of the README's examples must have done."""
