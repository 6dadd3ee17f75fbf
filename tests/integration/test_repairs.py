"""Repair issues for what only the user can fix: a dead key, an account that cannot pay."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.const import DOMAIN
from devtools.emulator import DashScopeEmulator, Fault

from .conftest import tts_entity

NEW_KEY = "sk-test-new-key-fedcba9876543210"
STRINGS = json.loads(
    (
        Path(__file__).parents[2] / "custom_components" / "cosyvoice" / "strings.json"
    ).read_text(encoding="utf-8")
)


async def _speak(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entity = tts_entity(hass, entry)
    await entity.async_get_tts_audio(
        "你好", "zh-CN", dict(entity.default_options or {})
    )


async def _stream(hass: HomeAssistant, entry: MockConfigEntry) -> bytes:
    entity = tts_entity(hass, entry)

    async def text() -> AsyncIterator[str]:
        yield "你好。"

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("zh-CN", dict(entity.default_options or {}), text())
    )
    return b"".join([chunk async for chunk in response.data_gen])


def _issue(
    issue_registry: ir.IssueRegistry, kind: str, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    return issue_registry.async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


def _assert_translated(issue: ir.IssueEntry) -> None:
    """The issue's texts exist, and every placeholder in them is given."""
    assert issue.translation_key is not None
    texts = STRINGS["issues"][issue.translation_key]
    given = set(issue.translation_placeholders or {})
    for text in (texts["title"], texts["description"]):
        assert set(re.findall(r"\{(\w+)\}", text)) <= given


async def test_key_revoked_during_synthesis(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    emulator.add_fault(Fault.task_failed("InvalidApiKey", "Invalid API-key provided."))
    with pytest.raises(HomeAssistantError):
        await _speak(hass, loaded_entry)
    issue = _issue(issue_registry, "invalid_auth", loaded_entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert not issue.is_fixable
    assert issue.translation_key == "invalid_auth"
    assert issue.translation_placeholders == {"name": "CosyVoice (emulator)"}
    _assert_translated(issue)

    # The reauthentication flow it points to reloads the entry, which clears it.
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    emulator.config.api_keys.add(NEW_KEY)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert _issue(issue_registry, "invalid_auth", loaded_entry) is None


async def test_key_revoked_while_streaming(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    emulator.add_fault(Fault.task_failed("InvalidApiKey", "Invalid API-key provided."))
    with pytest.raises(HomeAssistantError):
        await _stream(hass, loaded_entry)
    assert _issue(issue_registry, "invalid_auth", loaded_entry) is not None


async def test_key_refused_at_setup(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    emulator.config.api_keys.clear()
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    issue = _issue(issue_registry, "invalid_auth", config_entry)
    assert issue is not None
    assert issue.translation_placeholders == {"name": config_entry.title}

    # However the key comes back to life, the next setup that works clears it.
    emulator.config.api_keys.add(config_entry.data[CONF_API_KEY])
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert _issue(issue_registry, "invalid_auth", config_entry) is None


async def test_account_in_arrears(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    emulator.add_fault(
        Fault.task_failed("Arrearage", "Access denied, account in arrears.")
    )
    with pytest.raises(HomeAssistantError) as raised:
        await _speak(hass, loaded_entry)
    assert raised.value.translation_key == "account_error"
    issue = _issue(issue_registry, "account", loaded_entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert not issue.is_fixable
    assert issue.translation_key == "account_error"
    assert issue.translation_placeholders == {
        "name": "CosyVoice (emulator)",
        "detail": "Arrearage: Access denied, account in arrears.",
        "console_cn": "https://bailian.console.aliyun.com/",
        "console_intl": "https://modelstudio.console.alibabacloud.com/",
    }
    _assert_translated(issue)
    # Not a key problem: no reauthentication, no key issue.
    assert _issue(issue_registry, "invalid_auth", loaded_entry) is None
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    # Topped up: the next message that is spoken clears it.
    await _speak(hass, loaded_entry)
    assert _issue(issue_registry, "account", loaded_entry) is None


async def test_account_issue_cleared_by_a_streamed_message(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    emulator.add_fault(Fault.task_failed("Arrearage", "pay up"))
    with pytest.raises(HomeAssistantError):
        await _stream(hass, loaded_entry)
    assert _issue(issue_registry, "account", loaded_entry) is not None
    assert await _stream(hass, loaded_entry)
    assert _issue(issue_registry, "account", loaded_entry) is None


async def test_account_issue_cleared_by_setup(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    emulator.add_fault(Fault.task_failed("Arrearage", "pay up"))
    with pytest.raises(HomeAssistantError):
        await _speak(hass, loaded_entry)
    assert _issue(issue_registry, "account", loaded_entry) is not None
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(issue_registry, "account", loaded_entry) is None


async def test_other_failures_raise_no_issue(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    emulator.add_fault(Fault.task_failed("InvalidParameter", "bad voice"))
    with pytest.raises(HomeAssistantError):
        await _speak(hass, loaded_entry)
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]


async def test_removing_the_entry_removes_its_issues(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    emulator.add_fault(Fault.task_failed("Arrearage", "pay up"))
    with pytest.raises(HomeAssistantError):
        await _speak(hass, loaded_entry)
    emulator.add_fault(Fault.task_failed("InvalidApiKey", "Invalid API-key provided."))
    with pytest.raises(HomeAssistantError):
        await _speak(hass, loaded_entry)
    await hass.async_block_till_done()
    assert _issue(issue_registry, "account", loaded_entry) is not None
    assert _issue(issue_registry, "invalid_auth", loaded_entry) is not None

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
