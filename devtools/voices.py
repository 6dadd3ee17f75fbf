"""``scripts/voices``: manage the account's own CosyVoice voices from a shell.

``list``, ``design``, ``clone``, ``show`` and ``delete`` each print one JSON line;
an error is one line on stderr and a non-zero exit. The API key is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp

from custom_components.cosyvoice.api import (
    CosyVoiceError,
    Endpoint,
    VoiceEnrollment,
)
from custom_components.cosyvoice.api.credentials import checked_api_key, user_agent

_TIMEOUT = 60.0


def build_parser() -> argparse.ArgumentParser:
    """Command-line options: the connection flags of ``scripts/say``, then an action."""
    parser = argparse.ArgumentParser(
        prog="scripts/voices",
        description="List, design, clone, show and delete your own CosyVoice voices.",
    )
    parser.add_argument(
        "--api-key", help="DashScope API key (default: $DASHSCOPE_API_KEY)"
    )
    parser.add_argument("--region", choices=["cn", "intl"], default="cn")
    parser.add_argument("--http-url", help="custom HTTP API base URL (…/api/v1)")
    parser.add_argument("--workspace", help="DashScope workspace id")
    actions = parser.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="the account's own voices")
    listing.add_argument("--model", help="only the voices of this model")

    design = actions.add_parser("design", help="make a voice from a description")
    design.add_argument("--model", required=True)
    design.add_argument("--prompt", required=True, help="what the voice sounds like")
    design.add_argument("--preview-text", required=True, help="what the preview says")
    design.add_argument("--name", required=True, help="1-10 lowercase letters/digits")
    design.add_argument("--language", help="zh, en, fr, de, ja, ko or ru")
    design.add_argument("--out", type=Path, help="file to write the preview audio to")

    clone = actions.add_parser("clone", help="make a voice from a recording")
    clone.add_argument("--model", required=True)
    sample = clone.add_mutually_exclusive_group(required=True)
    sample.add_argument("--url", help="public URL of the recording")
    sample.add_argument("--file", type=Path, help="local recording (WAV, MP3, M4A)")
    clone.add_argument("--name", required=True, help="1-10 lowercase letters/digits")
    clone.add_argument("--language", help="language spoken in the recording")

    for name, text in (("show", "one voice and its status"), ("delete", "delete one")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--voice-id", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one action; 0 on success, 1 on an error, 2 on bad arguments."""
    args = build_parser().parse_args(argv)
    api_key = args.api_key or os.environ.get("DASHSCOPE_API_KEY", "")
    if not api_key:
        _error("no API key: pass --api-key or set DASHSCOPE_API_KEY")
        return 2
    try:
        print(json.dumps(asyncio.run(_run(args, api_key)), ensure_ascii=False))
    except CosyVoiceError as err:
        _error(str(err))
        return 1
    except OSError as err:
        _error(f"{err.strerror or err}: {getattr(err, 'filename', '') or ''}".strip())
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 1
    return 0


async def _run(args: argparse.Namespace, api_key: str) -> dict[str, Any]:
    endpoint = _endpoint(args)
    async with aiohttp.ClientSession() as session:
        voices = VoiceEnrollment(
            session,
            checked_api_key(api_key),
            endpoint,
            timeout=_TIMEOUT,
            user_agent=user_agent(),
        )
        if args.action == "list":
            return {
                "voices": [v.as_dict() for v in await voices.list_voices(args.model)]
            }
        if args.action == "show":
            return (await voices.get_voice(args.voice_id)).as_dict()
        if args.action == "delete":
            await voices.delete(args.voice_id)
            return {"voice_id": args.voice_id, "deleted": True}
        if args.action == "design":
            designed = await voices.design(
                args.model,
                args.name,
                description=args.prompt,
                preview_text=args.preview_text,
                language=args.language,
            )
            row = designed.voice.as_dict()
            if args.out is not None:
                args.out.write_bytes(designed.preview)
                row["preview"] = str(args.out)
            return row
        sample = args.file.read_bytes() if args.file is not None else None
        voice = await voices.clone(
            args.model, args.name, url=args.url, sample=sample, language=args.language
        )
        return voice.as_dict()


def _endpoint(args: argparse.Namespace) -> Endpoint:
    if not args.http_url:
        return Endpoint.for_region(args.region, args.workspace)
    ws_url = args.http_url.replace("http", "ws", 1).split("/api/")[0]
    return Endpoint.custom(
        f"{ws_url}/api-ws/v1/inference", args.http_url, args.workspace
    )


def _error(message: str) -> None:
    print(f"voices: error: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
