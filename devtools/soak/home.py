"""The home under test: the emulator, a real ``hass``, and what a user would set up.

One account with two voice profiles (v3-flash and v2), three speakers (recording
players), the streaming stand-in agent and an Assist pipeline that speaks its answers
with the first profile, and the task probe. The first profile has the spare voice (an
offline engine) as its fallback, the second none: one run shows both.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from devtools.emulator import DashScopeEmulator, EmulatorConfig
from devtools.hass_runner import ROOT, Hass, HassApi, free_port, write_config
from devtools.hass_socket import HassSocket
from devtools.spare import (
    SPARE_ENTITY,
    SPARE_VOICE,
    add_spare_voice,
    profile_ids,
    set_fallback,
)

KEY = "sk-soak-7f3c9a41d2e8b605"
"""The API key: distinctive, so any appearance in a log is found."""
PLAYERS = ("Kitchen", "Hall", "Bedroom")


@dataclass(frozen=True)
class ProfileSpec:
    """A voice profile to set up: name, model, its voice and the others it may use."""

    name: str
    model: str
    voice: str
    other_voices: tuple[str, ...]
    fallback: str | None = None
    """The fallback engine (its ``fallback_after`` is the default, 3 s)."""


FALLBACK_AFTER = 3.0
"""The profiles' default ``fallback_after``, which the soak leaves as it is."""
PROFILES = (
    ProfileSpec(
        "CosyVoice",
        "cosyvoice-v3-flash",
        "longanyang",
        ("loongabby_v3",),
        fallback=SPARE_ENTITY,
    ),
    ProfileSpec("Stories", "cosyvoice-v2", "longxiaochun_v2", ("loongandy_v2",)),
)
_COMPONENTS = ROOT / "devtools" / "custom_components"
_EXTRA_YAML = "soak_probe:\nmedia_player:\n" + "".join(
    f"  - platform: local_player\n    name: {name}\n" for name in PLAYERS
)


@dataclass
class Profile:
    """A voice profile as the driver uses it: its TTS entity and voices."""

    name: str
    entity_id: str
    model: str
    voices: tuple[str, ...]
    fallback: str | None = None


@dataclass
class Home:
    """Everything running, and the handles the driver needs."""

    emulator: DashScopeEmulator
    hass: Hass
    api: HassApi
    socket: HassSocket
    session: aiohttp.ClientSession
    entry_id: str
    profiles: list[Profile]
    players: list[str]
    pipeline_id: str
    ws_port: int
    http_port: int
    account: dict[str, int] = field(default_factory=dict)
    """The account options in force: ``pool_size`` and ``keep_ready``."""
    hass_exit_code: int | None = None
    """How ``hass`` ended when it was stopped (0: cleanly)."""

    async def restart_emulator(self) -> None:
        """Start the stopped emulator again on the ports Home Assistant knows."""
        await self.emulator.start(http_port=self.http_port, port=self.ws_port)


def emulator_config() -> EmulatorConfig:
    """Latency like the real service's, audio fast (a soak counts calls, not seconds)."""
    return EmulatorConfig(
        api_keys={KEY},
        handshake_delay=0.05,
        first_audio_delay=0.05,
        ms_per_char=20.0,
    )


@contextlib.asynccontextmanager
async def running_home(config_dir: Path | None = None) -> AsyncIterator[Home]:
    """Start everything and set the home up; stop everything after."""
    config_dir = config_dir or Path(tempfile.mkdtemp(prefix="cosyvoice-soak-"))
    emulator = DashScopeEmulator(emulator_config())
    await emulator.start()
    try:
        port = free_port()
        write_config(
            config_dir,
            port,
            extra_yaml=_EXTRA_YAML,
            custom_components=[
                _COMPONENTS / "local_player",
                _COMPONENTS / "streaming_agent",
                _COMPONENTS / "soak_probe",
                SPARE_VOICE,
            ],
        )
        hass = await Hass.start(config_dir, port)
        home: Home | None = None
        try:
            async with aiohttp.ClientSession() as session:
                api = HassApi(session, hass.url)
                await api.onboard("Soak", "soak", "cosyvoice-soak-test")
                await api.wait_running()
                async with HassSocket(session, hass.url, api.access_token) as socket:
                    home = await _set_up(emulator, hass, api, socket, session)
                    yield home
        finally:
            code = await hass.stop()
            if home is not None:
                home.hass_exit_code = code
    finally:
        await emulator.stop()


