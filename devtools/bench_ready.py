"""Measure readiness: after silence, in a burst, and a stream from an empty pool.

Against the in-process emulator with realistic latencies (80 ms handshake, 50 ms to
first audio) and its idle close shortened from 60 s to :data:`IDLE_CLOSE`; every
renewal interval is scaled by the same factor (the SDK's 30 ± 5 s and our 25 s):

- ``idle``: first-audio p50 of requests spaced beyond the idle close, divided by
  that of requests spaced 0.3 s apart, for: ours keeping one connection ready, ours
  without (the pool as before), a client that opens a connection per request, and
  the official SDK's object pool (its renewal thread, scaled).
- ``burst``: 8 requests at once on a warm pool; their last-byte p50 divided by one
  request's, and the connections the burst opened.
- ``stream_from_empty``: a stream whose writer thinks 300 ms, then writes a character
  every 30 ms, on a client with no connection yet: first sentence complete → first
  audio, minus the emulator's first-audio delay.

Prints one JSON object; ``--out`` also writes it to a file.
"""

from __future__ import annotations

import asyncio
import importlib
import random
import statistics
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    Endpoint,
    KeepReadySettings,
    SynthesisOptions,
)
from custom_components.cosyvoice.api.connection import SERVICE_IDLE_CLOSE
from devtools.bench_output import bench_main
from devtools.emulator import DashScopeEmulator, EmulatorConfig

KEY = "sk-bench"
HANDSHAKE_DELAY = 0.08
FIRST_AUDIO_DELAY = 0.05
IDLE_CLOSE = 3.0
SCALE = IDLE_CLOSE / SERVICE_IDLE_CLOSE
"""Every interval of the real service, scaled to the shortened idle close."""
WARM_SPACING = 0.3
IDLE_SPACING = IDLE_CLOSE * 1.3
TEXT = "客厅的灯已经关了。"
OPTIONS = SynthesisOptions(format="pcm", sample_rate=16000)
READY = KeepReadySettings(
    connections=1, renew_after=KeepReadySettings().renew_after * SCALE
)
BURST = 8

type Speak = Callable[[], Awaitable[tuple[float, float]]]
"""One request: seconds to its first audio, and to its last byte."""


def _config() -> EmulatorConfig:
    return EmulatorConfig(
        api_keys={KEY},
        handshake_delay=HANDSHAKE_DELAY,
        first_audio_delay=FIRST_AUDIO_DELAY,
        realtime_factor=1.0,
        idle_timeout=IDLE_CLOSE,
    )


async def _timed(chunks: AsyncIterator[bytes]) -> tuple[float, float]:
    began = time.perf_counter()
    first = 0.0
    async for _ in chunks:
        if not first:
            first = time.perf_counter() - began
    return first, time.perf_counter() - began


def _ours(client: CosyVoiceClient) -> Speak:
    async def speak() -> tuple[float, float]:
        return await _timed(client.stream(TEXT, OPTIONS))

    return speak


def _per_request(session: aiohttp.ClientSession, ws_url: str) -> Speak:
    async def speak() -> tuple[float, float]:
        client = CosyVoiceClient(
            session,
            KEY,
            Endpoint.custom(ws_url),
            keep_ready=KeepReadySettings(connections=0),
        )
        try:
            return await _timed(client.stream(TEXT, OPTIONS))
        finally:
            await client.close()

    return speak


class _SdkPool:
    """The official SDK's object pool, its renewal scaled like the idle close."""

    def __init__(self, ws_url: str) -> None:
        dashscope: Any = importlib.import_module("dashscope")
        dashscope.api_key = KEY
        self._tts: Any = importlib.import_module("dashscope.audio.tts_v2")
        pool_class = self._tts.SpeechSynthesizerObjectPool
        # The SDK renews after 30 s ± 5 s; the same, scaled.
        renewal = "_SpeechSynthesizerObjectPool__get_reconnect_interval"
        setattr(pool_class, renewal, lambda _self: (30 + random.uniform(-5, 5)) * SCALE)
        self.pool = pool_class(max_size=1, url=ws_url)

    def speak(self) -> tuple[float, float]:
        done = threading.Event()
        times: dict[str, float] = {}
        began = time.perf_counter()

        class Callback(self._tts.ResultCallback):  # type: ignore[misc, name-defined]
            def on_data(self, data: bytes) -> None:
                times.setdefault("first", time.perf_counter() - began)

            def on_complete(self) -> None:
                times["last"] = time.perf_counter() - began
                done.set()

            def on_error(self, message: str) -> None:
                times["last"] = time.perf_counter() - began
                done.set()

        synthesizer = self.pool.borrow_synthesizer(
            model=OPTIONS.model,
            voice=OPTIONS.voice,
            format=self._tts.AudioFormat.PCM_16000HZ_MONO_16BIT,
            callback=Callback(),
        )
        synthesizer.streaming_call(TEXT)
        synthesizer.streaming_complete()
        done.wait(30)
        self.pool.return_synthesizer(synthesizer)
        return times.get("first", float("nan")), times.get("last", float("nan"))

    def close(self) -> None:
        self.pool.shutdown()


