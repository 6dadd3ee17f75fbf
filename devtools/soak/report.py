"""From calls, samples and log lines to the figures of ``bench/soak.json``."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from typing import Any

from .calls import Call, Messages
from .watch import LogLine, Sample

OUR_LOGGER = "custom_components.cosyvoice"
_FAILED_AUDIO = "Error getting audio for "
_FAILED_STREAM = "Error getting audio from stream: "
_STREAMED_NAME = "[Streaming TTS]"
WARM_UP = 0.25
"""The share of the calls after which memory growth counts (caches fill first)."""


def explain_failures(
    calls: list[Call], log: list[LogLine], offset: float, messages: Messages
) -> None:
    """Give each call that Home Assistant logged as failed its reason.

    Home Assistant names a failed message by its first 32 characters (the call's tag
    is among them), and a failed streamed answer by no name at all: that one is the
    Assist run in flight (they run one at a time). ``offset`` is the log's clock minus
    ours.
    """
    by_tag = {call.tag: call for call in calls}
    assists = [call for call in calls if call.kind == "assist"]
    for line in log:
        if line.logger != "homeassistant.components.tts" or line.level != "ERROR":
            continue
        text = line.message.split("\n", 1)[0]
        if text.startswith(_FAILED_AUDIO):
            name, _, reason = text.removeprefix(_FAILED_AUDIO).partition(": ")
        elif text.startswith(_FAILED_STREAM):
            name, reason = _STREAMED_NAME, text.removeprefix(_FAILED_STREAM)
        else:
            continue
        if name == _STREAMED_NAME:
            call = _assist_at(assists, line.when - offset)
        else:
            call = next((by_tag[t] for t in _tags(name) if t in by_tag), None)
        if call is None:
            continue
        key = messages.key_of(reason)
        call.message = reason
        if key is None:
            call.outcome = f"untranslated:{reason[:80]}"
        else:
            call.outcome = f"cut:{key}" if call.audio_bytes else f"error:{key}"
    for call in calls:
        if call.outcome == "failed":
            call.outcome = f"untranslated:{call.message} without a logged reason"


def _tags(name: str) -> list[str]:
    return [f"〔{part.split('〕', 1)[0]}〕" for part in name.split("〔")[1:]]


def _assist_at(assists: list[Call], when: float) -> Call | None:
    for call in assists:
        end = (call.wall_started + (call.took or 0.0)) + 2.0
        if call.wall_started <= when <= end:
            return call
    return None


def ms(values: list[float]) -> dict[str, Any]:
    """How many, and their p50, p95 and maximum in milliseconds (values in seconds)."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(values),
        "p50": round(statistics.median(ordered) * 1000, 1),
        "p95": round(p95 * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
    }


def _per_1000_calls(
    samples: list[Sample], value: Callable[[Sample], float | None]
) -> float:
    """How ``value`` grows per 1,000 calls (least squares), over the samples with one."""
    points = [(s.calls, y) for s in samples if (y := value(s)) is not None]
    if len({calls for calls, _ in points}) < 2:
        return 0.0
    xs, ys = zip(*points, strict=True)
    return statistics.linear_regression(xs, ys).slope * 1000


def _rss_less_tts_audio(sample: Sample) -> float | None:
    if sample.tts_audio_mb is None:
        return None
    return sample.rss_mb - sample.tts_audio_mb


def _first(samples: list[Sample], field: str) -> int | None:
    return next(
        (value for s in samples if (value := getattr(s, field)) is not None), None
    )


def figures(
    calls: list[Call], samples: list[Sample], log: list[LogLine], key: str
) -> dict[str, Any]:
    """Everything the run measured."""
    over = [s for s in samples if s.sockets > s.bound]
    ours = [line for line in log if line.logger.startswith(OUR_LOGGER)]
    return {
        **_call_figures(calls),
        **_memory_figures(calls, samples),
        "max_open_sockets": max(s.sockets for s in samples),
        "socket_bound": max(s.bound for s in samples),
        "socket_samples": len(samples),
        "socket_samples_over_bound": len(over),
        "error_lines": _counted(x for x in ours if x.level in ("ERROR", "CRITICAL")),
        "warning_lines": _counted(x for x in ours if x.level == "WARNING"),
        "key_appearances_in_log": sum(line.message.count(key) for line in log),
    }


