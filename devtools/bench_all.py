"""Every benchmark of the client, against the emulator with realistic latency.

The emulator runs in its own process (80 ms handshake, 150 ms to first audio, audio
paced at real time, 20 ms of audio per billed character so long text stays short),
a fresh one for each measurement; every measurement of a client runs in a process
of its own too, so its CPU time and memory are that client's alone.

1. Overhead: first audio minus the emulator's 150 ms, sequential short requests on a
   warm pooled connection.
2. Warm vs cold: first audio on a pooled connection vs a new client's new one, and
   how much of the handshake the warm request saves.
3. Scale: 1 to 200 concurrent long-text requests through one client.
4. The official ``dashscope`` SDK (its object pool and a thread per request), the
   same requests at the same concurrency, side by side.
5. Streaming input, 6. the router and 7. readiness (after silence, bursts, a stream
   from an empty pool): :mod:`devtools.bench_streaming`, :mod:`devtools.bench_router`
   and :mod:`devtools.bench_ready`, included as they are.

Writes ``results.json`` and ``results.png`` into ``--out-dir`` and prints a summary.
Latency percentiles are over every request of every round; throughput, memory and
CPU are per round, and the median round is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from custom_components.cosyvoice.api import (
    VERSION,
    CosyVoiceClient,
    CosyVoiceError,
    Endpoint,
    PoolSettings,
    SynthesisOptions,
    billed_length,
    protocol,
)
from custom_components.cosyvoice.api.planning import plan_request
from devtools import bench_ready, bench_router, bench_streaming

KEY = "sk-bench"
HANDSHAKE_DELAY = 0.08
FIRST_AUDIO_DELAY = 0.15
MS_PER_CHAR = 20.0
MODEL = "cosyvoice-v3-flash"
VOICE = "longanyang"
SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2  # 16-bit mono PCM
SHORT_TEXT = "灯关好了。"
LONG_TEXT = (
    "今天下午三点，客厅的空调会自动调到二十四度，卧室的窗帘会在日落时关上。"
    "明天早上七点，厨房的咖啡机会准时启动，门口的灯也会亮起来。"
    "The washing machine finished its cycle ten minutes ago, and the dryer will "
    "start as soon as you load it. Tomorrow looks sunny with a high of twenty-six "
    "degrees, so the garden sprinklers will run at six in the morning."
)
OPTIONS = SynthesisOptions(
    model=MODEL, voice=VOICE, format="pcm", sample_rate=SAMPLE_RATE
)
REQUEST_TIMEOUT = 60.0
"""Per request, both clients: a request still unanswered then counts as an error."""
SDK_MAX_POOL = 100
"""``SpeechSynthesizerObjectPool`` refuses more than this."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How much of everything to run."""

    latency_requests: int
    cold_requests: int
    rounds: int
    ours_levels: tuple[int, ...]
    sdk_levels: tuple[int, ...]
    streaming_rounds: int
    router_rounds: int
    ready_rounds: int


FULL = Plan(
    latency_requests=100,
    cold_requests=30,
    rounds=3,
    ours_levels=(1, 10, 100, 200),
    sdk_levels=(1, 10, 100),
    streaming_rounds=5,
    router_rounds=10,
    ready_rounds=7,
)
QUICK = Plan(
    latency_requests=10,
    cold_requests=5,
    rounds=1,
    ours_levels=(1, 10),
    sdk_levels=(10,),
    streaming_rounds=1,
    router_rounds=2,
    ready_rounds=2,
)


# ---------------------------------------------------------------- measurements


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: seconds to its first audio byte, audio bytes, error kind."""

    first_audio: float | None
    audio_bytes: int
    error: str | None = None


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def _ms(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(statistics.median(values) * 1000, 2),
        "p99": round(_percentile(values, 0.99) * 1000, 2),
        "mean": round(statistics.fmean(values) * 1000, 2),
        "min": round(min(values) * 1000, 2),
        "max": round(max(values) * 1000, 2),
    }


def _rss() -> int:
    """Resident memory of this process now, in bytes (Linux)."""
    statm = Path("/proc/self/statm").read_text("ascii")
    return int(statm.split()[1]) * resource.getpagesize()


class RssSampler:
    """Samples this process's resident memory every few milliseconds: its peak.

    Its own CPU time is kept (``cpu``), so a round can leave it out of the client's.
    """

    def __init__(self, interval: float = 0.01) -> None:
        """Start sampling in a daemon thread."""
        self.peak = _rss()
        self.cpu = 0.0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        began = time.thread_time()
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, _rss())
            self.cpu = time.thread_time() - began

    def stop(self) -> int:
        """Stop sampling; the peak in bytes."""
        self._stop.set()
        self._thread.join()
        return max(self.peak, _rss())


class CpuClock:
    """CPU seconds of this process (every thread) less the sampler's."""

    def __init__(self, sampler: RssSampler) -> None:
        """Read the clock now."""
        self._sampler = sampler
        self._began = self._now()

    def _now(self) -> float:
        return time.process_time() - self._sampler.cpu

    def elapsed(self) -> float:
        """CPU seconds since this clock was made."""
        return self._now() - self._began