async def _series(speak: Speak, count: int, spacing: float) -> list[float]:
    firsts = []
    for index in range(count):
        if index:
            await asyncio.sleep(spacing)
        first, _ = await speak()
        firsts.append(first)
    return firsts


async def _idle_ratio(speak: Speak, warm_count: int, idle_count: int) -> dict[str, Any]:
    await speak()  # whatever the first request costs is not what is measured
    warm = await _series(speak, warm_count, WARM_SPACING)
    await asyncio.sleep(IDLE_SPACING)
    idle = await _series(speak, idle_count, IDLE_SPACING)
    warm_p50, idle_p50 = statistics.median(warm), statistics.median(idle)
    return {
        "warm_first_audio_p50_ms": round(warm_p50 * 1000, 1),
        "after_idle_first_audio_p50_ms": round(idle_p50 * 1000, 1),
        "ratio": round(idle_p50 / warm_p50, 3),
    }


async def _idle(rounds: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with DashScopeEmulator(_config()) as emulator, aiohttp.ClientSession() as s:
        url = Endpoint.custom(emulator.ws_url)
        for name, ready in (
            ("ours_keep_ready", READY),
            ("ours_without", KeepReadySettings(connections=0)),
        ):
            client = CosyVoiceClient(s, KEY, url, keep_ready=ready)
            client.keep_ready.start()
            results[name] = await _idle_ratio(_ours(client), rounds * 2, rounds)
            results[name]["renewals"] = client.stats.renewals
            await client.close()
        results["new_connection_per_request"] = await _idle_ratio(
            _per_request(s, emulator.ws_url), rounds * 2, rounds
        )
        sdk = await asyncio.to_thread(_SdkPool, emulator.ws_url)
        try:
            results["sdk_pool"] = await _idle_ratio(
                lambda: asyncio.to_thread(sdk.speak), rounds * 2, rounds
            )
        finally:
            await asyncio.to_thread(sdk.close)
    return results


async def _burst(rounds: int) -> dict[str, Any]:
    async with DashScopeEmulator(_config()) as emulator, aiohttp.ClientSession() as s:
        client = CosyVoiceClient(
            s, KEY, Endpoint.custom(emulator.ws_url), keep_ready=READY
        )
        client.keep_ready.start()
        await client.pool.warm_up()
        single = [(await _ours(client)())[1] for _ in range(rounds)]
        lasts: list[float] = []
        opened: list[int] = []
        for _ in range(rounds):
            before = emulator.connections_opened
            times = await asyncio.gather(*(_ours(client)() for _ in range(BURST)))
            lasts += [last for _, last in times]
            opened.append(emulator.connections_opened - before)
            await asyncio.sleep(WARM_SPACING)
        settings = client.pool.settings
        await client.close()
    single_p50, burst_p50 = statistics.median(single), statistics.median(lasts)
    return {
        "requests_at_once": BURST,
        "pool_bound": settings.max_connections,
        "single_last_byte_p50_ms": round(single_p50 * 1000, 1),
        "burst_last_byte_p50_ms": round(burst_p50 * 1000, 1),
        "ratio": round(burst_p50 / single_p50, 3),
        "connections_opened_per_burst": max(opened),
    }


async def _llm(written: list[float]) -> AsyncIterator[str]:
    """An answer written a character every 30 ms after 300 ms of thought.

    Notes when its first sentence was complete.
    """
    await asyncio.sleep(0.3)  # the model thinks
    for sentence in ("客厅的灯已经关了。", "晚安。"):
        for char in sentence:
            await asyncio.sleep(0.03)
            if char == "。" and not written:
                written.append(time.perf_counter())
            yield char


async def _stream_from_empty(rounds: int) -> dict[str, Any]:
    overheads: list[float] = []
    async with DashScopeEmulator(_config()) as emulator, aiohttp.ClientSession() as s:
        for _ in range(rounds):
            client = CosyVoiceClient(
                s,
                KEY,
                Endpoint.custom(emulator.ws_url),
                keep_ready=KeepReadySettings(connections=0),
            )
            written: list[float] = []
            first = 0.0
            async for _ in client.stream_text(_llm(written), OPTIONS):
                if not first:
                    first = time.perf_counter()
            overheads.append(first - written[0] - FIRST_AUDIO_DELAY)
            await client.close()
    return {
        "writer": "300 ms of thought, then a character every 30 ms",
        "first_audio_after_first_sentence_minus_emulator_p50_ms": round(
            statistics.median(overheads) * 1000, 1
        ),
    }


async def run(rounds: int) -> dict[str, Any]:
    """Every figure, one after another."""
    return {
        "emulator": {
            "handshake_ms": HANDSHAKE_DELAY * 1000,
            "first_audio_ms": FIRST_AUDIO_DELAY * 1000,
            "idle_close_s": IDLE_CLOSE,
            "renew_after_s": READY.renew_after,
            "warm_spacing_s": WARM_SPACING,
            "idle_spacing_s": IDLE_SPACING,
        },
        "rounds": rounds,
        "idle": await _idle(rounds),
        "burst": await _burst(rounds),
        "stream_from_empty": await _stream_from_empty(rounds),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m devtools.bench_ready [--rounds N] [--out F]``."""
    return bench_main(argv, __doc__ or "", 7, run)


if __name__ == "__main__":
    sys.exit(main())
