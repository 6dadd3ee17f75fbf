"""Streaming text in and audio out through the TTS entity, on both HA versions."""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import tts
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice.api import StreamingSettings, wav_header
from custom_components.cosyvoice.const import DOMAIN
from custom_components.cosyvoice.tts import CosyVoiceTTSEntity
from devtools.emulator import DashScopeEmulator, Fault
from tests.emulator.wire import eventually

GUARD = 10.0
"""Only a broken stream waits this long; nothing here is timed."""


@pytest.fixture(autouse=True)
def fast_streaming() -> AsyncIterator[None]:
    """Short pause and keep-alive, so slow-text tests take a second, not 23."""
    with patch(
        "custom_components.cosyvoice.tts.STREAMING",
        StreamingSettings(pause=0.05, idle_finish=0.3),
    ):
        yield


def _options(entity: CosyVoiceTTSEntity, **extra: Any) -> dict[str, Any]:
    """Options as Home Assistant hands them over: defaults merged with the call's."""
    return {**(entity.default_options or {}), **extra}


async def test_audio_flows_before_the_llm_finished(
    entity: CosyVoiceTTSEntity, emulator: DashScopeEmulator
) -> None:
    first_audio = asyncio.Event()
    events: list[str] = []

    async def llm() -> AsyncIterator[str]:
        for word in ["Hello", " there", ", welcome", " home."]:
            events.append("text")
            yield word
        await asyncio.wait_for(first_audio.wait(), GUARD)
        for word in [" The", " lights", " are", " on."]:
            events.append("text")
            yield word
        events.append("text done")

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("en-US", _options(entity, preferred_format="wav"), llm())
    )
    assert response.extension == "wav"
    data = b""
    async for chunk in response.data_gen:
        if not first_audio.is_set():
            events.append("audio")
            first_audio.set()
        data += chunk
    assert events.index("audio") < events.index("text done")
    assert events.index("audio") < len(events) - 5  # more text came after it
    (task,) = emulator.tasks
    assert task.format == "pcm"
    assert task.texts[0] == "Hello there, welcome home."
    assert len(task.texts) == 2
    assert data == wav_header(22050) + task.audio
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getframerate() == 22050


async def test_home_assistant_feeds_the_stream(
    hass: HomeAssistant, entity: CosyVoiceTTSEntity, emulator: DashScopeEmulator
) -> None:
    """The pipeline's way in: a result stream fed with text pieces (HA 2025.5+)."""
    stream = tts.async_create_stream(hass, entity.entity_id, "zh")
    if not hasattr(stream, "async_set_message_stream"):
        # HA 2025.4 has no way to feed text into a stream; it always passes the whole
        # message as one piece, which test_whole_message_takes_the_one_shot_path covers.
        assert not hasattr(entity, "async_supports_streaming_input")
        return
    assert entity.async_supports_streaming_input()

    async def llm() -> AsyncIterator[str]:
        for piece in ["今天天气很好。", "我们", "出去走走吧。"]:
            yield piece
            await asyncio.sleep(0.01)

    stream.async_set_message_stream(llm())
    data = b"".join([chunk async for chunk in stream.async_stream_result()])
    (task,) = emulator.tasks
    assert task.texts == ["今天天气很好。", "我们出去走走吧。"]
    assert data == task.audio  # mp3 as configured, no conversion


async def test_whole_message_takes_the_one_shot_path(
    entity: CosyVoiceTTSEntity, emulator: DashScopeEmulator
) -> None:
    async def whole() -> AsyncIterator[str]:
        yield "你好，欢迎回家。"

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("zh-CN", _options(entity), whole())
    )
    data = b"".join([chunk async for chunk in response.data_gen])
    (task,) = emulator.tasks
    assert task.texts == ["你好，欢迎回家。"]
    assert response.extension == "mp3"
    assert data == task.audio


async def test_slow_text_longer_than_the_keep_alive_completes(
    entity: CosyVoiceTTSEntity, emulator: DashScopeEmulator
) -> None:
    emulator.config.task_text_timeout = 0.6  # 23 s for real

    async def thinking_llm() -> AsyncIterator[str]:
        yield "第一句。"
        yield "然后"
        await asyncio.sleep(1.0)
        yield "第二句。"

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest(
            "zh-CN", _options(entity, preferred_format="wav"), thinking_llm()
        )
    )
    data = b"".join([chunk async for chunk in response.data_gen])
    first, second = emulator.tasks
    assert (first.state, second.state) == ("finished", "finished")
    assert data == wav_header(22050) + first.audio + second.audio


async def test_listener_leaving_releases_everything(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity: CosyVoiceTTSEntity,
    emulator: DashScopeEmulator,
) -> None:
    never = asyncio.Event()

    async def endless() -> AsyncIterator[str]:
        yield "第一句话。"
        yield "第二"
        await never.wait()
        yield "never"

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("zh-CN", _options(entity), endless())
    )
    assert await anext(response.data_gen)
    await response.data_gen.aclose()
    await hass.async_block_till_done()
    client = loaded_entry.runtime_data.client
    assert client.pool.open_connections == 0
    # The server sees the close a moment later.
    await eventually(lambda: emulator.open_connections == 0, GUARD)
    assert client.stats.failures["Cancelled"] == 1
    # The next request works (a new connection).
    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("zh-CN", _options(entity), _one("再见。"))
    )
    assert b"".join([chunk async for chunk in response.data_gen])


async def _one(text: str) -> AsyncIterator[str]:
    yield text


async def test_failure_mid_stream_ends_it_with_a_translated_error(
    entity: CosyVoiceTTSEntity,
    emulator: DashScopeEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.add_fault(
        Fault.task_failed("InternalError", "synthesis broke", after_audio=True)
    )

    async def llm() -> AsyncIterator[str]:
        yield "第一句。"
        await asyncio.sleep(0.1)
        yield "第二句。"

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("zh-CN", _options(entity, format="wav"), llm())
    )
    received: list[bytes] = []
    with pytest.raises(HomeAssistantError) as raised:
        async for chunk in response.data_gen:
            received.append(chunk)
    assert received
    assert raised.value.translation_key == "service_unavailable"
    # What Home Assistant logs for the failed message, and what the REST API says.
    assert str(raised.value) == (
        "DashScope is unavailable right now: InternalError: synthesis broke"
    )
    # Home Assistant logs the failure once; we add nothing at ERROR for it.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_rejected_key_while_streaming_starts_reauth(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity: CosyVoiceTTSEntity,
    emulator: DashScopeEmulator,
) -> None:
    emulator.add_fault(Fault.task_failed("InvalidApiKey", "Invalid API-key provided."))

    async def llm() -> AsyncIterator[str]:
        yield "第一句。"
        yield "第二句。"

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("zh-CN", _options(entity), llm())
    )
    with pytest.raises(HomeAssistantError) as raised:
        b"".join([chunk async for chunk in response.data_gen])
    assert raised.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_bad_option_fails_before_any_audio(
    entity: CosyVoiceTTSEntity, emulator: DashScopeEmulator
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await entity.async_stream_tts_audio(
            TTSAudioRequest("zh-CN", _options(entity, voice="nobody"), _one("你好"))
        )
    assert raised.value.translation_key == "invalid_option"
    assert not emulator.tasks
