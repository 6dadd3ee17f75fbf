"""Every audio shape a player may ask for arrives exactly as asked.

Satellites ask for WAV at 16 or 22.05 kHz, mono or stereo, 16-bit; ESPHome speakers for
FLAC at 48 kHz; browsers and Sonos for MP3; Home Assistant Cloud style players for Ogg.
The integration claims only ``preferred_format``: what it makes itself it delivers as
asked, and Home Assistant converts the rest. Home Assistant 2026.11 stopped converting
options an engine claims, so a claimed option that is not honoured shows up here.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.audio_shapes import Shape, mismatch, shapes


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg"])
async def test_every_asked_shape_is_delivered_exactly(
    hass: HomeAssistant,
    entity_id: str,
    hass_client: ClientSessionGenerator,
    fmt: str,
) -> None:
    client = await hass_client()
    wrong: dict[Shape, str] = {}
    for shape in shapes(fmt):
        body = {"engine_id": entity_id, "message": "你好。", "options": shape.options()}
        response = await client.post("/api/tts_get_url", json=body)
        assert response.status == HTTPStatus.OK, await response.text()
        path = (await response.json())["path"]
        assert path.endswith(f".{fmt}")
        audio = await client.get(path)
        assert audio.status == HTTPStatus.OK, shape
        if problem := mismatch(shape, await audio.read()):
            wrong[shape] = problem
    assert not wrong, "\n".join(f"{shape}: {why}" for shape, why in wrong.items())
