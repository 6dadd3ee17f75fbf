"""The fallback's other ways in: a one-shot call, a deleted own voice, a slow engine."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from custom_components.cosyvoice import fallback
from custom_components.cosyvoice.api import spoken_text
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

from .conftest import VOICE_MODEL, mock_entry, tts_entity
from .spare_voice import (
    SPARE_ENTITY,
    SpareVoice,
    async_add_spare_voice,
)

OUTAGE = Fault.task_failed("InternalError", "An internal error has occured")


@pytest.fixture
async def spare(hass: HomeAssistant) -> SpareVoice:
    return await async_add_spare_voice(hass)


async def _entity(
    hass: HomeAssistant, emulator: DashScopeEmulator, **profile: Any
) -> Any:
    entry = mock_entry(emulator, fallback_engine=SPARE_ENTITY, **profile)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return tts_entity(hass, entry)


async def test_a_one_shot_message_falls_back_in_the_language_the_fallback_speaks(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    entity = await _entity(hass, emulator)
    emulator.add_fault(OUTAGE, times=10)
    extension, audio = await entity.async_get_tts_audio(
        "门开着。", "zh", entity.default_options or {}
    )
    assert extension == "mp3"
    assert audio
    # The spare voice has no Chinese: it speaks in its own default language.
    assert (spare.spoken, spare.languages) == (["门开着。"], ["en"])


async def test_a_one_shot_message_whose_fallback_fails_keeps_its_own_error(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    entity = await _entity(hass, emulator)
    spare.broken = True
    emulator.add_fault(OUTAGE, times=10)
    with pytest.raises(HomeAssistantError) as raised:
        await entity.async_get_tts_audio("门开着。", "zh", entity.default_options or {})
    assert raised.value.translation_key == "service_unavailable"


async def test_a_fallback_that_takes_too_long_is_given_up(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    spare: SpareVoice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entity = await _entity(hass, emulator)
    emulator.add_fault(OUTAGE, times=10)
    release = asyncio.Event()
    real = spare.async_get_tts_audio

    async def slow(message: str, language: str, options: dict[str, Any]) -> Any:
        await release.wait()
        return await real(message, language, options)

    with (
        patch.object(fallback, "FALLBACK_LIMIT", 0.2),
        patch.object(spare, "async_get_tts_audio", slow),
        pytest.raises(HomeAssistantError),
    ):
        await entity.async_get_tts_audio("门开着。", "zh", entity.default_options or {})
    release.set()
    # Home Assistant's own task for the fallback ends (2026.10 cancels it).
    for _ in range(5):
        await asyncio.sleep(0.02)
    await hass.async_block_till_done()
    assert "no audio within 0.2 s" in caplog.text


async def test_a_deleted_own_voice_is_spoken_by_the_fallback_when_streamed(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    voice_id = emulator.add_voice(TEST_API_KEY, VOICE_MODEL, "gone")
    entity = await _entity(hass, emulator, model=VOICE_MODEL, voice=voice_id)
    (entry,) = hass.config_entries.async_entries("cosyvoice")
    await entry.runtime_data.client.enrollment.delete(voice_id)
    await entry.runtime_data.voices.async_refresh()

    async def answer() -> AsyncIterator[str]:
        yield "Dinner is ready."

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("en", entity.default_options or {}, answer())
    )
    audio = b"".join([chunk async for chunk in response.data_gen])
    assert audio
    assert spare.spoken == ["Dinner is ready."]
    assert not emulator.tasks  # nothing was asked of CosyVoice


async def test_without_a_fallback_a_deleted_own_voice_fails_the_stream_at_once(
    hass: HomeAssistant, emulator: DashScopeEmulator
) -> None:
    voice_id = emulator.add_voice(TEST_API_KEY, VOICE_MODEL, "gone")
    entry = mock_entry(emulator, model=VOICE_MODEL, voice=voice_id)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    entity = tts_entity(hass, entry)
    await entry.runtime_data.client.enrollment.delete(voice_id)
    await entry.runtime_data.voices.async_refresh()

    async def answer() -> AsyncIterator[str]:
        yield "Dinner is ready."

    with pytest.raises(HomeAssistantError) as raised:
        await entity.async_stream_tts_audio(
            TTSAudioRequest("en", entity.default_options or {}, answer())
        )
    assert raised.value.translation_key == "voice_not_found"


class _FakeStream:
    """Home Assistant's result stream, as 2025.5 and later make it."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.whole: str | None = None

    def async_set_message(self, message: str) -> None:
        self.whole = message

    def async_set_message_stream(self, pieces: AsyncIterator[str]) -> None:
        self._pieces = pieces

    async def async_stream_result(self) -> AsyncIterator[bytes]:
        if self.whole is None:
            self.text = [piece async for piece in self._pieces]
        for chunk in (b"one", b"two", b"three"):
            yield chunk


async def _written(*pieces: str) -> AsyncIterator[str]:
    for piece in pieces:
        yield piece


async def test_streamed_text_goes_on_to_the_fallback_as_it_is_written(
    hass: HomeAssistant,
) -> None:
    stream = _FakeStream()
    with patch.object(fallback, "async_create_stream", return_value=stream):
        chunks = fallback.async_fallback_stream(
            hass, SPARE_ENTITY, _written("The door ", "is open."), "en", "wav"
        )
        assert [c async for c in chunks] == [b"one", b"two", b"three"]
    # Piece by piece, as words: a space waits in case an emoji follows it.
    assert stream.text == ["The door", " is open."]
    assert stream.whole is None


async def test_streamed_ssml_goes_to_the_fallback_whole_and_without_markup(
    hass: HomeAssistant,
) -> None:
    stream = _FakeStream()
    document = "<speak>门<break time='1s'/>开着。</speak>"
    with patch.object(fallback, "async_create_stream", return_value=stream):
        chunks = fallback.async_fallback_stream(
            hass, SPARE_ENTITY, _written(document[:9], document[9:]), "zh", "mp3"
        )
        assert [c async for c in chunks] == [b"one", b"two", b"three"]
    assert stream.whole == spoken_text(document) == "门 开着。"


async def test_an_engine_that_refuses_for_another_reason_is_no_fallback(
    hass: HomeAssistant,
) -> None:
    with (
        patch.object(
            fallback,
            "async_create_stream",
            side_effect=HomeAssistantError("Invalid options found: ['x']"),
        ),
        pytest.raises(fallback.FallbackError, match="Invalid options"),
    ):
        await fallback.async_fallback_audio(hass, SPARE_ENTITY, "Hi.", "en", "mp3")


def test_the_reason_of_a_silent_error_is_its_type() -> None:
    assert fallback._reason(HomeAssistantError()) == "HomeAssistantError"
    logging.getLogger(__name__).debug("no text in reasons")


async def test_a_message_under_way_when_the_entry_reloads_is_still_heard(
    hass: HomeAssistant, emulator: DashScopeEmulator, spare: SpareVoice
) -> None:
    """The reload closes its connection: the fallback speaks; never an
    AttributeError about the entry's runtime data, which the reload took."""
    entity = await _entity(hass, emulator, fallback_after=30)
    (entry,) = hass.config_entries.async_entries("cosyvoice")
    emulator.add_fault(Fault.hang())
    speaking = asyncio.create_task(
        entity.async_get_tts_audio("门开着。", "zh", entity.default_options or {})
    )
    await asyncio.sleep(0.3)
    await hass.config_entries.async_reload(entry.entry_id)
    extension, audio = await speaking
    assert (extension, spare.spoken) == ("mp3", ["门开着。"])
    assert audio
