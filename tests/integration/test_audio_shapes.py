"""Every audio shape a player may ask for arrives exactly as asked.

Satellites ask for WAV at 16 or 22.05 kHz, mono or stereo, 16-bit; ESPHome speakers for
FLAC at 48 kHz; browsers and Sonos for MP3; Home Assistant Cloud style players for Ogg.
The integration claims only ``preferred_format``: what it makes itself it delivers as
asked, and Home Assistant converts the rest. Home Assistant 2026.11 stopped converting
options an engine claims, so a claimed option that is not honoured shows up here.
"""

from __future__ import annotations

import io
import itertools
import wave
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import av
import pytest
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cosyvoice.const import DOMAIN
from tests.emulator.wire import opus_input_rate

RATES = (None, 8000, 11025, 16000, 22050, 24000, 44100, 48000)
CHANNELS = (None, 1, 2)
# Home Assistant converts sample widths to 16 bits only (ffmpeg -sample_fmt s16).
SAMPLE_BYTES = (None, 2)
MAGIC = {"wav": b"RIFF", "flac": b"fLaC", "ogg": b"OggS"}


@dataclass(frozen=True)
class Shape:
    """What a player asked for; None leaves it to the engine."""

    fmt: str
    rate: int | None
    channels: int | None
    sample_bytes: int | None

    def options(self) -> dict[str, Any]:
        asked = {
            "preferred_format": self.fmt,
            "preferred_sample_rate": self.rate,
            "preferred_sample_channels": self.channels,
            "preferred_sample_bytes": self.sample_bytes,
        }
        return {key: value for key, value in asked.items() if value is not None}


def _shapes(fmt: str) -> list[Shape]:
    widths = SAMPLE_BYTES if fmt in ("wav", "flac") else (None,)
    return [Shape(fmt, *combo) for combo in itertools.product(RATES, CHANNELS, widths)]


def _measure(fmt: str, data: bytes) -> tuple[int, int, int | None]:
    """Sample rate, channels and sample width (lossless formats only) of a file."""
    if fmt == "wav":
        with wave.open(io.BytesIO(data)) as wav:
            return wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        frame = next(container.decode(stream))
        rate = frame.sample_rate
        if stream.codec_context.name == "opus":
            rate = opus_input_rate(data)  # libopus always decodes at 48 kHz
        # FLAC decodes to the width it was encoded with (16-bit to s16).
        width = frame.format.bytes if fmt == "flac" else None
        return rate, frame.layout.nb_channels, width


def _mismatch(shape: Shape, data: bytes) -> str | None:
    if shape.fmt == "mp3":
        if not (data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3")):
            return f"not MP3: {data[:4]!r}"
    elif not data.startswith(MAGIC[shape.fmt]):
        return f"not {shape.fmt}: {data[:4]!r}"
    rate, channels, width = _measure(shape.fmt, data)
    wanted = (shape.rate, shape.channels, shape.sample_bytes)
    got = (rate, channels, width)
    if any(w is not None and w != g for w, g in zip(wanted, got, strict=True)):
        return f"got rate, channels, bytes {got}"
    return None


@pytest.fixture
async def engine(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> str:
    await async_process_ha_core_config(
        hass, {"internal_url": "http://example.local:8123"}
    )
    assert await async_setup_component(hass, "media_source", {})
    found = er.async_get(hass).async_get_entity_id("tts", DOMAIN, loaded_entry.entry_id)
    assert found is not None
    return found


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg"])
async def test_every_asked_shape_is_delivered_exactly(
    hass: HomeAssistant,
    engine: str,
    hass_client: ClientSessionGenerator,
    fmt: str,
) -> None:
    client = await hass_client()
    wrong: dict[Shape, str] = {}
    for shape in _shapes(fmt):
        body = {"engine_id": engine, "message": "你好。", "options": shape.options()}
        response = await client.post("/api/tts_get_url", json=body)
        assert response.status == HTTPStatus.OK, await response.text()
        path = (await response.json())["path"]
        assert path.endswith(f".{fmt}")
        audio = await client.get(path)
        assert audio.status == HTTPStatus.OK, shape
        if problem := _mismatch(shape, await audio.read()):
            wrong[shape] = problem
    assert not wrong, "\n".join(f"{shape}: {why}" for shape, why in wrong.items())