async def _set_up(
    emulator: DashScopeEmulator,
    hass: Hass,
    api: HassApi,
    socket: HassSocket,
    session: aiohttp.ClientSession,
) -> Home:
    added = await api.add_entry(
        "cosyvoice",
        {"api_key": KEY, "region": "custom", "advanced": {}},
        {"ws_url": emulator.ws_url, "http_url": emulator.http_url},
    )
    if added.get("type") != "create_entry":
        raise RuntimeError(f"the CosyVoice entry was not created: {added}")
    entry_id = added["result"]["entry_id"]
    profiles = await _profiles(api, entry_id)
    await _fallbacks(api, socket, entry_id, profiles)
    agent = await api.add_entry("streaming_agent", {})
    if agent.get("type") != "create_entry":
        raise RuntimeError(f"the agent was not added: {agent}")
    states = await api.states()
    players = sorted(
        s["entity_id"]
        for s in states
        if s["entity_id"].startswith("media_player.")
        and s["attributes"].get("friendly_name") in PLAYERS
    )
    agent_id = next(
        s["entity_id"]
        for s in states
        if s["entity_id"].startswith("conversation.streaming")
    )
    pipeline_id = await _pipeline(socket, profiles[0].entity_id, agent_id)
    ws = urlsplit(emulator.ws_url)
    http = urlsplit(emulator.http_url)
    return Home(
        emulator=emulator,
        hass=hass,
        api=api,
        socket=socket,
        session=session,
        entry_id=entry_id,
        profiles=profiles,
        players=players,
        pipeline_id=pipeline_id,
        ws_port=int(ws.port or 0),
        http_port=int(http.port or 0),
        account={"pool_size": 8, "keep_ready": 1},
    )


async def _profiles(api: HassApi, entry_id: str) -> list[Profile]:
    """The profiles of :data:`PROFILES`, each with the TTS entity it brought."""
    # The first profile comes with the entry; each one added brings one TTS entity.
    entities = [await _only_new_tts_entity(api, set())]
    for spec in PROFILES[1:]:
        result = await api.add_subentry(
            entry_id,
            "tts",
            {"name": spec.name, "model": spec.model} | _PROFILE_SETTINGS,
            {"voice": spec.voice},
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"profile {spec.name} was not added: {result}")
        entities.append(await _only_new_tts_entity(api, set(entities)))
    return [
        Profile(
            name=spec.name,
            entity_id=entity_id,
            model=spec.model,
            voices=(spec.voice, *spec.other_voices),
            fallback=spec.fallback,
        )
        for spec, entity_id in zip(PROFILES, entities, strict=True)
    ]


async def _fallbacks(
    api: HassApi, socket: HassSocket, entry_id: str, profiles: list[Profile]
) -> None:
    """The spare voice, and each profile that has a fallback given it; reloaded."""
    await add_spare_voice(api)
    ids = await profile_ids(socket, entry_id)
    for profile in profiles:
        if profile.fallback:
            await set_fallback(api, entry_id, ids[profile.name], profile.fallback)
    # Each change reloads the entry: wait until every profile speaks again.
    await asyncio.sleep(1.0)
    async with asyncio.timeout(30.0):
        while True:
            states = [await api.state_or_none(p.entity_id) for p in profiles]
            if all(s is not None and s["state"] != "unavailable" for s in states):
                return
            await asyncio.sleep(0.25)


_PROFILE_SETTINGS: dict[str, Any] = {
    "format": "mp3",
    "sample_rate": "22050",
    "volume": 50,
    "rate": 1.0,
    "pitch": 1.0,
    "long_text_threshold": 500,
    "route": "websocket",
}


async def _only_new_tts_entity(api: HassApi, known: set[str]) -> str:
    """The one TTS entity not in ``known``, once it is there (the entry reloads)."""
    async with asyncio.timeout(30.0):
        while True:
            states = await api.states()
            new = {
                s["entity_id"]
                for s in states
                if s["entity_id"].startswith("tts.") and s["state"] != "unavailable"
            } - known
            if len(new) == 1:
                return str(new.pop())
            await asyncio.sleep(0.25)


async def _pipeline(socket: HassSocket, tts_id: str, agent_id: str) -> str:
    """An Assist pipeline: the stand-in agent answers, the first profile speaks."""
    engine = await socket.command("tts/engine/get", engine_id=tts_id)
    languages = engine["provider"]["supported_languages"]
    language = "zh-CN" if "zh-CN" in languages else languages[0]
    pipeline = await socket.command(
        "assist_pipeline/pipeline/create",
        name="Soak",
        language=language,
        conversation_engine=agent_id,
        conversation_language="*",
        stt_engine=None,
        stt_language=None,
        tts_engine=tts_id,
        tts_language=language,
        tts_voice=None,
        wake_word_entity=None,
        wake_word_id=None,
    )
    return str(pipeline["id"])