@dataclass(slots=True)
class Round:
    """One burst of concurrent requests."""

    samples: list[Sample]
    wall: float
    cpu: float

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio received in the round."""
        return sum(s.audio_bytes for s in self.samples) / BYTES_PER_SECOND

    @property
    def successes(self) -> int:
        """Requests that ended well."""
        return sum(1 for s in self.samples if s.error is None)


def _scale_summary(
    impl: str, concurrency: int, rounds: list[Round], baseline: int, peak: int
) -> dict[str, Any]:
    samples = [s for r in rounds for s in r.samples]
    ok = [s for s in samples if s.error is None]
    audio = [r.audio_seconds for r in rounds]
    cpu_per_minute = [
        r.cpu / (r.audio_seconds / 60) for r in rounds if r.audio_seconds > 0
    ]
    return {
        "impl": impl,
        "concurrency": concurrency,
        "rounds": len(rounds),
        "requests": len(samples),
        "successes": len(ok),
        "errors": dict(Counter(s.error for s in samples if s.error is not None)),
        "success_rate": round(len(ok) / len(samples), 4) if samples else 0.0,
        "first_audio_ms": _ms([s.first_audio for s in ok if s.first_audio]),
        "throughput_rps": round(
            statistics.median(r.successes / r.wall for r in rounds), 3
        ),
        "audio_s_per_wall_s": round(
            statistics.median(a / r.wall for a, r in zip(audio, rounds, strict=True)),
            3,
        ),
        "round_wall_s": [round(r.wall, 3) for r in rounds],
        "audio_s_per_request": round(
            statistics.median(s.audio_bytes for s in ok) / BYTES_PER_SECOND, 3
        )
        if ok
        else 0.0,
        "cpu_s_per_audio_minute": round(statistics.median(cpu_per_minute), 4)
        if cpu_per_minute
        else None,
        "cpu_s_per_round": [round(r.cpu, 3) for r in rounds],
        "rss_baseline_mb": round(baseline / 2**20, 1),
        "rss_peak_mb": round(peak / 2**20, 1),
        "memory_per_request_kb": round((peak - baseline) / concurrency / 1024, 1),
    }


# ---------------------------------------------------------------- our client


def _session() -> aiohttp.ClientSession:
    # aiohttp's default connector allows 100 connections, and a WebSocket holds one
    # for its life: unbounded here, so the pool alone decides (see the report).
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


def _client(
    session: aiohttp.ClientSession, ws_url: str, max_connections: int = 1
) -> CosyVoiceClient:
    return CosyVoiceClient(
        session,
        KEY,
        Endpoint.custom(ws_url),
        pool=PoolSettings(max_connections=max_connections),
    )


async def _ours_request(client: CosyVoiceClient, text: str) -> Sample:
    began = time.perf_counter()
    first: float | None = None
    size = 0
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            async for chunk in client.stream(text, OPTIONS):
                if first is None:
                    first = time.perf_counter() - began
                size += len(chunk)
    except (CosyVoiceError, TimeoutError) as err:
        return Sample(first, size, type(err).__name__)
    return Sample(first, size)


async def _bare_request(ws: aiohttp.ClientWebSocketResponse, text: str) -> Sample:
    """The same task by hand on a raw aiohttp WebSocket: the floor under any client."""
    task_id = protocol.new_task_id()
    began = time.perf_counter()
    first: float | None = None
    size = 0
    await ws.send_str(protocol.run_task(task_id, OPTIONS))
    message = await ws.receive()
    if message.type is not aiohttp.WSMsgType.TEXT or "task-started" not in message.data:
        return Sample(None, 0, "NotStarted")
    await ws.send_str(protocol.continue_task(task_id, text))
    await ws.send_str(protocol.finish_task(task_id))
    while True:
        message = await ws.receive()
        if message.type is aiohttp.WSMsgType.BINARY:
            if first is None:
                first = time.perf_counter() - began
            size += len(message.data)
        elif (
            message.type is not aiohttp.WSMsgType.TEXT or "task-failed" in message.data
        ):
            return Sample(first, size, "Failed")
        elif "task-finished" in message.data:
            return Sample(first, size)


async def _ours_latency(ws_url: str, requests: int, cold: int) -> dict[str, Any]:
    warm: list[Sample] = []
    bare: list[Sample] = []
    cold_samples: list[Sample] = []
    handshakes: list[float] = []
    async with _session() as session:
        client = _client(session, ws_url)
        await client.pool.warm_up()
        raw = await client.connect()
        for index in range(requests):
            warm.append(await _ours_request(client, SHORT_TEXT))
            bare.append(await _bare_request(raw.ws, SHORT_TEXT))
            if index < cold:
                fresh = _client(session, ws_url)
                cold_samples.append(await _ours_request(fresh, SHORT_TEXT))
                await fresh.close()
                began = time.perf_counter()
                connection = await fresh.connect()
                handshakes.append(time.perf_counter() - began)
                await connection.close()
        stats = client.snapshot()
        await raw.close()
        await client.close()
    return {
        "warm": warm,
        "bare": bare,
        "cold": cold_samples,
        "handshake": handshakes,
        "connections_opened_by_warm_client": stats.get("connections_opened"),
    }


async def _ours_scale(ws_url: str, concurrency: int, rounds: int) -> dict[str, Any]:
    async with _session() as session:
        # Load every code path once (imports, caches) before the baseline.
        scout = _client(session, ws_url)
        await _ours_request(scout, SHORT_TEXT)
        await scout.close()
        baseline = _rss()
        sampler = RssSampler()
        client = _client(session, ws_url, concurrency)
        # Open the whole pool at once, as the SDK's pool opens its before use.
        opened = await asyncio.gather(
            *(client.pool.acquire() for _ in range(concurrency))
        )
        for connection, _ in opened:
            client.pool.release(connection)
        done: list[Round] = []
        for _ in range(rounds):
            cpu, began = CpuClock(sampler), time.perf_counter()
            samples = await asyncio.gather(
                *(_ours_request(client, LONG_TEXT) for _ in range(concurrency))
            )
            done.append(
                Round(list(samples), time.perf_counter() - began, cpu.elapsed())
            )
        peak = sampler.stop()
        await client.close()
    return _scale_summary("ours", concurrency, done, baseline, peak)


# ---------------------------------------------------------------- the official SDK


class SdkRecorder:
    """A ``dashscope`` ``ResultCallback`` (duck-typed): first audio, bytes, outcome."""

    def __init__(self) -> None:
        """Start the clock."""
        self.began = time.perf_counter()
        self.first: float | None = None
        self.size = 0
        self.error: str | None = None

    def on_open(self) -> None:
        """Task started."""

    def on_event(self, message: str) -> None:
        """Any JSON event."""

    def on_data(self, data: bytes) -> None:
        """One audio frame, on the SDK's reader thread."""
        if self.first is None:
            self.first = time.perf_counter() - self.began
        self.size += len(data)

    def on_complete(self) -> None:
        """task-finished."""

    def on_error(self, message: str) -> None:
        """task-failed."""
        self.error = "TaskFailed"

    def on_close(self) -> None:
        """After task-finished or task-failed."""

    def sample(self) -> Sample:
        """What the request came to."""
        return Sample(self.first, self.size, self.error)


