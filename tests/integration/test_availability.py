"""An outage shows where a newcomer looks: the log (once each way), Repairs while it
lasts, and each voice profile's entity until CosyVoice speaks for it again."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.const import DOMAIN
from custom_components.cosyvoice.tts import CosyVoiceTTSEntity
from devtools.emulator import DashScopeEmulator, Fault

LOGGER = "custom_components.cosyvoice.availability"
UNAVAILABLE = "CosyVoice (emulator) cannot reach DashScope: InternalError: oops"
BACK = "CosyVoice (emulator) reaches DashScope again"


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, LOGGER)
    return caplog


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOGGER]


async def _speak(entity: CosyVoiceTTSEntity) -> None:
    await entity.async_get_tts_audio(
        "你好", "zh-CN", dict(entity.default_options or {})
    )


async def _stream(entity: CosyVoiceTTSEntity) -> bytes:
    async def text() -> AsyncIterator[str]:
        yield "你好。"

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("zh-CN", dict(entity.default_options or {}), text())
    )
    return b"".join([chunk async for chunk in response.data_gen])


def _outage(emulator: DashScopeEmulator) -> None:
    """Enough server errors to outlast the client's retries."""
    emulator.add_fault(Fault.task_failed("InternalError", "oops"), times=3)


async def test_outage_is_logged_once_each_way(
    entity: CosyVoiceTTSEntity,
    emulator: DashScopeEmulator,
    log: pytest.LogCaptureFixture,
) -> None:
    await _speak(entity)
    assert _lines(log) == []

    for _ in range(2):
        _outage(emulator)
        with pytest.raises(HomeAssistantError):
            await _speak(entity)
    assert _lines(log) == [(logging.WARNING, UNAVAILABLE)]

    await _speak(entity)
    await _speak(entity)
    assert _lines(log) == [(logging.WARNING, UNAVAILABLE), (logging.INFO, BACK)]


async def test_streamed_speech_counts_too(
    entity: CosyVoiceTTSEntity,
    emulator: DashScopeEmulator,
    log: pytest.LogCaptureFixture,
) -> None:
    _outage(emulator)
    with pytest.raises(HomeAssistantError):
        await _stream(entity)
    assert await _stream(entity)
    assert _lines(log) == [(logging.WARNING, UNAVAILABLE), (logging.INFO, BACK)]


@pytest.mark.parametrize(
    "fault",
    [
        Fault.task_failed("InvalidParameter", "bad voice"),
        Fault.task_failed("Arrearage", "pay up"),
        Fault.task_failed("InvalidApiKey", "Invalid API-key provided."),
    ],
)
async def test_other_failures_are_no_outage(
    entity: CosyVoiceTTSEntity,
    emulator: DashScopeEmulator,
    log: pytest.LogCaptureFixture,
    fault: Fault,
) -> None:
    emulator.add_fault(fault)
    with pytest.raises(HomeAssistantError):
        await _speak(entity)
    await _speak(entity)
    assert _lines(log) == []


def _unreachable(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"unreachable_{entry.entry_id}")


async def test_an_outage_is_in_repairs_while_it_lasts(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity: CosyVoiceTTSEntity,
    emulator: DashScopeEmulator,
) -> None:
    await _speak(entity)
    assert _unreachable(hass, loaded_entry) is None
    _outage(emulator)
    with pytest.raises(HomeAssistantError):
        await _speak(entity)
    issue = _unreachable(hass, loaded_entry)
    assert issue is not None
    assert issue.translation_key == "unreachable"
    assert issue.severity == ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "name": "CosyVoice (emulator)",
        "detail": "InternalError: oops",
    }
    await _speak(entity)
    assert _unreachable(hass, loaded_entry) is None


async def test_the_entity_says_why_its_latest_message_was_not_spoken(
    hass: HomeAssistant, entity: CosyVoiceTTSEntity, emulator: DashScopeEmulator
) -> None:
    await _speak(entity)
    assert "last_error" not in hass.states.get(entity.entity_id).attributes
    _outage(emulator)
    with pytest.raises(HomeAssistantError):
        await _speak(entity)
    attributes = hass.states.get(entity.entity_id).attributes
    assert attributes["last_error"] == "service_unavailable"
    assert "spoken_by" not in attributes  # nothing spoke it
    assert datetime.fromisoformat(attributes["failed_at"]).tzinfo is not None
    # A caller's mistake is shown too: the card says why nothing was heard.
    with pytest.raises(HomeAssistantError):
        await entity.async_get_tts_audio("你好", "zh-CN", {"voice": "nobody"})
    assert hass.states.get(entity.entity_id).attributes["last_error"] != (
        "service_unavailable"
    )
    await _speak(entity)
    assert "last_error" not in hass.states.get(entity.entity_id).attributes
