"""What ``scripts/develop``'s home holds: the one description the README is tested against.

``scripts/develop`` writes :data:`HOME_YAML` into its configuration, adds the account the
way the UI does (:func:`flow_steps`), puts :data:`VOICE_SAMPLE` into the local media
folder and gives the account's entities the ids of a Beijing account
(:func:`readme_entity_id`). ``tests/integration/test_readme_examples.py`` sets up the same
home in-process from the same description and runs every YAML example of the README
against it, so the two cannot drift: an example that names anything this home lacks
fails that test.
"""

from __future__ import annotations

import io
import math
import re
import struct
import wave
from typing import Any
from urllib.parse import urlsplit

from devtools.spare import SPARE_ENTITY

HOME_YAML = """\
# Two speakers for the examples: local players that fetch the audio as a speaker does
# but play nothing aloud; their attributes show the URL and what the fetch got.
media_player:
  - platform: local_player
    name: Living room
    fetch: true
  - platform: local_player
    name: Kitchen speaker
    fetch: true
# The front door: turn "Front door open" on and off to open and close it.
input_boolean:
  front_door_open:
    name: Front door open
    icon: mdi:door
template:
  - binary_sensor:
      - name: Front door
        unique_id: develop_front_door
        device_class: door
        state: "{{ is_state('input_boolean.front_door_open', 'on') }}"
"""
"""The home's other devices, as its ``configuration.yaml`` holds them."""

EDITOR_YAML = "automation: !include automations.yaml\nscript: !include scripts.yaml\n"
"""Where the automation and script editors save (``scripts/develop`` only)."""

VOICE_SAMPLE = "grandma.wav"
"""A recording in the local media folder, for the README's ``clone_voice``."""

FALLBACK = SPARE_ENTITY
"""The first voice profile's fallback engine: the spare voice (offline, espeak-ng)."""

README_REGION = "China mainland (Beijing)"
"""The region whose entity ids the README's examples name."""


def flow_steps(api_key: str, ws_url: str, http_url: str) -> list[dict[str, Any]]:
    """The config flow's forms for an emulator: a custom endpoint, on its second page."""
    return [
        {"api_key": api_key, "region": "custom", "advanced": {}},
        {"ws_url": ws_url, "http_url": http_url},
    ]


def _slug(text: str) -> str:
    """Home Assistant's slug of a name (``127.0.0.1:8765`` → ``127_0_0_1_8765``)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def readme_entity_id(entity_id: str, ws_url: str) -> str | None:
    """The id an entity of the emulator's account has on a Beijing account; None if same.

    Home Assistant names the account's entities after where it is: a Beijing
    account's sensors are ``sensor.cosyvoice_china_mainland_beijing_…``, the
    emulator's ``sensor.cosyvoice_127_0_0_1_8765_…``. The README names a
    Beijing account's; the emulator's entities get those ids (as a user renames an
    entity in its settings), so its examples run as written.
    """
    host = _slug(urlsplit(ws_url).netloc)
    object_id = entity_id.partition(".")[2]
    if not re.search(rf"(^|_){host}(_|$)", object_id):
        return None
    return entity_id.replace(host, _slug(README_REGION), 1)


def voice_sample(seconds: float = 10.0, rate: int = 16000) -> bytes:
    """A WAV the clone action accepts: a hummed vowel, 10 s at 16 kHz, mono 16-bit.

    A few harmonics of 180 Hz that swell and fade like syllables: no words, but no
    silence or bare tone either.
    """
    frames = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        swell = 0.55 + 0.45 * math.sin(2 * math.pi * 2.5 * t)
        voice = sum(
            math.sin(2 * math.pi * 180 * harmonic * t) / harmonic
            for harmonic in (1, 2, 3, 5)
        )
        frames += struct.pack("<h", int(6000 * swell * voice))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return out.getvalue()
