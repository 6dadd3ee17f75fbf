"""What cleaning does to LLM answers before they are spoken: noise, words, bill, time.

Every answer of ``bench/llm-answers/`` (see :mod:`devtools.speech_corpus`) is cleaned
two ways: one-shot (``clean_text``) and streamed (``TextCleaner`` fed 1-8-character
deltas cut with a fixed seed, as an LLM writes). Reported for each way, and for the
raw answer as the baseline:

- noise tokens reaching the service (target 0) and content words lost (target 0),
  with the answers and tokens concerned; plain answers changed (target 0);
- billed characters (Han 2, other 1) before and after, and the saving in %;
- the cleaner's cost per 1,000 characters of answer (µs, median of the repeats);
- first audio through the real client's ``stream_text`` against the emulator
  (no latency of its own), with cleaning and without, alternating, in one run:
  ``instant`` (the whole answer is there at once: the cleaner's own cost, target
  under 1 ms added) and ``paced`` (a delta every 5-15 ms until the first audio, as
  a fast LLM writes: also what the cleaner holds back until a sentence is whole).

``--rounds`` passes over the corpus for the first-audio figures. Prints one JSON
object; ``--out FILE`` also writes it, and the README's table beside it (``.md``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any, Final, Protocol

import aiohttp

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    Endpoint,
    SynthesisOptions,
    TextCleaner,
    billed_length,
    clean_text,
)
from devtools.bench_output import bench_main
from devtools.emulator import DashScopeEmulator, EmulatorConfig
from devtools.speech_corpus import (
    Answer,
    load_corpus,
    noise_found,
    split_pieces,
    words_lost,
)

KEY: Final = "sk-bench"
SEED: Final = 2025
REPEATS: Final = 30
PACE_S: Final = (0.005, 0.015)
TARGET_ADDED_MS: Final = 1.0
_OPTIONS: Final = SynthesisOptions(format="pcm", sample_rate=16000)


class Cleaner(Protocol):
    """The streamed cleaner's interface (``api.TextCleaner``)."""

    def feed(self, piece: str) -> str:
        """Take a piece; return what is now clean and complete (may be "")."""

    def finish(self) -> str:
        """Return the rest."""


def product_cleaner() -> tuple[str, Callable[[str], str], Callable[[], Cleaner]]:
    """The product's ``clean_text`` and ``TextCleaner``."""
    return "api.clean_text / api.TextCleaner", clean_text, TextCleaner


def streamed(make: Callable[[], Cleaner], pieces: Iterable[str]) -> str:
    """Everything a streamed cleaner lets through, joined as the service hears it."""
    cleaner = make()
    return "".join(cleaner.feed(piece) for piece in pieces) + cleaner.finish()


def answer_pieces(answer: Answer, index: int) -> list[str]:
    """The answer's deltas: the same for every run."""
    return split_pieces(answer.markdown, random.Random(SEED + index))


def judge(spoken: dict[str, str], answers: list[Answer]) -> dict[str, Any]:
    """Noise, lost words, changed plain answers and the bill of one way of cleaning."""
    noise: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    noisy: dict[str, dict[str, int]] = {}
    lossy: dict[str, dict[str, int]] = {}
    changed = []
    for answer in answers:
        text = spoken[answer.name]
        found, missing = noise_found(text, answer), words_lost(text, answer)
        noise += found
        lost += missing
        if found:
            noisy[answer.name] = dict(found)
        if missing:
            lossy[answer.name] = dict(missing)
        if answer.plain and text != answer.markdown:
            changed.append(answer.name)
    return {
        "noise_tokens": sum(noise.values()),
        "noise_by_token": dict(noise.most_common()),
        "words_lost": sum(lost.values()),
        "plain_changed": changed,
        "billed": _billed(spoken, answers),
        "noisy_answers": noisy,
        "answers_losing_words": lossy,
    }


def _billed(spoken: dict[str, str], answers: list[Answer]) -> dict[str, int]:
    by_lang = {
        lang: sum(billed_length(spoken[a.name]) for a in answers if a.lang == lang)
        for lang in sorted({a.lang for a in answers})
    }
    return {**by_lang, "all": sum(by_lang.values())}


