"""Measure the router's choices against the emulator with realistic latency.

Short text, four ways: HTTP (audio URL), HTTP (SSE), WebSocket on a fresh connection,
WebSocket on a warm pooled connection. Prints one JSON object with the first-audio
and total times (median and p95, ms) of each; ``--out`` also writes it to a file.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    Endpoint,
    RoutingSettings,
    SynthesisOptions,
)
from devtools.bench_output import emit
from devtools.emulator import DashScopeEmulator, EmulatorConfig

KEY = "sk-bench"
TEXT = "客厅的灯已经关好了。"


async def _measure(client: CosyVoiceClient, *, stream: bool) -> tuple[float, float]:
    options = SynthesisOptions(format="mp3")
    began = time.perf_counter()
    if not stream:
        result = await client.synthesize(TEXT, options)
        done = time.perf_counter() - began
        first = result.first_audio_latency or done
        return first, done
    first = 0.0
    async for _ in client.stream(TEXT, options):
        if not first:
            first = time.perf_counter() - began
    return first, time.perf_counter() - began


async def run(rounds: int) -> dict[str, Any]:
    """Run every variant ``rounds`` times, interleaved, and summarise."""
    config = EmulatorConfig(
        api_keys={KEY},
        handshake_delay=0.08,
        first_audio_delay=0.15,
        realtime_factor=1.0,
    )
    samples: dict[str, list[tuple[float, float]]] = {}
    async with (
        DashScopeEmulator(config) as emulator,
        aiohttp.ClientSession() as session,
    ):
        endpoint = Endpoint.custom(emulator.ws_url, emulator.http_url)

        def client(route: str) -> CosyVoiceClient:
            return CosyVoiceClient(
                session,
                KEY,
                endpoint,
                routing=RoutingSettings(route=route),  # type: ignore[arg-type]
            )

        warm = client("websocket")
        await warm.pool.warm_up()
        http = client("http")
        for _ in range(rounds):
            for name, api, stream in (
                ("http_url", http, False),
                ("http_sse", http, True),
                ("websocket_warm", warm, True),
            ):
                samples.setdefault(name, []).append(await _measure(api, stream=stream))
            cold = client("websocket")
            samples.setdefault("websocket_cold", []).append(
                await _measure(cold, stream=True)
            )
            await cold.close()
        await warm.close()
        await http.close()
    return {
        "text": TEXT,
        "rounds": rounds,
        "emulator": {"handshake_ms": 80, "first_audio_ms": 150, "realtime_factor": 1.0},
        "first_audio_ms": {k: _summary([s[0] for s in v]) for k, v in samples.items()},
        "total_ms": {k: _summary([s[1] for s in v]) for k, v in samples.items()},
    }


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return {
        "p50": round(statistics.median(ordered) * 1000, 1),
        "p95": round(p95 * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) its JSON."""
    parser = argparse.ArgumentParser(prog="scripts/bench-router")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.rounds))
    emit(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
