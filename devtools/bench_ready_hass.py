"""Readiness through a real Home Assistant: time to first byte, warm and after idle.

Starts the emulator (its real 60 s idle close, 80 ms handshake, 50 ms to first audio)
and a real ``hass`` process with the integration (its defaults: one connection kept
ready), then asks as a media player would: ``/api/tts_get_url`` and then the audio
URL, timing the first byte of audio. Warm requests come a second apart; the others
after more than the idle close. Reported: p50 of each minus the emulator's first-audio
delay (Home Assistant's own cost plus ours), and their ratio. Set
``COSYVOICE_HASS_PYTHON`` to measure another Home Assistant (see
:mod:`devtools.hass_runner`).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from devtools.bench_output import emit
from devtools.emulator import DashScopeEmulator, EmulatorConfig
from devtools.hass_runner import Hass, HassApi, free_port, hass_python, write_config

KEY = "sk-bench"
HANDSHAKE_DELAY = 0.08
FIRST_AUDIO_DELAY = 0.05


async def _first_byte(
    session: aiohttp.ClientSession, api: HassApi, engine: str, message: str
) -> float:
    began = time.perf_counter()
    path = await api.tts_url(engine, message)
    async with session.get(f"{api.url}{path}") as response:
        response.raise_for_status()
        await response.content.readany()
    return time.perf_counter() - began


async def _measure(
    session: aiohttp.ClientSession,
    api: HassApi,
    warm: int,
    idle: int,
    idle_wait: float,
) -> tuple[list[float], list[float]]:
    """Seconds to the first byte: ``warm`` a second apart, ``idle`` after silence."""
    engine = next(
        s["entity_id"] for s in await api.states() if s["entity_id"].startswith("tts.")
    )
    # Each message differs: Home Assistant would serve a repeat cached.
    await _first_byte(session, api, engine, "准备。")
    warm_s = []
    for index in range(warm):
        await asyncio.sleep(1.0)
        warm_s.append(await _first_byte(session, api, engine, f"第{index}句。"))
    idle_s = []
    for index in range(idle):
        await asyncio.sleep(idle_wait)
        idle_s.append(await _first_byte(session, api, engine, f"静默后{index}。"))
    return warm_s, idle_s


async def run(warm: int, idle: int, idle_wait: float) -> dict[str, Any]:
    """Start everything, measure, stop everything."""
    config = EmulatorConfig(
        api_keys={KEY},
        handshake_delay=HANDSHAKE_DELAY,
        first_audio_delay=FIRST_AUDIO_DELAY,
    )
    config_dir = Path(tempfile.mkdtemp(prefix="cosyvoice-bench-"))
    port = free_port()
    try:
        async with DashScopeEmulator(config) as emulator:
            write_config(config_dir, port)
            hass = await Hass.start(config_dir, port)
            try:
                async with aiohttp.ClientSession() as session:
                    api = HassApi(session, hass.url)
                    await api.onboard("Bench", "bench", "cosyvoice-bench")
                    await api.wait_running()
                    await api.add_entry(
                        "cosyvoice",
                        {"api_key": KEY, "region": "custom", "advanced": {}},
                        {"ws_url": emulator.ws_url, "http_url": emulator.http_url},
                    )
                    version = await api.version()
                    warm_s, idle_s = await _measure(session, api, warm, idle, idle_wait)
            finally:
                await hass.stop()
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)
    warm_p50 = statistics.median(warm_s) - FIRST_AUDIO_DELAY
    idle_p50 = statistics.median(idle_s) - FIRST_AUDIO_DELAY
    return {
        "home_assistant": version,
        "python": hass_python(),
        "emulator": {
            "handshake_ms": HANDSHAKE_DELAY * 1000,
            "first_audio_ms": FIRST_AUDIO_DELAY * 1000,
            "idle_close_s": config.idle_timeout,
        },
        "idle_wait_s": idle_wait,
        "warm_ms_minus_emulator_p50": round(warm_p50 * 1000, 1),
        "after_idle_ms_minus_emulator_p50": round(idle_p50 * 1000, 1),
        "ratio": round(idle_p50 / warm_p50, 3),
        "samples": {"warm": len(warm_s), "after_idle": len(idle_s)},
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.bench_ready_hass [--warm N] [--idle N] [--idle-wait S]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=7)
    parser.add_argument("--idle", type=int, default=3)
    parser.add_argument("--idle-wait", type=float, default=70.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.warm, args.idle, args.idle_wait))
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