def _call_figures(calls: list[Call]) -> dict[str, Any]:
    """What became of the calls, and how soon each kind's audio began."""
    outcomes = Counter(call.outcome for call in calls)
    by_kind: dict[str, Counter[str]] = {}
    for call in calls:
        by_kind.setdefault(call.kind, Counter())[call.outcome] += 1
    bad = [c for c in calls if c.kind == "bad"]
    return {
        "calls": len(calls),
        "calls_by_kind": {kind: sum(c.values()) for kind, c in sorted(by_kind.items())},
        "outcomes": dict(outcomes.most_common()),
        "outcomes_by_kind": {
            kind: dict(c.most_common()) for kind, c in sorted(by_kind.items())
        },
        "unaccounted": [_describe(c) for c in calls if not _accounted(c.outcome)],
        "bad_input": {
            "calls": len(bad),
            "refused_as_expected": sum(c.outcome == f"error:{c.expected}" for c in bad),
        },
        "hangs": outcomes["hang"],
        "longest_call_s": round(max((c.took or 0.0) for c in calls), 2) if calls else 0,
        "ttfb_ms": _ttfb(calls, sorted(by_kind)),
        "assist_streamed": sum(c.streamed for c in calls),
    }


def _ttfb(calls: list[Call], kinds: list[str]) -> dict[str, Any]:
    """First byte by kind of call, after an idle gap, and of streamed answers."""
    ttfb: dict[str, Any] = {}
    for kind in kinds:
        ttfb[kind] = ms(
            [c.ttfb for c in calls if c.kind == kind and c.ttfb is not None]
        )
    ttfb["after_idle"] = ms(
        [c.ttfb for c in calls if c.after_idle and c.ttfb is not None]
    )
    ttfb["assist_streamed"] = ms(
        [c.ttfb for c in calls if c.streamed and c.ttfb is not None]
    )
    return ttfb


def _memory_figures(calls: list[Call], samples: list[Sample]) -> dict[str, Any]:
    """Memory and our live objects, and how they grow once the caches have filled."""
    warm = [s for s in samples if s.calls >= WARM_UP * len(calls)]
    held = [s.tts_audio_mb for s in samples if s.tts_audio_mb is not None]
    return {
        "rss_mb_start": round(samples[0].rss_mb, 1),
        "rss_mb_end": round(samples[-1].rss_mb, 1),
        "rss_mb_max": round(max(s.rss_mb for s in samples), 1),
        "rss_slope_mb_per_1000_calls": round(
            _per_1000_calls(warm, lambda s: s.rss_mb), 3
        ),
        "ha_tts_audio_mb_end": round(held[-1], 1) if held else None,
        "rss_less_ha_tts_audio_slope_mb_per_1000_calls": round(
            _per_1000_calls(warm, _rss_less_tts_audio), 3
        ),
        "rss_slope_from_call": round(WARM_UP * len(calls)),
        "our_objects_at_start": _first(samples, "our_objects"),
        "our_objects_after_warm_up": _first(warm, "our_objects"),
        "our_objects_end": _first(samples[::-1], "our_objects"),
        "allocated_blocks_slope_per_1000_calls": round(
            _per_1000_calls(warm, lambda s: s.allocated_blocks)
        ),
    }


def _accounted(outcome: str) -> bool:
    return outcome == "audio" or outcome.startswith(("error:", "cut:", "ha:"))


def _describe(call: Call) -> dict[str, Any]:
    return {
        "call": call.number,
        "kind": call.kind,
        "variant": call.variant,
        "outcome": call.outcome,
        "took_s": round(call.took or 0.0, 2),
    }


def _counted(lines: Any) -> list[dict[str, Any]]:
    counts = Counter(
        (line.logger, line.message.split("\n", 1)[0][:200]) for line in lines
    )
    return [
        {"logger": logger, "message": message, "count": count}
        for (logger, message), count in counts.most_common()
    ]
