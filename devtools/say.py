"""``scripts/say``: synthesize text with the CosyVoice client from the command line.

Prints one JSON line of results; errors go to stderr as one line. The API key is
never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import aiohttp

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    CosyVoiceError,
    Endpoint,
    KeepReadySettings,
    SynthesisOptions,
    SynthesisResult,
)
from custom_components.cosyvoice.api.audio import EXTENSIONS, FORMATS, SAMPLE_RATES
from custom_components.cosyvoice.api.models import DEFAULT_MODEL
from custom_components.cosyvoice.api.options import default_voice
from custom_components.cosyvoice.api.router import ROUTE_CHOICES, RoutingSettings
from custom_components.cosyvoice.api.ssml import is_ssml


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="scripts/say", description="Speak text with DashScope CosyVoice."
    )
    text = parser.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="text to speak")
    text.add_argument("--text-file", type=Path, help="file holding the text (UTF-8)")
    parser.add_argument(
        "--out",
        type=Path,
        help="audio file to write; with --repeat > 1 a folder for one file per request",
    )
    parser.add_argument(
        "--api-key", help="DashScope API key (default: $DASHSCOPE_API_KEY)"
    )
    parser.add_argument("--region", choices=["cn", "intl"], default="cn")
    parser.add_argument("--ws-url", help="custom WebSocket endpoint (ws:// or wss://)")
    parser.add_argument("--http-url", help="custom HTTP API base URL")
    parser.add_argument("--workspace", help="DashScope workspace id")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--voice", help="voice id (default: the model's default voice)")
    parser.add_argument("--format", choices=FORMATS, default="mp3")
    parser.add_argument("--sample-rate", type=int, choices=SAMPLE_RATES, default=22050)
    parser.add_argument("--rate", type=float, default=1.0, help="speech rate 0.5-2")
    parser.add_argument("--pitch", type=float, default=1.0, help="pitch 0.5-2")
    parser.add_argument("--volume", type=int, default=50, help="volume 0-100")
    parser.add_argument(
        "--route",
        choices=ROUTE_CHOICES,
        default="websocket",
        help="API to use: auto (the smart router), websocket or http",
    )
    parser.add_argument(
        "--ssml",
        action="store_true",
        help="speak the text as SSML (plain text is wrapped in <speak>)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="number of requests")
    parser.add_argument("--concurrency", type=int, default=1, help="requests at once")
    parser.add_argument(
        "--interval",
        type=float,
        default=0.0,
        help="seconds of silence between requests (they then run one at a time)",
    )
    parser.add_argument(
        "--keep-ready",
        type=int,
        default=KeepReadySettings().connections,
        help="connections kept open through silence (0: none)",
    )
    parser.add_argument(
        "--renew-after",
        type=float,
        default=KeepReadySettings().renew_after,
        help="seconds an idle connection waits before it is renewed",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; the exit status is 0 only if every request succeeded."""
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except CosyVoiceError as err:
        _error(str(err))
    except (OSError, ValueError) as err:
        _error(str(err))
    except KeyboardInterrupt:
        _error("interrupted")
    return 1


