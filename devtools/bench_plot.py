"""The picture of ``scripts/bench`` (``results.png``): six panels of its figures.

Top row and bottom left: figures 3 and 4 (first audio, throughput, memory and CPU
against concurrency, ours beside the SDK); then warm vs new connection (figure 2) and
streaming input and the router's paths (figures 5 and 6).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from devtools.bench_measure import FIRST_AUDIO_DELAY

COLORS = {"ours": "tab:blue", "sdk": "tab:orange"}
LABELS = {"ours": "ours (asyncio)", "sdk": "dashscope SDK (threads)"}


def plot(results: dict[str, Any], path: Path) -> bool:
    """Draw the figures into one PNG; False when matplotlib is missing."""
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return False
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")
    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    _scale_panels(axes, results["scale"])
    _warm_vs_cold_panel(axes[1][1], results["warm_vs_cold"])
    _paths_panel(axes[1][2], results)
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


def _scale_panels(axes: Any, scale: dict[str, list[dict[str, Any]]]) -> None:
    """Figures 3 and 4: one line a client (two for first audio: p50 and p99)."""
    panels = (
        (axes[0][0], "first audio (ms)", "First audio vs concurrency"),
        (axes[0][1], "requests / s", "Throughput vs concurrency"),
        (axes[0][2], "KB per in-flight request", "Memory (RSS delta / N)"),
        (axes[1][0], "CPU s per minute of audio", "Client CPU"),
    )
    for impl in ("ours", "sdk"):
        cells = [c for c in scale[impl] if "error" not in c]
        if cells:
            _scale_lines([ax for ax, _, _ in panels], impl, cells)
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


def _scale_lines(axes: list[Any], impl: str, cells: list[dict[str, Any]]) -> None:
    """One client's lines on the four scale panels, in their order."""
    levels = [c["concurrency"] for c in cells]
    color, label = COLORS[impl], LABELS[impl]
    for quantile, style in (("p50", "o-"), ("p99", "s--")):
        axes[0].plot(
            levels,
            [c["first_audio_ms"].get(quantile) for c in cells],
            style,
            color=color,
            label=f"{label} {quantile}",
        )
    figures = ("throughput_rps", "memory_per_request_kb", "cpu_s_per_audio_minute")
    for ax, figure in zip(axes[1:], figures, strict=True):
        ax.plot(levels, [c[figure] for c in cells], "o-", color=color, label=label)


def _warm_vs_cold_panel(ax: Any, warm_cold: dict[str, Any]) -> None:
    """Figure 2: first audio on a warm pooled connection and on a new one."""
    names, values, bar_colors = [], [], []
    for impl in ("ours", "sdk"):
        entry = warm_cold.get(impl, {})
        for which in ("warm", "cold"):
            p50 = entry.get(f"{which}_first_audio_ms", {}).get("p50")
            if p50 is not None:
                names.append(f"{impl}\n{which}")
                values.append(p50)
                bar_colors.append(COLORS[impl] if which == "warm" else "lightgrey")
    bars = ax.bar(names, values, color=bar_colors, edgecolor="black")
    ax.bar_label(bars, fmt="%.1f")
    ax.axhline(FIRST_AUDIO_DELAY * 1000, color="grey", lw=0.8, ls=":")
    ax.set_ylabel("first audio p50 (ms)")
    ax.set_title("Warm pooled vs new connection (short text)")


def _paths_panel(ax: Any, results: dict[str, Any]) -> None:
    """Figures 5 and 6: streaming input against whole text, and the router's paths."""
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
