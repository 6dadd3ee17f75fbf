"""An outage is logged once when it starts and once when it ends, never per request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.exceptions import HomeAssistantError

from custom_components.cosyvoice.tts import CosyVoiceTTSEntity
from devtools.emulator import DashScopeEmulator, Fault

LOGGER = "custom_components.cosyvoice.availability"
UNAVAILABLE = "CosyVoice (CosyVoice (emulator)) is unavailable: InternalError: oops"
BACK = "CosyVoice (CosyVoice (emulator)) is available again"


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