def _sdk() -> tuple[Any, Any]:
    """The ``dashscope`` module (key set) and its ``tts_v2`` module."""
    dashscope: Any = importlib.import_module("dashscope")
    dashscope.api_key = KEY
    tts: Any = importlib.import_module("dashscope.audio.tts_v2")
    return dashscope, tts


def _sdk_speak(synthesizer: Any, recorder: SdkRecorder, text: str) -> Sample:
    """Streaming call with a callback; streaming_complete waits for the end."""
    try:
        synthesizer.streaming_call(text)
        synthesizer.streaming_complete(
            complete_timeout_millis=int(REQUEST_TIMEOUT * 1000)
        )
    except Exception as err:  # noqa: BLE001 - the SDK raises plain exceptions
        return Sample(recorder.first, recorder.size, type(err).__name__)
    return recorder.sample()


def _sdk_pooled(pool: Any, tts: Any, text: str) -> Sample:
    recorder = SdkRecorder()
    synthesizer = pool.borrow_synthesizer(
        model=MODEL,
        voice=VOICE,
        format=tts.AudioFormat.PCM_16000HZ_MONO_16BIT,
        callback=recorder,
    )
    sample = _sdk_speak(synthesizer, recorder, text)
    if sample.error is None:
        pool.return_synthesizer(synthesizer)
    return sample


def _sdk_fresh(tts: Any, ws_url: str, text: str) -> Sample:
    recorder = SdkRecorder()
    synthesizer = tts.SpeechSynthesizer(
        model=MODEL,
        voice=VOICE,
        format=tts.AudioFormat.PCM_16000HZ_MONO_16BIT,
        callback=recorder,
        url=ws_url,
    )
    # Closes its socket when the task ends (the SDK's default for a synthesizer).
    return _sdk_speak(synthesizer, recorder, text)


class _LogCounter:
    """Counts the SDK's warnings that its pool was exhausted (a cold connection)."""

    def __init__(self) -> None:
        self.exhausted = 0

    @contextmanager
    def watching(self) -> Iterator[None]:
        counter = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if "exausted" in record.getMessage():  # sic, the SDK's spelling
                    counter.exhausted += 1

        logger = logging.getLogger("dashscope")
        handler = Handler(logging.WARNING)
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)


