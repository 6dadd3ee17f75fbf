"""Time to first audio in an outage, with a fallback: the deadline, the fallback, and us.

Starts the emulator (80 ms handshake, 50 ms to first audio) and a real ``hass``
(``COSYVOICE_HASS_PYTHON`` picks another release, see :mod:`devtools.hass_runner`)
with the integration, whose voice profile has the spare voice (espeak-ng, offline) as
its fallback after the default 3 s. Each round asks as a media player does
(``/api/tts_get_url``, then the audio URL, timing its first byte), one message each
way, every text new so Home Assistant's cache never answers:

- ``spare``: the spare voice itself, asked as the fallback asks it (MP3);
- ``warm``: CosyVoice with the service up (for scale);
- ``unanswered``: CosyVoice while the service accepts connections and answers nothing,
  so the fallback speaks at the deadline;
- ``down``: CosyVoice while the service is stopped (connections refused), so the
  fallback speaks once the client has given up.

Reported: p50s, and what the fallback costs beyond the deadline and its own time
(target: at most 50 ms): per round, ``unanswered - deadline - spare``, each side less
espeak-ng's own time for its message (which the spare voice reports), p50 and max;
and plainly from the p50s.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from devtools.bench_output import bench_main
from devtools.emulator import DashScopeEmulator, EmulatorConfig
from devtools.hass_runner import Hass, HassApi, free_port, hass_python, write_config
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

KEY = "sk-bench"
HANDSHAKE_DELAY = 0.08
FIRST_AUDIO_DELAY = 0.05
AFTER = 3.0
"""The profile's fallback_after: the default."""
TARGET_MS = 50.0
AUDIO_MAGIC = (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
WAYS = ("spare", "warm", "unanswered", "down")


async def _first_byte(
    api: HassApi, engine: str, message: str, options: dict[str, Any]
) -> float:
    """Seconds from asking to the first audio byte; the audio must be MP3."""
    began = time.perf_counter()
    path = await api.tts_url(engine, message, options)
    first = 0.0
    head = b""
    async with api.session.get(f"{api.url}{path}") as response:
        response.raise_for_status()
        async for chunk in response.content.iter_any():
            first = first or time.perf_counter() - began
            head += chunk[: 4 - len(head)]
    if not head.startswith(AUDIO_MAGIC):
        raise RuntimeError(f"{engine} gave no MP3 for {message!r}: {head!r}")
    return first


async def _round(
    api: HassApi, emulator: DashScopeEmulator, engine: str, index: int
) -> dict[str, float]:
    """One message each way; texts of one length, new every time."""
    took = {"spare": await _first_byte(api, SPARE_ENTITY, _text(index, "a"), {})}
    emulator.config.unresponsive = True
    try:
        took["unanswered"] = await _first_byte(api, engine, _text(index, "b"), {})
    finally:
        emulator.config.unresponsive = False
    await emulator.stop()
    try:
        took["down"] = await _first_byte(api, engine, _text(index, "c"), {})
    finally:
        await emulator.start(
            port=_port(emulator.ws_url), http_port=_port(emulator.http_url)
        )
    # The pool reconnects (kept-ready renewal backs off while the service was gone):
    # one request to warm it, then the one measured.
    await asyncio.sleep(1.0)
    await _first_byte(api, engine, _text(index, "d"), {})
    took["warm"] = await _first_byte(api, engine, _text(index, "e"), {})
    return took


def _text(index: int, way: str) -> str:
    return f"Round {index:02d}, {way}: the front door is open."


def _port(url: str) -> int:
    return int(url.split(":")[2].split("/", maxsplit=1)[0])


async def _home(api: HassApi, emulator: DashScopeEmulator) -> str:
    """Onboard, add CosyVoice and the spare voice as its fallback; its engine."""
    await api.onboard("Bench", "bench", "cosyvoice-bench")
    await api.wait_running()
    added = await api.add_entry(
        "cosyvoice",
        {"api_key": KEY, "region": "custom", "advanced": {}},
        {"ws_url": emulator.ws_url, "http_url": emulator.http_url},
    )
    entry_id = added["result"]["entry_id"]
    await add_spare_voice(api)
    async with HassSocket(api.session, api.url, api.access_token) as socket:
        (subentry_id,) = (await profile_ids(socket, entry_id)).values()
    await set_fallback(api, entry_id, subentry_id, after=AFTER)
    await wait_reloaded(api)
    return str(
        next(
            s["entity_id"]
            for s in await api.states()
            if s["entity_id"].startswith("tts.") and s["entity_id"] != SPARE_ENTITY
        )
    )


async def run(rounds: int) -> dict[str, Any]:
    """Start everything, measure ``rounds`` rounds, stop everything."""
    config = EmulatorConfig(
        api_keys={KEY},
        handshake_delay=HANDSHAKE_DELAY,
        first_audio_delay=FIRST_AUDIO_DELAY,
    )
    config_dir = Path(tempfile.mkdtemp(prefix="cosyvoice-bench-"))
    port = free_port()
    try:
        async with DashScopeEmulator(config) as emulator:
            write_config(config_dir, port, custom_components=[SPARE_VOICE])
            hass = await Hass.start(config_dir, port)
            try:
                async with aiohttp.ClientSession() as session:
                    api = HassApi(session, hass.url)
                    engine = await _home(api, emulator)
                    version = await api.version()
                    await _first_byte(api, engine, "Warming up.", {})
                    measured = [
                        await _round(api, emulator, engine, index)
                        for index in range(rounds)
                    ]
                    spoken = (await spoken_by_spare(api))["spoken"]
            finally:
                await hass.stop()
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)
    return _figures(version, measured, spoken)


def _figures(
    version: str, measured: list[dict[str, float]], spoken: list[dict[str, Any]]
) -> dict[str, Any]:
    """p50 of each way, and what the fallback costs beyond the deadline and itself.

    espeak-ng's own time differs from message to message by tens of milliseconds;
    the spare voice says how long each took, so that is taken out of both sides.
    """
    took = {str(item["text"]): float(item["took_s"]) for item in spoken}
    p50 = {way: statistics.median(m[way] for m in measured) for way in WAYS}
    beyond = [
        (m["unanswered"] - AFTER - took[_text(i, "b")])
        - (m["spare"] - took[_text(i, "a")])
        for i, m in enumerate(measured)
    ]
    return {
        "home_assistant": version,
        "python": hass_python(),
        "emulator": {
            "handshake_ms": HANDSHAKE_DELAY * 1000,
            "first_audio_ms": FIRST_AUDIO_DELAY * 1000,
        },
        "fallback_after_s": AFTER,
        "rounds": len(measured),
        "first_byte_p50_ms": {way: round(v * 1000, 1) for way, v in p50.items()},
        "espeak_p50_ms": round(statistics.median(took.values()) * 1000, 1),
        "unanswered_beyond_deadline_and_spare_ms": {
            "of_p50s": round((p50["unanswered"] - AFTER - p50["spare"]) * 1000, 1),
            "p50": round(statistics.median(beyond) * 1000, 1),
            "max": round(max(beyond) * 1000, 1),
            "target": TARGET_MS,
        },
        "down_beyond_spare_p50_ms": round(
            statistics.median(m["down"] - m["spare"] for m in measured) * 1000, 1
        ),
        "met": statistics.median(beyond) * 1000 <= TARGET_MS,
        "samples_ms": [{w: round(m[w] * 1000, 1) for w in WAYS} for m in measured],
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.bench_fallback [--rounds N] [--out FILE]``."""
    return bench_main(argv, __doc__ or "", 15, run)


if __name__ == "__main__":
    sys.exit(main())
