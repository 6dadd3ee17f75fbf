"""End to end: a real ``hass`` process, the emulator, and only the REST API in between.

Marked ``e2e``: ``scripts/test --no-e2e`` (or ``-m "not e2e"``) deselects it, which
pytest reports. A real process refuses a Python older than its release wants (2026.2
wants 3.13.2; in-process every other test covers it), so the test is skipped there.
``COSYVOICE_HASS_PYTHON`` runs the process from another environment, e.g. a newer
release than the lane's (see :mod:`devtools.hass_runner`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from homeassistant.const import REQUIRED_PYTHON_VER

from devtools.emulator import DashScopeEmulator, EmulatorConfig
from devtools.hass_runner import (
    ROOT,
    Hass,
    HassApi,
    free_port,
    hass_python_is_new_enough,
    write_config,
)
from devtools.hass_socket import HassSocket
from tests.audio_shapes import Shape, mismatch
from tests.conftest import TEST_API_KEY
from tests.emulator.wire import decode

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not hass_python_is_new_enough(REQUIRED_PYTHON_VER),
        reason="a real hass process refuses this Python (older than its release wants)",
    ),
]
# What satellites, ESPHome speakers, browsers and Ogg players ask for, and rates
# CosyVoice cannot make: each must arrive exactly as asked.
ASKED = (
    Shape("wav", 16000, 1, 2),
    Shape("wav", 22050, 2, 2),
    Shape("wav", 11025, 1, None),
    Shape("flac", 48000, 2, 2),
    Shape("flac", 44100, 1, None),
    Shape("mp3", 44100, 2, None),
    Shape("mp3", None, None, None),
    Shape("ogg", 16000, 1, None),
    Shape("ogg", None, None, None),
)

PLAYER = ROOT / "devtools" / "custom_components" / "local_player"
MS_PER_CHAR = 20.0


def _duration(data: bytes) -> float:
    rate, samples = decode(data)
    return samples / rate


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(api_keys={TEST_API_KEY}, ms_per_char=MS_PER_CHAR)


@pytest.fixture
async def hass_process(
    tmp_path: Path, emulator: DashScopeEmulator
) -> AsyncIterator[Hass]:
    port = free_port()
    config_dir = tmp_path / "config"
    write_config(
        config_dir,
        port,
        extra_yaml="media_player:\n  - platform: local_player\n    name: E2E recorder\n",
        custom_components=[PLAYER],
    )
    hass = await Hass.start(config_dir, port)
    try:
        yield hass
    finally:
        code = await hass.stop()
        assert code == 0, f"hass exited with {code}"


async def test_real_home_assistant_speaks_through_the_emulator(
    hass_process: Hass, emulator: DashScopeEmulator
) -> None:
    async with aiohttp.ClientSession() as session:
        api = HassApi(session, hass_process.url)
        assert await api.onboard("Tester", "tester", "a-long-test-password")
        await api.wait_running()
        # From 2026.11 the http settings are a trial Home Assistant reverts (restarting
        # itself) after 5 minutes unless confirmed; onboarding confirms them.
        year, month = map(int, (await api.version()).split(".")[:2])
        if (year, month) >= (2026, 11):
            async with HassSocket(session, hass_process.url, api.access_token) as ws:
                http = await ws.command("http/config")
            assert http["active_config_type"] == "stable", http
            assert http["pending"] is None, http

        # The config flow over REST, as the UI runs it (custom endpoint: a step of its own).
        result = await api.add_entry(
            "cosyvoice",
            {"api_key": TEST_API_KEY, "region": "custom", "advanced": {}},
            {"ws_url": emulator.ws_url, "http_url": emulator.http_url},
        )
        assert result["type"] == "create_entry", result
        (entry,) = await api.entries("cosyvoice")
        assert entry["state"] == "loaded"

        tts_ids = [
            s["entity_id"]
            for s in await api.states()
            if s["entity_id"].startswith("tts.")
        ]
        assert len(tts_ids) == 1
        tts_id = tts_ids[0]

        # What a media player fetches: /api/tts_get_url, then the proxy URL.
        message = "你好，欢迎回家。Welcome home."
        path = await api.tts_url(tts_id, message)
        assert path.startswith("/api/tts_proxy/")
        assert path.endswith(".mp3")
        audio = await api.download(path)
        task = emulator.tasks[-1]
        assert task.texts == [message]
        assert audio == task.audio
        expected = task.characters * MS_PER_CHAR / 1000
        assert _duration(audio) == pytest.approx(expected, abs=0.1)

        # The tts.speak action against a player that records what it was asked.
        await api.call(
            "tts",
            "speak",
            {
                "entity_id": tts_id,
                "media_player_entity_id": "media_player.e2e_recorder",
                "message": "门铃响了。",
                "options": {"preferred_format": "wav"},
            },
        )
        played = (await api.state("media_player.e2e_recorder"))["attributes"]
        assert played["played_media_id"].startswith("media-source://tts/")
        assert played["announce"] is True
        played_path = played["played_url"].removeprefix(hass_process.url)
        assert played_path.endswith(".wav")
        wav = await api.download(played_path)
        task = emulator.tasks[-1]
        assert task.texts == ["门铃响了。"]
        assert wav[:4] == b"RIFF"
        assert _duration(wav) == pytest.approx(
            task.characters * MS_PER_CHAR / 1000, abs=0.1
        )

        # Preferred shapes, as players ask for them.
        wrong = {}
        for shape in ASKED:
            path = await api.tts_url(tts_id, "你好。", shape.options())
            assert path.endswith(f".{shape.fmt}")
            if problem := mismatch(shape, await api.download(path)):
                wrong[shape] = problem
        assert not wrong, wrong

    log = (hass_process.config_dir / "home-assistant.log").read_text()
    assert TEST_API_KEY not in log
    # Nothing about us at WARNING or above but Home Assistant's standard notice.
    untested = "We found a custom integration cosyvoice which has not been tested"
    noisy = [
        line
        for line in log.splitlines()
        if any(level in line for level in (" WARNING ", " ERROR ", " CRITICAL "))
        and "cosyvoice" in line.lower()
        and untested not in line
    ]
    assert not noisy, noisy