def _sdk_latency(ws_url: str, requests: int, cold: int) -> dict[str, Any]:
    _, tts = _sdk()
    counter = _LogCounter()
    warm: list[Sample] = []
    cold_samples: list[Sample] = []
    with counter.watching():
        pool = tts.SpeechSynthesizerObjectPool(max_size=1, url=ws_url)
        for index in range(requests):
            warm.append(_sdk_pooled(pool, tts, SHORT_TEXT))
            if index < cold:
                cold_samples.append(_sdk_fresh(tts, ws_url, SHORT_TEXT))
    return {
        "warm": warm,
        "cold": cold_samples,
        "pool_exhausted_warnings": counter.exhausted,
    }


def _sdk_scale(ws_url: str, concurrency: int, rounds: int) -> dict[str, Any]:
    _, tts = _sdk()
    counter = _LogCounter()
    _sdk_fresh(tts, ws_url, SHORT_TEXT)  # load every code path before the baseline
    baseline = _rss()
    sampler = RssSampler()
    done: list[Round] = []
    with counter.watching():
        # Connects max_size synthesizers, one after another, before returning.
        began = time.perf_counter()
        pool = tts.SpeechSynthesizerObjectPool(
            max_size=min(concurrency, SDK_MAX_POOL), url=ws_url
        )
        pool_ready = time.perf_counter() - began
        executor = ThreadPoolExecutor(max_workers=concurrency)
        for _ in range(rounds):
            cpu, began = CpuClock(sampler), time.perf_counter()
            futures = [
                executor.submit(_sdk_pooled, pool, tts, LONG_TEXT)
                for _ in range(concurrency)
            ]
            finished, _ = wait_futures(futures, timeout=REQUEST_TIMEOUT + 30)
            samples = [
                f.result()
                if f in finished and f.exception() is None
                else Sample(None, 0, "Hung" if f not in finished else "Exception")
                for f in futures
            ]
            done.append(Round(samples, time.perf_counter() - began, cpu.elapsed()))
    peak = sampler.stop()
    summary = _scale_summary("sdk", concurrency, done, baseline, peak)
    summary["pool_ready_s"] = round(pool_ready, 2)
    summary["pool_exhausted_warnings"] = counter.exhausted
    return summary


# ---------------------------------------------------------------- workers


