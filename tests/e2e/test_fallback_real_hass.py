"""End to end: a real ``hass`` speaks through the spare voice when the service cannot.

The voice profile's fallback is the development engine ``spare_voice`` (espeak-ng or a
tone, offline), set through the profile's *Reconfigure* form as a user does. With the
emulator stopped, and then accepting connections and answering nothing, a message
still comes back as audio, made by the spare voice; with the service back, CosyVoice
speaks again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from homeassistant.const import REQUIRED_PYTHON_VER

from devtools.emulator import DashScopeEmulator, EmulatorConfig
from devtools.hass_runner import (
    Hass,
    HassApi,
    free_port,
    hass_python_is_new_enough,
    write_config,
)
from devtools.hass_socket import HassSocket
from devtools.spare import (
    SPARE_ENTITY,
    SPARE_VOICE,
    add_spare_voice,
    profile_ids,
    set_fallback,
    spoken_by_spare,
    wait_reloaded,
)
from tests.conftest import TEST_API_KEY

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not hass_python_is_new_enough(REQUIRED_PYTHON_VER),
        reason="a real hass process refuses this Python (older than its release wants)",
    ),
]
AFTER = 1.0
MP3 = (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(api_keys={TEST_API_KEY})


@pytest.fixture
async def hass_process(
    tmp_path: Path, emulator: DashScopeEmulator
) -> AsyncIterator[Hass]:
    port = free_port()
    config_dir = tmp_path / "config"
    write_config(config_dir, port, custom_components=[SPARE_VOICE])
    hass = await Hass.start(config_dir, port)
    try:
        yield hass
    finally:
        code = await hass.stop()
        assert code == 0, f"hass exited with {code}"


async def _heard(api: HassApi, engine: str, message: str) -> bytes:
    audio = await api.download(await api.tts_url(engine, message))
    assert audio.startswith(MP3), audio[:8]
    return audio


async def test_the_fallback_speaks_through_an_outage(
    hass_process: Hass, emulator: DashScopeEmulator
) -> None:
    async with aiohttp.ClientSession() as session:
        api = HassApi(session, hass_process.url)
        await api.onboard("Tester", "tester", "a-long-test-password")
        await api.wait_running()
        added = await api.add_entry(
            "cosyvoice",
            {"api_key": TEST_API_KEY, "region": "custom", "advanced": {}},
            {"ws_url": emulator.ws_url, "http_url": emulator.http_url},
        )
        entry_id = added["result"]["entry_id"]
        assert await add_spare_voice(api)
        async with HassSocket(session, api.url, api.access_token) as socket:
            (subentry_id,) = (await profile_ids(socket, entry_id)).values()
        saved = await set_fallback(api, entry_id, subentry_id, after=AFTER)
        assert saved.get("reason") == "reconfigure_successful", saved
        await wait_reloaded(api)
        engine = next(
            s["entity_id"]
            for s in await api.states()
            if s["entity_id"].startswith("tts.") and s["entity_id"] != SPARE_ENTITY
        )

        ws_port, http_port = emulator.ws_url, emulator.http_url
        await emulator.stop()
        await _heard(api, engine, "〔down〕The front door is open.")
        await emulator.start(
            port=int(ws_port.split(":")[2].split("/")[0]),
            http_port=int(http_port.split(":")[2].split("/")[0]),
        )
        emulator.config.unresponsive = True
        await _heard(api, engine, "〔unanswered〕The garage door is open.")
        emulator.config.unresponsive = False
        tasks = len(emulator.tasks)
        await _heard(api, engine, "〔back〕Dinner is ready.")

        spoken = [item["text"] for item in (await spoken_by_spare(api))["spoken"]]
        assert [text[:12] for text in spoken] == ["〔down〕The fr", "〔unanswered〕"]
        assert len(emulator.tasks) > tasks  # CosyVoice spoke the last one itself
