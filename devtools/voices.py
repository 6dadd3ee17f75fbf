"""``scripts/voices``: manage the account's own CosyVoice voices from a shell.

``list``, ``design``, ``clone``, ``show`` and ``delete`` each print one JSON line;
an error is one line on stderr and a non-zero exit. The connection flags go before
or after the action; the API key is never printed, not even in a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import aiohttp

from custom_components.cosyvoice.api import (
    CosyVoiceError,
    Endpoint,
    VoiceEnrollment,
)
from custom_components.cosyvoice.api.credentials import checked_api_key, user_agent

_TIMEOUT = 60.0


KEY_FLAG = "--api-key"
HIDDEN_KEY = "<API key>"
"""What a usage error says where the command line held a key."""


class KeySafeParser(argparse.ArgumentParser):
    """An argument parser whose usage errors never repeat an API key.

    argparse quotes what it could not place ("unrecognized arguments: ..."), and
    people paste keys into shells that others can see or that keep a history.
    """

    def __init__(self, *args: Any, keys: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Longest first: a key's surrounding blanks go with it, not around "<API key>".
        self.keys = sorted({k for k in keys if k.strip()}, key=len, reverse=True)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the message, every key in it hidden; exit 2."""
        for key in self.keys:
            message = message.replace(key, HIDDEN_KEY)
        super().error(message)


def keys_in(argv: Sequence[str]) -> list[str]:
    """Every key the command line holds: after ``--api-key``, or shaped like one.

    The flag may be shortened (``--api``) or joined (``--api-key=...``) as argparse
    allows; ``$DASHSCOPE_API_KEY`` counts too, in case it was pasted as well.
    """
    keys = [os.environ.get("DASHSCOPE_API_KEY", "")]
    for index, arg in enumerate(argv):
        flag, joined, value = arg.partition("=")
        if len(flag) > 2 and KEY_FLAG.startswith(flag):
            if joined:
                keys.append(value)
            elif index + 1 < len(argv):
                keys.append(argv[index + 1])
        elif arg.strip().startswith("sk-"):
            keys.append(arg)
    return [k for variant in keys for k in (variant, variant.strip()) if k.strip()]


def build_parser(keys: Sequence[str] = ()) -> argparse.ArgumentParser:
    """Command-line options: an action, with the connection flags before or after it.

    ``keys`` never appear in a usage error.
    """
    parser = KeySafeParser(
        prog="scripts/voices",
        description="List, design, clone, show and delete your own CosyVoice voices.",
        keys=keys,
    )
    _connection_flags(parser, after_action=False)
    actions = parser.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="the account's own voices", keys=keys)
    listing.add_argument("--model", help="only the voices of this model")

    design = actions.add_parser(
        "design", help="make a voice from a description", keys=keys
    )
    design.add_argument("--model", required=True)
    design.add_argument("--prompt", required=True, help="what the voice sounds like")
    design.add_argument("--preview-text", required=True, help="what the preview says")
    design.add_argument("--name", required=True, help="1-10 lowercase letters/digits")
    design.add_argument("--language", help="zh, en, fr, de, ja, ko or ru")
    design.add_argument("--out", type=Path, help="file to write the preview audio to")

    clone = actions.add_parser("clone", help="make a voice from a recording", keys=keys)
    clone.add_argument("--model", required=True)
    sample = clone.add_mutually_exclusive_group(required=True)
    sample.add_argument("--url", help="public URL of the recording")
    sample.add_argument("--file", type=Path, help="local recording (WAV, MP3, M4A)")
    clone.add_argument("--name", required=True, help="1-10 lowercase letters/digits")
    clone.add_argument("--language", help="language spoken in the recording")

    for name, text in (("show", "one voice and its status"), ("delete", "delete one")):
        action = actions.add_parser(name, help=text, keys=keys)
        action.add_argument("--voice-id", required=True)
    for action_parser in actions.choices.values():
        _connection_flags(action_parser, after_action=True)
    return parser


def _connection_flags(parser: argparse.ArgumentParser, *, after_action: bool) -> None:
    """The flags of ``scripts/say`` that say where to connect, and with which key.

    After the action they default to nothing at all: an action's parser writes every
    value it holds over the ones read before the action.
    """
    group = parser.add_argument_group("connection (before or after the action)")
    unset = argparse.SUPPRESS if after_action else None
    group.add_argument(
        KEY_FLAG, default=unset, help="DashScope API key (default: $DASHSCOPE_API_KEY)"
    )
    group.add_argument(
        "--region",
        choices=["cn", "intl"],
        default=argparse.SUPPRESS if after_action else "cn",
    )
    group.add_argument(
        "--http-url", default=unset, help="custom HTTP API base URL (…/api/v1)"
    )
    group.add_argument("--workspace", default=unset, help="DashScope workspace id")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one action; 0 on success, 1 on an error, 2 on bad arguments."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(keys_in(argv)).parse_args(argv)
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