def _worker(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    kind, url = args.worker, args.url
    if kind == "ours-latency":
        return _latency_json(
            asyncio.run(_ours_latency(url, args.requests, args.cold_requests))
        )
    if kind == "sdk-latency":
        return _latency_json(_sdk_latency(url, args.requests, args.cold_requests))
    if kind == "ours-scale":
        return asyncio.run(_ours_scale(url, args.concurrency, args.rounds))
    if kind == "sdk-scale":
        return _sdk_scale(url, args.concurrency, args.rounds)
    raise SystemExit(f"unknown worker {kind}")


def _latency_json(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, list) and value and isinstance(value[0], Sample):
            samples: list[Sample] = value
            ok = [s.first_audio for s in samples if s.error is None and s.first_audio]
            out[key] = {
                "first_audio": ok,
                "errors": dict(Counter(s.error for s in samples if s.error)),
            }
        else:
            out[key] = value
    return out


class Emulator:
    """``python -m devtools.emulator`` in a process of its own."""

    def __init__(self) -> None:
        """Start it and read its URLs."""
        self._process = subprocess.Popen(  # noqa: S603 - the emulator, fixed arguments
            [
                sys.executable,
                "-m",
                "devtools.emulator",
                "--port",
                "0",
                "--api-key",
                KEY,
                "--handshake-delay",
                str(HANDSHAKE_DELAY),
                "--first-audio-delay",
                str(FIRST_AUDIO_DELAY),
                "--realtime-factor",
                "1.0",
                "--ms-per-char",
                str(MS_PER_CHAR),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        self.ws_url = self._process.stdout.readline().strip()
        self.http_url = self._process.stdout.readline().strip()
        if not self.ws_url.startswith("ws"):
            self.stop()
            raise RuntimeError("the emulator did not start")

    def stop(self) -> None:
        """SIGTERM, and wait."""
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _run_worker(kind: str, timeout: float, **options: int) -> dict[str, Any]:
    """Run one worker against a fresh emulator; its JSON, or what went wrong."""
    emulator = Emulator()
    command = [
        sys.executable,
        "-m",
        "devtools.bench_all",
        "--worker",
        kind,
        "--url",
        emulator.ws_url,
    ]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    try:
        done = subprocess.run(  # noqa: S603 - this module, fixed arguments
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"worker timed out after {timeout:g} s"}
    finally:
        emulator.stop()
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"worker exited {done.returncode}: {done.stderr[-2000:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# ---------------------------------------------------------------- orchestration


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _latency_figures(
    ours: dict[str, Any], sdk: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Figures 1 and 2 from the two latency workers."""

    def overhead(first_audio: list[float]) -> dict[str, float | int]:
        return _ms([t - FIRST_AUDIO_DELAY for t in first_audio])

    overhead_fig: dict[str, Any] = {"first_audio_delay_ms": FIRST_AUDIO_DELAY * 1000}
    warm_cold: dict[str, Any] = {"handshake_delay_ms": HANDSHAKE_DELAY * 1000}
    for name, data in (("ours", ours), ("sdk", sdk)):
        if "error" in data:
            overhead_fig[name] = warm_cold[name] = {"error": data["error"]}
            continue
        warm, cold = data["warm"]["first_audio"], data["cold"]["first_audio"]
        overhead_fig[name] = {
            "requests": len(warm),
            "errors": data["warm"]["errors"],
            "first_audio_ms": _ms(warm),
            "overhead_ms": overhead(warm),
        }
        if "bare" in data:
            bare = data["bare"]["first_audio"]
            overhead_fig["bare_protocol"] = {
                "what": "the same requests by hand on one raw aiohttp WebSocket, "
                "interleaved with ours: the floor (loopback, emulator processing)",
                "requests": len(bare),
                "errors": data["bare"]["errors"],
                "first_audio_ms": _ms(bare),
                "overhead_ms": overhead(bare),
            }
            if bare and warm:
                overhead_fig["ours_over_bare_ms_p50"] = round(
                    (statistics.median(warm) - statistics.median(bare)) * 1000, 2
                )
        entry: dict[str, Any] = {
            "warm_first_audio_ms": _ms(warm),
            "cold_first_audio_ms": _ms(cold),
            "cold_errors": data["cold"]["errors"],
        }
        if warm and cold:
            saved = statistics.median(cold) - statistics.median(warm)
            entry["saved_ms_p50"] = round(saved * 1000, 2)
            entry["saved_fraction_of_configured_handshake"] = round(
                saved / HANDSHAKE_DELAY, 3
            )
            above = statistics.median(cold) - FIRST_AUDIO_DELAY
            entry["saved_fraction_of_cold_time_above_first_audio_delay"] = round(
                saved / above, 3
            )
        if data.get("handshake"):
            handshake = statistics.median(data["handshake"])
            entry["measured_handshake_ms"] = _ms(data["handshake"])
            if warm and cold:
                entry["saved_fraction_of_measured_handshake"] = round(
                    (statistics.median(cold) - statistics.median(warm)) / handshake, 3
                )
        for key in ("pool_exhausted_warnings", "connections_opened_by_warm_client"):
            if key in data:
                entry[key] = data[key]
        warm_cold[name] = entry
    return overhead_fig, warm_cold


def _versus(scale: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Ratios ours / SDK at every concurrency both ran."""
    ours = {c["concurrency"]: c for c in scale["ours"] if "error" not in c}
    sdk = {c["concurrency"]: c for c in scale["sdk"] if "error" not in c}

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    out: dict[str, Any] = {}
    for level in sorted(set(ours) & set(sdk)):
        o, s = ours[level], sdk[level]
        out[str(level)] = {
            "first_audio_p50": ratio(
                o["first_audio_ms"].get("p50"), s["first_audio_ms"].get("p50")
            ),
            "first_audio_p99": ratio(
                o["first_audio_ms"].get("p99"), s["first_audio_ms"].get("p99")
            ),
            "throughput_rps": ratio(o["throughput_rps"], s["throughput_rps"]),
            "audio_s_per_wall_s": ratio(
                o["audio_s_per_wall_s"], s["audio_s_per_wall_s"]
            ),
            "memory_per_request": ratio(
                o["memory_per_request_kb"], s["memory_per_request_kb"]
            ),
            "cpu_per_audio_minute": ratio(
                o["cpu_s_per_audio_minute"], s["cpu_s_per_audio_minute"]
            ),
            "success_rate": {"ours": o["success_rate"], "sdk": s["success_rate"]},
        }
    return out


def _targets(results: dict[str, Any]) -> dict[str, Any]:
    targets: dict[str, Any] = {}

    def add(name: str, target: str, value: Any, met: Callable[[Any], bool]) -> None:
        targets[name] = {
            "target": target,
            "value": value,
            "met": None if value is None else met(value),
        }

    overhead = results["overhead"].get("ours", {}).get("overhead_ms", {})
    add("overhead_p50_ms", "< 2 ms", overhead.get("p50"), lambda v: v < 2)
    warm_cold = results["warm_vs_cold"].get("ours", {})
    add(
        "warm_saves_handshake",
        ">= 90% of the handshake (measured connect time)",
        warm_cold.get("saved_fraction_of_measured_handshake"),
        lambda v: v >= 0.9,
    )
    for cell in results["scale"]["ours"]:
        if "error" not in cell:
            add(
                f"memory_per_request_kb_at_{cell['concurrency']}",
                "< 1024 KB (RSS delta / N)",
                cell["memory_per_request_kb"],
                lambda v: v < 1024,
            )
    ready = results["ready"]
    add(
        "after_idle_vs_warm",
        "<= 1.03x the warm first-audio p50",
        ready["idle"]["ours_keep_ready"]["ratio"],
        lambda v: v <= 1.03,
    )
    add(
        "burst_of_8_vs_one",
        "<= 1.1x one request's last-byte p50",
        ready["burst"]["ratio"],
        lambda v: v <= 1.1,
    )
    add(
        "stream_from_empty_pool_ms",
        "<= 5 ms p50 (first sentence -> first audio, minus the emulator's delay)",
        ready["stream_from_empty"][
            "first_audio_after_first_sentence_minus_emulator_p50_ms"
        ],
        lambda v: v <= 5,
    )
    at_100 = results["versus_sdk"].get("100", {})
    add(
        "throughput_vs_sdk_at_100",
        ">= 2x the SDK's requests/s",
        at_100.get("throughput_rps"),
        lambda v: v >= 2,
    )
    add(
        "first_audio_p99_vs_sdk_at_100",
        "<= 0.5x the SDK's first-audio p99",
        at_100.get("first_audio_p99"),
        lambda v: v <= 0.5,
    )
    return targets


def _library_versions() -> dict[str, str]:
    versions = {
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "client": VERSION,
    }
    try:
        dashscope: Any = importlib.import_module("dashscope.version")
        versions["dashscope"] = str(dashscope.__version__)
    except ImportError:
        versions["dashscope"] = "not installed"
    return versions


def _plan_cost() -> dict[str, float]:
    """CPU time of planning the long text (done at the start of every request)."""
    times: list[float] = []
    for _ in range(200):
        began = time.perf_counter()
        plan_request(LONG_TEXT, OPTIONS)
        times.append(time.perf_counter() - began)
    return {
        "p50": round(statistics.median(times) * 1000, 3),
        "min": round(min(times) * 1000, 3),
    }


def run(plan: Plan) -> dict[str, Any]:
    """Every figure, one after another; the results as plain data."""
    started = time.perf_counter()
    worker_timeout = 120 + 3 * plan.latency_requests
    _progress(f"overhead and warm vs cold, ours ({plan.latency_requests} requests)")
    ours = _run_worker(
        "ours-latency",
        worker_timeout,
        requests=plan.latency_requests,
        cold_requests=plan.cold_requests,
    )
    _progress("overhead and warm vs cold, dashscope SDK")
    sdk = _run_worker(
        "sdk-latency",
        worker_timeout,
        requests=plan.latency_requests,
        cold_requests=plan.cold_requests,
    )
    overhead, warm_cold = _latency_figures(ours, sdk)
    scale: dict[str, list[dict[str, Any]]] = {"ours": [], "sdk": []}
    for level in sorted(set(plan.ours_levels) | set(plan.sdk_levels)):
        cell_timeout = 120 + plan.rounds * (REQUEST_TIMEOUT + 40) + level * 0.5
        for impl, levels in (("ours", plan.ours_levels), ("sdk", plan.sdk_levels)):
            if level not in levels:
                continue
            _progress(f"scale: {impl}, {level} concurrent x {plan.rounds} rounds")
            cell = _run_worker(
                f"{impl}-scale", cell_timeout, concurrency=level, rounds=plan.rounds
            )
            cell.setdefault("impl", impl)
            cell.setdefault("concurrency", level)
            scale[impl].append(cell)
    _progress(f"streaming input ({plan.streaming_rounds} rounds)")
    streaming = asyncio.run(bench_streaming.run(plan.streaming_rounds))
    _progress(f"router ({plan.router_rounds} rounds)")
    router = asyncio.run(bench_router.run(plan.router_rounds))
    _progress(f"readiness: idle, burst, stream from empty ({plan.ready_rounds} rounds)")
    ready = asyncio.run(bench_ready.run(plan.ready_rounds))
    results: dict[str, Any] = {
        "settings": {
            "emulator": {
                "process": "separate (python -m devtools.emulator), fresh per worker",
                "handshake_ms": HANDSHAKE_DELAY * 1000,
                "first_audio_ms": FIRST_AUDIO_DELAY * 1000,
                "realtime_factor": 1.0,
                "ms_per_char": MS_PER_CHAR,
            },
            "audio": f"pcm {SAMPLE_RATE} Hz 16-bit mono, {MODEL} / {VOICE}",
            "short_text": SHORT_TEXT,
            "long_text": LONG_TEXT,
            "long_text_chars": len(LONG_TEXT),
            "long_text_billed_chars": billed_length(LONG_TEXT),
            "request_timeout_s": REQUEST_TIMEOUT,
            "rounds": plan.rounds,
            "ours": "CosyVoiceClient.stream(), PoolSettings(max_connections=N), pool "
            "opened before the rounds, aiohttp TCPConnector(limit=0)",
            "sdk": "SpeechSynthesizerObjectPool(max_size=min(N, 100)) + "
            "ThreadPoolExecutor(N), each borrow_synthesizer(callback) -> "
            "streaming_call(text) -> streaming_complete() -> return_synthesizer",
            "memory": "peak RSS (sampled every 5 ms) minus RSS before the client and "
            "its connections were made, divided by N; includes the connections",
            "cpu": "time.process_time() of the client's process (all its threads, "
            "less the memory sampler's) per round / minutes of audio received",
            "cpus": os.cpu_count(),
            "versions": _library_versions(),
        },
        "diagnostics": {"plan_request_long_text_ms": _plan_cost()},
        "overhead": overhead,
        "warm_vs_cold": warm_cold,
        "scale": scale,
        "versus_sdk": _versus(scale),
        "streaming": streaming,
        "router": router,
        "ready": ready,
    }
    results["targets"] = _targets(results)
    results["wall_time_s"] = round(time.perf_counter() - started, 1)
    return results


# ---------------------------------------------------------------- output


def plot(results: dict[str, Any], path: Path) -> bool:
    """Draw the figures into one PNG; False when matplotlib is missing."""
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return False
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")
    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    colors = {"ours": "tab:blue", "sdk": "tab:orange"}
    labels = {"ours": "ours (asyncio)", "sdk": "dashscope SDK (threads)"}
    scale = results["scale"]
    panels = (
        (axes[0][0], "first audio (ms)", "First audio vs concurrency"),
        (axes[0][1], "requests / s", "Throughput vs concurrency"),
        (axes[0][2], "KB per in-flight request", "Memory (RSS delta / N)"),
        (axes[1][0], "CPU s per minute of audio", "Client CPU"),
    )
    for impl in ("ours", "sdk"):
        cells = [c for c in scale[impl] if "error" not in c]
        if not cells:
            continue
        levels = [c["concurrency"] for c in cells]
        color = colors[impl]
        ax = panels[0][0]
        ax.plot(
            levels,
            [c["first_audio_ms"].get("p50") for c in cells],
            "o-",
            color=color,
            label=f"{labels[impl]} p50",
        )
        ax.plot(
            levels,
            [c["first_audio_ms"].get("p99") for c in cells],
            "s--",
            color=color,
            label=f"{labels[impl]} p99",
        )
        panels[1][0].plot(
            levels,
            [c["throughput_rps"] for c in cells],
            "o-",
            color=color,
            label=labels[impl],
        )
        panels[2][0].plot(
            levels,
            [c["memory_per_request_kb"] for c in cells],
            "o-",
            color=color,
            label=labels[impl],
        )
        panels[3][0].plot(
            levels,
            [c["cpu_s_per_audio_minute"] for c in cells],
            "o-",
            color=color,
            label=labels[impl],
        )
    panels[0][0].axhline(
        FIRST_AUDIO_DELAY * 1000, color="grey", lw=0.8, ls=":", label="emulator delay"
    )
    levels = sorted({c["concurrency"] for cells in scale.values() for c in cells})
    for ax, ylabel, title in panels:
        ax.set_xscale("log")
        ax.set_xticks(levels, [str(level) for level in levels])
        ax.minorticks_off()
        ax.set_xlabel("concurrent requests")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)

    ax = axes[1][1]
    warm_cold = results["warm_vs_cold"]
    names, values, bar_colors = [], [], []
    for impl in ("ours", "sdk"):
        entry = warm_cold.get(impl, {})
        for which in ("warm", "cold"):
            p50 = entry.get(f"{which}_first_audio_ms", {}).get("p50")
            if p50 is not None:
                names.append(f"{impl}\n{which}")
                values.append(p50)
                bar_colors.append(colors[impl] if which == "warm" else "lightgrey")
    bars = ax.bar(names, values, color=bar_colors, edgecolor="black")
    ax.bar_label(bars, fmt="%.1f")
    ax.axhline(FIRST_AUDIO_DELAY * 1000, color="grey", lw=0.8, ls=":")
    ax.set_ylabel("first audio p50 (ms)")
    ax.set_title("Warm pooled vs new connection (short text)")

    ax = axes[1][2]
    names, values = [], []
    streaming = results["streaming"]["results_ms"]
    for way, label in (("streaming", "stream_text"), ("whole_text", "whole\ntext")):
        names.append(label)
        values.append(streaming[way]["first_sentence_to_first_audio"]["p50"])
    router = results["router"]["first_audio_ms"]
    for way in ("websocket_warm", "websocket_cold", "http_sse", "http_url"):
        names.append(way.replace("_", "\n"))
        values.append(router[way]["p50"])
    bars = ax.bar(names, values, color="tab:green", edgecolor="black")
    ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("first audio p50 (ms, log)")
    ax.set_title("Streaming (first sentence → audio) and router paths", fontsize=10)
    ax.tick_params(axis="x", labelsize=7)

    settings = results["settings"]["emulator"]
    fig.suptitle(
        "CosyVoice client vs dashscope SDK against the emulator "
        f"(handshake {settings['handshake_ms']:g} ms, first audio "
        f"{settings['first_audio_ms']:g} ms, real-time audio)"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def summary(results: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    lines: list[str] = []
    over = results["overhead"]
    for impl in ("ours", "sdk"):
        ms = over.get(impl, {}).get("overhead_ms", {})
        if "p50" in ms:
            lines.append(
                f"overhead ({impl}, warm, sequential): p50 {ms['p50']} ms, "
                f"p99 {ms['p99']} ms over the emulator's 150 ms"
            )
    bare = over.get("bare_protocol", {}).get("overhead_ms", {})
    if "p50" in bare:
        lines.append(
            f"floor (raw aiohttp, same protocol): p50 {bare['p50']} ms, p99 "
            f"{bare['p99']} ms; ours adds {over.get('ours_over_bare_ms_p50')} ms (p50)"
        )
    for impl in ("ours", "sdk"):
        wc = results["warm_vs_cold"].get(impl, {})
        if "warm_first_audio_ms" in wc and "p50" in wc["cold_first_audio_ms"]:
            line = (
                f"warm vs cold ({impl}): {wc['warm_first_audio_ms']['p50']} vs "
                f"{wc['cold_first_audio_ms']['p50']} ms"
            )
            if "saved_fraction_of_measured_handshake" in wc:
                line += (
                    f", saves {wc['saved_fraction_of_measured_handshake']:.0%} of "
                    f"the {wc['measured_handshake_ms']['p50']} ms handshake"
                )
            lines.append(line)
    lines.append(
        f"{'impl':5} {'N':>4} {'ok':>6} {'req/s':>7} {'aud s/s':>8} "
        f"{'fa p50':>8} {'fa p99':>8} {'KB/req':>8} {'cpu/min':>8}"
    )
    for impl in ("ours", "sdk"):
        for c in results["scale"][impl]:
            if "error" in c:
                lines.append(f"{impl:5} {c['concurrency']:>4} ERROR {c['error'][:80]}")
                continue
            fa = c["first_audio_ms"]
            lines.append(
                f"{impl:5} {c['concurrency']:>4} {c['success_rate']:>6.1%} "
                f"{c['throughput_rps']:>7.2f} {c['audio_s_per_wall_s']:>8.1f} "
                f"{fa.get('p50', float('nan')):>8.1f} "
                f"{fa.get('p99', float('nan')):>8.1f} "
                f"{c['memory_per_request_kb']:>8.1f} "
                f"{c['cpu_s_per_audio_minute'] or float('nan'):>8.3f}"
            )
    for level, ratios in results["versus_sdk"].items():
        lines.append(
            f"ours/SDK at {level}: first audio p50 x{ratios['first_audio_p50']}, "
            f"p99 x{ratios['first_audio_p99']}, throughput x{ratios['throughput_rps']}, "
            f"memory x{ratios['memory_per_request']}, cpu x{ratios['cpu_per_audio_minute']}"
        )
    stream = results["streaming"]["results_ms"]
    lines.append(
        "streaming: first sentence -> first audio p50 "
        f"{stream['streaming']['first_sentence_to_first_audio']['p50']} ms "
        f"(whole text {stream['whole_text']['first_sentence_to_first_audio']['p50']} ms)"
    )
    router = results["router"]["first_audio_ms"]
    lines.append(
        "router first audio p50: "
        + ", ".join(f"{k} {v['p50']} ms" for k, v in router.items())
    )
    idle = results["ready"]["idle"]
    lines.append(
        "after idle / warm first audio p50: "
        + ", ".join(f"{k} x{v['ratio']}" for k, v in idle.items())
    )
    burst = results["ready"]["burst"]
    lines.append(
        f"burst of {burst['requests_at_once']}: last byte p50 x{burst['ratio']} of one "
        f"request's, {burst['connections_opened_per_burst']} connections opened"
    )
    for name, target in results["targets"].items():
        verdict = {True: "met", False: "MISSED", None: "n/a"}[target["met"]]
        lines.append(f"target {name}: {target['value']} ({target['target']}) {verdict}")
    lines.append(f"wall time {results['wall_time_s']} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m devtools.bench_all [--quick] [--out-dir DIR]``."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="small counts, a smoke run"
    )
    parser.add_argument("--out-dir", type=Path, default=Path("bench"))
    # Internal: one measurement in a fresh process (see _run_worker).
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--cold-requests", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args)), flush=True)
        # The SDK leaves non-daemon threads behind (its pool's reconnect thread).
        os._exit(0)
    results = run(QUICK if args.quick else FULL)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    if plot(results, args.out_dir / "results.png"):
        print(
            f"wrote {args.out_dir / 'results.json'} and {args.out_dir / 'results.png'}"
        )
    else:
        print(f"wrote {args.out_dir / 'results.json'} (no matplotlib: no plot)")
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
