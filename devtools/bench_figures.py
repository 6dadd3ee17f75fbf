"""The figures of ``scripts/bench`` that are worked out from what the workers measured.

Overhead and warm vs cold (figures 1 and 2) from the two latency workers, the ratios
ours / SDK from the scale cells, and every target with its verdict.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from devtools.bench_measure import FIRST_AUDIO_DELAY, HANDSHAKE_DELAY, latency_ms

type Target = tuple[str, str, Any, Callable[[Any], bool]]
"""Its name, what it asks for, the figure (None: not measured), and the test."""


def latency_figures(
    ours: dict[str, Any], sdk: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Figures 1 and 2 from the two latency workers."""
    overhead_fig: dict[str, Any] = {"first_audio_delay_ms": FIRST_AUDIO_DELAY * 1000}
    warm_cold: dict[str, Any] = {"handshake_delay_ms": HANDSHAKE_DELAY * 1000}
    for name, data in (("ours", ours), ("sdk", sdk)):
        if "error" in data:
            overhead_fig[name] = warm_cold[name] = {"error": data["error"]}
            continue
        warm = data["warm"]["first_audio"]
        overhead_fig[name] = {
            "requests": len(warm),
            "errors": data["warm"]["errors"],
            "first_audio_ms": latency_ms(warm),
            "overhead_ms": _overhead(warm),
        }
        if "bare" in data:
            overhead_fig |= _bare_protocol(warm, data["bare"])
        warm_cold[name] = _warm_vs_cold(data)
    return overhead_fig, warm_cold


def _overhead(first_audio: list[float]) -> dict[str, float | int]:
    return latency_ms([t - FIRST_AUDIO_DELAY for t in first_audio])


def _bare_protocol(warm: list[float], data: dict[str, Any]) -> dict[str, Any]:
    """The floor under any client, and how far above it ours stands."""
    bare = data["first_audio"]
    out: dict[str, Any] = {
        "bare_protocol": {
            "what": "the same requests by hand on one raw aiohttp WebSocket, "
            "interleaved with ours: the floor (loopback, emulator processing)",
            "requests": len(bare),
            "errors": data["errors"],
            "first_audio_ms": latency_ms(bare),
            "overhead_ms": _overhead(bare),
        }
    }
    if bare and warm:
        out["ours_over_bare_ms_p50"] = round(
            (statistics.median(warm) - statistics.median(bare)) * 1000, 2
        )
    return out


def _warm_vs_cold(data: dict[str, Any]) -> dict[str, Any]:
    """Figure 2 for one client: how much of the handshake a warm connection saves."""
    warm, cold = data["warm"]["first_audio"], data["cold"]["first_audio"]
    entry: dict[str, Any] = {
        "warm_first_audio_ms": latency_ms(warm),
        "cold_first_audio_ms": latency_ms(cold),
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
        entry["measured_handshake_ms"] = latency_ms(data["handshake"])
        if warm and cold:
            entry["saved_fraction_of_measured_handshake"] = round(
                (statistics.median(cold) - statistics.median(warm)) / handshake, 3
            )
    for key in ("pool_exhausted_warnings", "connections_opened_by_warm_client"):
        if key in data:
            entry[key] = data[key]
    return entry


def versus(scale: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
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


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """Every target: what it asks for, the figure, and met (None: not measured)."""
    return {
        name: {
            "target": target,
            "value": value,
            "met": None if value is None else met(value),
        }
        for name, target, value, met in (
            *_client_targets(results),
            *_ready_and_sdk_targets(results),
        )
    }


def _client_targets(results: dict[str, Any]) -> list[Target]:
    """Overhead, the warm connection and memory: our client alone."""
    overhead = results["overhead"].get("ours", {}).get("overhead_ms", {})
    warm_cold = results["warm_vs_cold"].get("ours", {})
    rows: list[Target] = [
        ("overhead_p50_ms", "< 2 ms", overhead.get("p50"), lambda v: v < 2),
        (
            "warm_saves_handshake",
            ">= 90% of the handshake (measured connect time)",
            warm_cold.get("saved_fraction_of_measured_handshake"),
            lambda v: v >= 0.9,
        ),
    ]
    rows.extend(
        (
            f"memory_per_request_kb_at_{cell['concurrency']}",
            "< 1024 KB (RSS delta / N)",
            cell["memory_per_request_kb"],
            lambda v: v < 1024,
        )
        for cell in results["scale"]["ours"]
        if "error" not in cell
    )
    return rows


def _ready_and_sdk_targets(results: dict[str, Any]) -> list[Target]:
    """Readiness (figure 7), and ours against the SDK at 100 at once."""
    ready = results["ready"]
    at_100 = results["versus_sdk"].get("100", {})
    return [
        (
            "after_idle_vs_warm",
            "<= 1.03x the warm first-audio p50",
            ready["idle"]["ours_keep_ready"]["ratio"],
            lambda v: v <= 1.03,
        ),
        (
            "burst_of_8_vs_one",
            "<= 1.1x one request's last-byte p50",
            ready["burst"]["ratio"],
            lambda v: v <= 1.1,
        ),
        (
            "stream_from_empty_pool_ms",
            "<= 5 ms p50 (first sentence -> first audio, minus the emulator's delay)",
            ready["stream_from_empty"][
                "first_audio_after_first_sentence_minus_emulator_p50_ms"
            ],
            lambda v: v <= 5,
        ),
        (
            "throughput_vs_sdk_at_100",
            ">= 2x the SDK's requests/s",
            at_100.get("throughput_rps"),
            lambda v: v >= 2,
        ),
        (
            "first_audio_p99_vs_sdk_at_100",
            "<= 0.5x the SDK's first-audio p99",
            at_100.get("first_audio_p99"),
            lambda v: v <= 0.5,
        ),
    ]
