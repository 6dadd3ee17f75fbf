"""Run the emulator: ``python -m devtools.emulator [--port 8765] [--realistic] …``.

Prints the WebSocket URL, then the HTTP API base URL, one per line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Sequence

from .config import EmulatorConfig
from .server import DashScopeEmulator

# Latency in the range the docs quote for the real service (§3.5); the same
# fields time the HTTP API (handshake_delay = the POST's answer latency).
_REALISTIC = {
    "handshake_delay": 0.08,
    "first_audio_delay": 0.15,
    "realtime_factor": 1.0,
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.emulator",
        description="Serve a local emulator of DashScope's CosyVoice WebSocket and HTTP APIs.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="WebSocket port")
    parser.add_argument(
        "--http-port",
        type=int,
        metavar="PORT",
        help="HTTP API port (default: --port + 1, or a free one when --port is 0)",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accepted API key (repeatable; default sk-emulator)",
    )
    parser.add_argument("--handshake-delay", type=float, metavar="S")
    parser.add_argument("--first-audio-delay", type=float, metavar="S")
    parser.add_argument("--realtime-factor", type=float, metavar="F")
    parser.add_argument("--ms-per-char", type=float, metavar="MS")
    parser.add_argument(
        "--region",
        choices=("cn", "intl"),
        help="voice enrollment rules of Beijing (cn, default) or Singapore (intl)",
    )
    parser.add_argument(
        "--voice-deploy-seconds",
        type=float,
        metavar="S",
        help="how long a new or updated custom voice stays DEPLOYING (default 0)",
    )
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="handshake (and HTTP answer) 0.08 s, first audio 0.15 s, "
        "audio paced at real time; for both APIs",
    )
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    """Turn the parsed options into a config; explicit options beat --realistic."""
    config = EmulatorConfig()
    if args.api_keys:
        config.api_keys = set(args.api_keys)
    if args.realistic:
        for name, value in _REALISTIC.items():
            setattr(config, name, value)
    for name in (
        "handshake_delay",
        "first_audio_delay",
        "realtime_factor",
        "ms_per_char",
        "region",
        "voice_deploy_seconds",
    ):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    return config


def http_port(args: argparse.Namespace) -> int:
    """The HTTP port: ``--http-port``, else the WebSocket port + 1 (0 stays 0)."""
    if args.http_port is not None:
        return int(args.http_port)
    return int(args.port) + 1 if args.port else 0


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    emulator = DashScopeEmulator(build_config(args))
    await emulator.start(args.host, args.port, http_port=http_port(args))
    try:
        print(emulator.ws_url, flush=True)
        print(emulator.http_url, flush=True)
        await stop.wait()
    finally:
        await emulator.stop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
