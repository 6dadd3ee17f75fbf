"""Measure streaming input against waiting for the whole text (emulator, realistic).

A stand-in LLM writes an answer one word every 30-50 ms. For each round the same
answer (same seeded delays) is spoken two ways on a warm pooled connection:

- ``streaming``: the words go into :meth:`CosyVoiceClient.stream_text` as they come;
- ``whole_text``: the words are collected, then :meth:`CosyVoiceClient.stream` speaks
  the whole answer, as a TTS without streaming input must.

Reported per way (median and p95 over the rounds, ms): from the moment the first
sentence is complete to the first audio byte, and the same minus the emulator's own
first-audio delay (our overhead: batching, task start, sending). Prints one JSON
object; ``--out`` also writes it to a file.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    Endpoint,
    SynthesisOptions,
)
from devtools.bench_output import bench_main
from devtools.emulator import DashScopeEmulator, EmulatorConfig

KEY = "sk-bench"
ANSWER = (
    "The living room lights are now off. "
    "I also turned down the thermostat to nineteen degrees, "
    "and the front door is locked. Anything else before you go to sleep?"
)
FIRST_AUDIO_DELAY = 0.15
HANDSHAKE_DELAY = 0.08


class _Llm:
    """Yields the answer word by word; notes when its first sentence was complete."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.words = [w + " " for w in ANSWER.split(" ")]
        self.delays = [rng.uniform(0.030, 0.050) for _ in self.words]
        self.first_sentence_at = 0.0
        self.finished_at = 0.0

    async def words_as_written(self) -> AsyncIterator[str]:
        for word, delay in zip(self.words, self.delays, strict=True):
            await asyncio.sleep(delay)
            if not self.first_sentence_at and word.rstrip().endswith("."):
                self.first_sentence_at = time.perf_counter()
            yield word
        self.finished_at = time.perf_counter()


async def _streaming(client: CosyVoiceClient, seed: int) -> dict[str, float]:
    llm = _Llm(seed)
    began = time.perf_counter()
    first_audio = 0.0
    async for _ in client.stream_text(llm.words_as_written(), _OPTIONS):
        if not first_audio:
            first_audio = time.perf_counter()
    return _times(llm, began, first_audio)


async def _whole_text(client: CosyVoiceClient, seed: int) -> dict[str, float]:
    llm = _Llm(seed)
    began = time.perf_counter()
    text = "".join([word async for word in llm.words_as_written()])
    first_audio = 0.0
    async for _ in client.stream(text, _OPTIONS):
        if not first_audio:
            first_audio = time.perf_counter()
    return _times(llm, began, first_audio)


_OPTIONS = SynthesisOptions(format="pcm", sample_rate=16000)


def _times(llm: _Llm, began: float, first_audio: float) -> dict[str, float]:
    sentence_to_audio = first_audio - llm.first_sentence_at
    return {
        "first_sentence_to_first_audio": sentence_to_audio,
        "overhead": sentence_to_audio - FIRST_AUDIO_DELAY,
        "request_to_first_audio": first_audio - began,
        "text_finished_after": llm.finished_at - began,
    }


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "p50": round(statistics.median(ordered) * 1000, 1),
        "p95": round(p95 * 1000, 1),
    }


async def run(rounds: int) -> dict[str, Any]:
    """Both ways ``rounds`` times, interleaved, on one warm client."""
    config = EmulatorConfig(
        api_keys={KEY},
        handshake_delay=HANDSHAKE_DELAY,
        first_audio_delay=FIRST_AUDIO_DELAY,
        realtime_factor=1.0,
    )
    samples: dict[str, list[dict[str, float]]] = {"streaming": [], "whole_text": []}
    async with (
        DashScopeEmulator(config) as emulator,
        aiohttp.ClientSession() as session,
    ):
        client = CosyVoiceClient(session, KEY, Endpoint.custom(emulator.ws_url))
        await client.pool.warm_up()
        for seed in range(rounds):
            samples["streaming"].append(await _streaming(client, seed))
            samples["whole_text"].append(await _whole_text(client, seed))
        await client.close()
    return {
        "answer": ANSWER,
        "rounds": rounds,
        "words_every_ms": [30, 50],
        "emulator": {
            "handshake_ms": HANDSHAKE_DELAY * 1000,
            "first_audio_ms": FIRST_AUDIO_DELAY * 1000,
            "realtime_factor": 1.0,
        },
        "results_ms": {
            way: {metric: _summary([s[metric] for s in runs]) for metric in runs[0]}
            for way, runs in samples.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m devtools.bench_streaming [--rounds N] [--out F]``."""
    return bench_main(argv, __doc__ or "", 15, run)


if __name__ == "__main__":
    sys.exit(main())
