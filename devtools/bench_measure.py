"""One measurement of ``scripts/bench``, run in a process of its own.

Our client (a warm pooled connection, a new one, N at once) or the official
``dashscope`` SDK (its object pool and a thread per request) against the emulator
that :mod:`devtools.bench_all` started: the raw samples of figures 1 to 4, as plain
data, printed as one JSON line by ``python -m devtools.bench_all --worker KIND``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import math
import resource
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    CosyVoiceError,
    Endpoint,
    PoolSettings,
    SynthesisOptions,
    protocol,
)

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


def latency_ms(values: list[float]) -> dict[str, float | int]:
    """Count, p50, p99, mean, min and max of ``values`` (seconds), in milliseconds."""
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
        "first_audio_ms": latency_ms([s.first_audio for s in ok if s.first_audio]),
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


def _sdk_settings(tts: Any, recorder: SdkRecorder) -> dict[str, Any]:
    """What the SDK's synthesizers are made with, pooled or not."""
    return {
        "model": MODEL,
        "voice": VOICE,
        "format": tts.AudioFormat.PCM_16000HZ_MONO_16BIT,
        "callback": recorder,
    }


def _sdk_pooled(pool: Any, tts: Any, text: str) -> Sample:
    recorder = SdkRecorder()
    synthesizer = pool.borrow_synthesizer(**_sdk_settings(tts, recorder))
    sample = _sdk_speak(synthesizer, recorder, text)
    if sample.error is None:
        pool.return_synthesizer(synthesizer)
    return sample


def _sdk_fresh(tts: Any, ws_url: str, text: str) -> Sample:
    recorder = SdkRecorder()
    synthesizer = tts.SpeechSynthesizer(**_sdk_settings(tts, recorder), url=ws_url)
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


# ---------------------------------------------------------------- one worker


def worker(args: argparse.Namespace) -> dict[str, Any]:
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