def saving(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """Billed characters saved by cleaning, in % of the raw answers', per language."""
    return {
        lang: round(100 * (before[lang] - after[lang]) / before[lang], 1)
        for lang in before
        if before[lang]
    }


def cost_us_per_1000(
    clean: Callable[[str], str],
    make: Callable[[], Cleaner],
    answers: list[Answer],
    repeats: int = REPEATS,
) -> dict[str, float]:
    """Median time to clean the whole corpus, per 1,000 characters of answer (µs)."""
    chars = sum(len(a.markdown) for a in answers)
    pieces = [answer_pieces(a, i) for i, a in enumerate(answers)]
    one_shot, stream = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        for answer in answers:
            clean(answer.markdown)
        one_shot.append(time.perf_counter() - began)
        began = time.perf_counter()
        for deltas in pieces:
            streamed(make, deltas)
        stream.append(time.perf_counter() - began)
    return {
        way: round(statistics.median(times) * 1e6 / chars * 1000, 1)
        for way, times in (("one_shot", one_shot), ("streamed", stream))
    }


async def _deltas(
    pieces: list[str], pace: random.Random | None, heard: asyncio.Event
) -> AsyncIterator[str]:
    """The pieces as an LLM writes them: paced until the first audio, if ``pace``."""
    for piece in pieces:
        delay = pace.uniform(*PACE_S) if pace is not None else 0.0
        await asyncio.sleep(0.0 if heard.is_set() else delay)
        yield piece


async def first_audio(
    client: CosyVoiceClient,
    pieces: list[str],
    cleaning: bool,
    pace: random.Random | None,
) -> float:
    """Seconds from the first delta's writing to the first audio chunk.

    The client cleans the text itself (``clean_text``, on by default): the same
    stream is timed with the option on and off.
    """
    heard = asyncio.Event()
    text = _deltas(pieces, pace, heard)
    options = dataclasses.replace(_OPTIONS, clean_text=cleaning)
    began = time.perf_counter()
    took = 0.0
    async for _ in client.stream_text(text, options):
        if not heard.is_set():
            took = time.perf_counter() - began
            heard.set()
    return took


async def first_audio_rounds(
    answers: list[Answer], rounds: int
) -> dict[str, list[tuple[float, float]]]:
    """(with cleaning, without) first-audio seconds per answer and round, both paces.

    The order within a pair alternates, so neither way always goes first.
    """
    pairs: dict[str, list[tuple[float, float]]] = {"instant": [], "paced": []}
    config = EmulatorConfig(api_keys={KEY}, ms_per_char=5.0)
    async with (
        DashScopeEmulator(config) as emulator,
        aiohttp.ClientSession() as session,
    ):
        client = CosyVoiceClient(session, KEY, Endpoint.custom(emulator.ws_url))
        await client.pool.warm_up()
        await first_audio(client, ["Warming up."], False, None)
        for turn in range(rounds * len(answers)):
            index = turn % len(answers)
            pieces = answer_pieces(answers[index], index)
            for way, seeded in (("instant", False), ("paced", True)):
                took = {}
                for cleaning in (turn % 2 == 0, turn % 2 != 0):
                    pace = random.Random(SEED + turn) if seeded else None
                    took[cleaning] = await first_audio(client, pieces, cleaning, pace)
                pairs[way].append((took[True], took[False]))
        await client.close()
    return pairs


def added(pairs: list[tuple[float, float]]) -> dict[str, float]:
    """First audio with and without cleaning: medians, paired difference, ratio.

    In ms; the ratio of the medians, in one run, cancels the machine's speed.
    """
    with_ms = statistics.median(p[0] for p in pairs) * 1000
    without_ms = statistics.median(p[1] for p in pairs) * 1000
    return {
        "with_cleaning_p50_ms": round(with_ms, 2),
        "without_p50_ms": round(without_ms, 2),
        "added_p50_ms": round(statistics.median(p[0] - p[1] for p in pairs) * 1000, 2),
        "ratio_of_p50s": round(with_ms / without_ms, 3),
    }


async def run(rounds: int) -> dict[str, Any]:
    """Clean the corpus both ways, judge it, time it; first audio over ``rounds``."""
    cleaner_name, clean, make = product_cleaner()
    answers = load_corpus()
    raw = {a.name: a.markdown for a in answers}
    ways = {
        "raw": judge(raw, answers),
        "one_shot": judge({a.name: clean(a.markdown) for a in answers}, answers),
        "streamed": judge(
            {
                a.name: streamed(make, answer_pieces(a, i))
                for i, a in enumerate(answers)
            },
            answers,
        ),
    }
    for way in ("one_shot", "streamed"):
        ways[way]["billed_saving_percent"] = saving(
            ways["raw"]["billed"], ways[way]["billed"]
        )
    pairs = await first_audio_rounds(answers, rounds)
    result: dict[str, Any] = {
        "cleaner": cleaner_name,
        "python": sys.version.split()[0],
        "corpus": {
            "answers": len(answers),
            "by_language": dict(Counter(a.lang for a in answers)),
            "plain": sum(a.plain for a in answers),
            "content_words": sum(len(a.must_say) for a in answers),
            "characters": sum(len(a.markdown) for a in answers),
        },
        "deltas": {"chars": [1, 8], "seed": SEED},
        "ways": ways,
        "cost_us_per_1000_chars": cost_us_per_1000(clean, make, answers),
        "first_audio": {
            "rounds": rounds,
            "pairs_per_pace": len(pairs["instant"]),
            "paced_delta_every_ms": [PACE_S[0] * 1000, PACE_S[1] * 1000],
            **{pace: added(found) for pace, found in pairs.items()},
            "target_added_ms": TARGET_ADDED_MS,
        },
    }
    result["met"] = _met(result)
    return result


def _met(result: dict[str, Any]) -> bool:
    ways = result["ways"]
    return all(
        ways[way]["noise_tokens"] == 0
        and ways[way]["words_lost"] == 0
        and not ways[way]["plain_changed"]
        for way in ("one_shot", "streamed")
    ) and (result["first_audio"]["instant"]["added_p50_ms"] < TARGET_ADDED_MS)


_WAYS: Final = ("raw", "one_shot", "streamed")


def _row(label: str, cells: Iterable[object]) -> str:
    return "| " + " | ".join([label, *map(str, cells)]) + " |"


def _bill_row(ways: dict[str, Any], lang: str) -> str:
    cells = [str(ways["raw"]["billed"][lang])]
    for way in _WAYS[1:]:
        percent = ways[way]["billed_saving_percent"][lang]
        cells.append(f"{ways[way]['billed'][lang]} (−{percent}%)")
    return _row(f"billed characters, {lang}", cells)


def _first_audio_rows(first: dict[str, Any]) -> list[str]:
    return [
        _row(
            f"first audio added, {label} (p50 of {first['pairs_per_pace']} pairs)",
            ["–", "–", f"{found['added_p50_ms']} ms (×{found['ratio_of_p50s']})"],
        )
        for found, label in (
            (first["instant"], "whole answer at once"),
            (first["paced"], "a delta every 5–15 ms"),
        )
    ]


def readme_table(result: dict[str, Any]) -> str:
    """The figures as the README's Markdown table."""
    ways = result["ways"]
    corpus = result["corpus"]
    cost = result["cost_us_per_1000_chars"]
    by_lang = corpus["by_language"]
    lines = [
        _row("", ["raw answer", "one-shot `clean_text`", "streamed, 1–8-char deltas"]),
        _row("---", ["---:"] * 3),
        _row(
            "noise tokens reaching the service",
            [ways[w]["noise_tokens"] for w in _WAYS],
        ),
        _row(
            f"content words lost (of {corpus['content_words']})",
            [ways[w]["words_lost"] for w in _WAYS],
        ),
        _row(
            f"plain answers changed (of {corpus['plain']})",
            [len(ways[w]["plain_changed"]) for w in _WAYS],
        ),
        *(_bill_row(ways, lang) for lang in ("en", "zh", "all")),
        _row(
            "cleaner's cost per 1,000 characters",
            ["–", f"{cost['one_shot']} µs", f"{cost['streamed']} µs"],
        ),
        *_first_audio_rows(result["first_audio"]),
        f"\n{corpus['answers']} answers ({by_lang.get('en', 0)} English, "
        f"{by_lang.get('zh', 0)} Chinese); cleaner: {result['cleaner']}.",
    ]
    return "\n".join(lines) + "\n"


def _write_table(result: dict[str, Any], out: Path | None) -> None:
    if out is not None:
        out.with_suffix(".md").write_text(readme_table(result), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.bench_speech_text [--rounds N] [--out FILE]``."""
    return bench_main(argv, __doc__ or "", 5, run, after=_write_table)


if __name__ == "__main__":
    sys.exit(main())