async def _run(args: argparse.Namespace) -> int:
    api_key = args.api_key or os.environ.get("DASHSCOPE_API_KEY", "")
    if not api_key:
        _error("no API key: pass --api-key or set DASHSCOPE_API_KEY")
        return 2
    if args.repeat < 1 or args.concurrency < 1:
        _error("--repeat and --concurrency must be at least 1")
        return 2
    if args.interval < 0 or args.keep_ready < 0 or args.renew_after <= 0:
        _error("--interval and --keep-ready must not be negative, --renew-after > 0")
        return 2
    text = args.text if args.text is not None else args.text_file.read_text("utf-8")
    if args.ssml and not is_ssml(text):
        text = f"<speak>{xml_escape(text)}</speak>"
    endpoint = (
        Endpoint.custom(args.ws_url, args.http_url, args.workspace)
        if args.ws_url
        else Endpoint.for_region(args.region, args.workspace)
    )
    options = SynthesisOptions(**_option_kwargs(args))
    outputs = _output_paths(args.out, args.repeat, EXTENSIONS[options.format])

    async with aiohttp.ClientSession() as session:
        client = CosyVoiceClient(
            session,
            api_key,
            endpoint,
            routing=RoutingSettings(route=args.route),
            keep_ready=KeepReadySettings(
                connections=args.keep_ready, renew_after=args.renew_after
            ),
        )
        began = time.monotonic()
        try:
            outcomes = await _requests(client, text, options, args, outputs)
        finally:
            await client.close()
        wall = time.monotonic() - began

    results = [o for o in outcomes if isinstance(o, SynthesisResult)]
    errors = [o for o in outcomes if isinstance(o, CosyVoiceError)]
    summary = _summary(results, errors, wall, options)
    summary["connections_opened"] = client.stats.connections_opened
    summary["retries"] = client.stats.retries
    summary["renewals"] = client.stats.renewals
    print(json.dumps(summary, ensure_ascii=False))
    if errors:
        _error(f"{len(errors)} of {args.repeat} requests failed; first: {errors[0]}")
        return 1
    return 0


async def _requests(
    client: CosyVoiceClient,
    text: str,
    options: SynthesisOptions,
    args: argparse.Namespace,
    outputs: list[Path],
) -> list[SynthesisResult | CosyVoiceError]:
    """``--repeat`` requests, ``--concurrency`` at once or one per ``--interval``."""
    gate = asyncio.Semaphore(args.concurrency)

    async def one(index: int) -> SynthesisResult | CosyVoiceError:
        async with gate:
            try:
                result = await client.synthesize(text, options)
            except CosyVoiceError as err:
                return err
        if outputs:
            await asyncio.to_thread(outputs[index].write_bytes, result.audio)
        return result

    if not args.interval:
        return await asyncio.gather(*(one(i) for i in range(args.repeat)))
    outcomes = []
    for index in range(args.repeat):
        if index:
            await asyncio.sleep(args.interval)
        outcomes.append(await one(index))
        # From the first request's connection on, kept through silence.
        client.keep_ready.start()
    return outcomes


def _option_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "model": args.model,
        "format": args.format,
        "sample_rate": args.sample_rate,
        "rate": args.rate,
        "pitch": args.pitch,
        "volume": args.volume,
    }
    voice = args.voice or default_voice(args.model)
    if voice:
        kwargs["voice"] = voice
    return kwargs


def _output_paths(out: Path | None, repeat: int, extension: str) -> list[Path]:
    if out is None:
        return []
    if repeat == 1:
        out.parent.mkdir(parents=True, exist_ok=True)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    return [out / f"{index + 1:04d}.{extension}" for index in range(repeat)]


def _summary(
    results: list[SynthesisResult],
    errors: list[CosyVoiceError],
    wall: float,
    options: SynthesisOptions,
) -> dict[str, Any]:
    first_audio = sorted(
        r.first_audio_latency * 1000
        for r in results
        if r.first_audio_latency is not None
    )
    return {
        "route": "+".join(sorted({r.route for r in results})) or None,
        "model": options.model,
        "voice": options.voice,
        "format": options.format,
        "sample_rate": options.sample_rate,
        "bytes": sum(len(r.audio) for r in results),
        "characters": sum(r.characters for r in results),
        "first_audio_ms": _round(statistics.median(first_audio))
        if first_audio
        else None,
        "first_audio_ms_p95": _round(_percentile(first_audio, 0.95)),
        "total_ms": _round(wall * 1000),
        "requests": len(results) + len(errors),
        "failures": len(errors),
        "errors": dict(Counter(type(e).__name__ for e in errors)),
    }


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, round(fraction * (len(values) - 1)))
    return values[index]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _error(message: str) -> None:
    print(f"say: error: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
