"""What ``scripts/bench`` prints when it is done: the figures as a few lines of text."""

from __future__ import annotations

from typing import Any


def summary(results: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    return "\n".join(
        [*_latency_lines(results), *_scale_lines(results), *_other_lines(results)]
    )


def _latency_lines(results: dict[str, Any]) -> list[str]:
    """Figures 1 and 2: overhead, its floor, and warm vs cold."""
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
    return lines


def _scale_lines(results: dict[str, Any]) -> list[str]:
    """Figures 3 and 4: one row a client and concurrency, then ours / SDK."""
    lines = [
        f"{'impl':5} {'N':>4} {'ok':>6} {'req/s':>7} {'aud s/s':>8} "
        f"{'fa p50':>8} {'fa p99':>8} {'KB/req':>8} {'cpu/min':>8}"
    ]
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
    lines.extend(
        f"ours/SDK at {level}: first audio p50 x{ratios['first_audio_p50']}, "
        f"p99 x{ratios['first_audio_p99']}, throughput x{ratios['throughput_rps']}, "
        f"memory x{ratios['memory_per_request']}, cpu x{ratios['cpu_per_audio_minute']}"
        for level, ratios in results["versus_sdk"].items()
    )
    return lines


def _other_lines(results: dict[str, Any]) -> list[str]:
    """Figures 5 to 7 (streaming, router, readiness), the targets, the wall time."""
    stream = results["streaming"]["results_ms"]
    router = results["router"]["first_audio_ms"]
    idle = results["ready"]["idle"]
    burst = results["ready"]["burst"]
    lines = [
        "streaming: first sentence -> first audio p50 "
        f"{stream['streaming']['first_sentence_to_first_audio']['p50']} ms "
        f"(whole text {stream['whole_text']['first_sentence_to_first_audio']['p50']} ms)",
        "router first audio p50: "
        + ", ".join(f"{k} {v['p50']} ms" for k, v in router.items()),
        "after idle / warm first audio p50: "
        + ", ".join(f"{k} x{v['ratio']}" for k, v in idle.items()),
        f"burst of {burst['requests_at_once']}: last byte p50 x{burst['ratio']} of one "
        f"request's, {burst['connections_opened_per_burst']} connections opened",
    ]
    for name, target in results["targets"].items():
        verdict = {True: "met", False: "MISSED", None: "n/a"}[target["met"]]
        lines.append(f"target {name}: {target['value']} ({target['target']}) {verdict}")
    lines.append(f"wall time {results['wall_time_s']} s")
    return lines
