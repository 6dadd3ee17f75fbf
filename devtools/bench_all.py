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

This module runs the measurements one after another. What one worker process
measures is :mod:`devtools.bench_measure`; the figures worked out from that,
:mod:`devtools.bench_figures`; the summary, :mod:`devtools.bench_table`; the plot,
:mod:`devtools.bench_plot`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from custom_components.cosyvoice.api import VERSION, billed_length
from custom_components.cosyvoice.api.planning import plan_request
from devtools import bench_ready, bench_router, bench_streaming
from devtools.bench_figures import latency_figures, targets, versus
from devtools.bench_measure import (
    FIRST_AUDIO_DELAY,
    HANDSHAKE_DELAY,
    KEY,
    LONG_TEXT,
    MODEL,
    MS_PER_CHAR,
    OPTIONS,
    REQUEST_TIMEOUT,
    SAMPLE_RATE,
    SHORT_TEXT,
    VOICE,
    worker,
)
from devtools.bench_plot import plot
from devtools.bench_table import summary


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
    overhead, warm_cold = latency_figures(ours, sdk)
    scale = _scale(plan)
    _progress(f"streaming input ({plan.streaming_rounds} rounds)")
    streaming = asyncio.run(bench_streaming.run(plan.streaming_rounds))
    _progress(f"router ({plan.router_rounds} rounds)")
    router = asyncio.run(bench_router.run(plan.router_rounds))
    _progress(f"readiness: idle, burst, stream from empty ({plan.ready_rounds} rounds)")
    ready = asyncio.run(bench_ready.run(plan.ready_rounds))
    results: dict[str, Any] = {
        "settings": _settings(plan),
        "diagnostics": {"plan_request_long_text_ms": _plan_cost()},
        "overhead": overhead,
        "warm_vs_cold": warm_cold,
        "scale": scale,
        "versus_sdk": versus(scale),
        "streaming": streaming,
        "router": router,
        "ready": ready,
    }
    results["targets"] = targets(results)
    results["wall_time_s"] = round(time.perf_counter() - started, 1)
    return results


def _scale(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """Figures 3 and 4: a worker per client and concurrency, both clients per level."""
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
    return scale


def _settings(plan: Plan) -> dict[str, Any]:
    """How the figures were measured, written beside them."""
    return {
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
    }


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
        print(json.dumps(worker(args)), flush=True)
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
