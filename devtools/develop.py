"""``scripts/develop``: a real Home Assistant with this integration, ready to use.

With ``DASHSCOPE_API_KEY`` set, the integration is added against the real service
(``DASHSCOPE_REGION``: cn or intl; ``DASHSCOPE_WORKSPACE``: optional). Without it, the
bundled emulator is started and the integration added against it, so the UI can pick a
voice and play audio with no account. Stop with Ctrl-C: Home Assistant and the emulator
both stop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from devtools.hass_runner import ROOT, Hass, HassApi, write_config

USERNAME = "dev"
PASSWORD = "cosyvoice-dev"  # noqa: S105  # a local-only instance on 127.0.0.1
EMULATOR_KEY = "sk-emulator"
# A local media player (it plays nothing aloud; its state shows the URL a speaker
# would fetch), so the README's tts.speak examples run as written.
PLAYER = ROOT / "devtools" / "custom_components" / "local_player"
MEDIA_PLAYERS = "media_player:\n  - platform: local_player\n    name: Living room\n"


async def _start_emulator(port: int) -> tuple[asyncio.subprocess.Process, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devtools.emulator",
        "--port",
        str(port),
        "--api-key",
        EMULATOR_KEY,
        "--realistic",
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    async with asyncio.timeout(30):
        ws_url = (await process.stdout.readline()).decode().strip()
        http_url = (await process.stdout.readline()).decode().strip()
    if not ws_url.startswith("ws://"):
        raise RuntimeError(
            f"the emulator did not start (is port {port} or {port + 1} in use?)"
        )
    return process, ws_url, http_url


def _flow_steps(ws_url: str | None, http_url: str | None) -> list[dict[str, Any]]:
    """What the config flow's forms are given: the emulator is a custom endpoint."""
    key = os.environ.get("DASHSCOPE_API_KEY", "").strip()
    if key:
        workspace = os.environ.get("DASHSCOPE_WORKSPACE", "").strip()
        region = os.environ.get("DASHSCOPE_REGION", "cn")
        advanced = {"workspace_id": workspace} if workspace else {}
        return [{"api_key": key, "region": region, "advanced": advanced}]
    assert ws_url is not None
    assert http_url is not None
    return [
        {"api_key": EMULATOR_KEY, "region": "custom", "advanced": {}},
        {"ws_url": ws_url, "http_url": http_url},
    ]


async def run(config_dir: Path, port: int, emulator_port: int) -> int:
    """Start everything, set it up once, then wait for Ctrl-C."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    emulator = None
    ws_url = http_url = None
    if not os.environ.get("DASHSCOPE_API_KEY"):
        emulator, ws_url, http_url = await _start_emulator(emulator_port)
        print(f"DashScope emulator: {ws_url} and {http_url}")
    write_config(config_dir, port, extra_yaml=MEDIA_PLAYERS, custom_components=[PLAYER])
    print(
        f"Starting Home Assistant in {config_dir} (log: {config_dir}/home-assistant.log)"
    )
    hass = await Hass.start(config_dir, port)
    try:
        async with aiohttp.ClientSession() as session:
            api = HassApi(session, hass.url)
            if await api.onboard("Developer", USERNAME, PASSWORD):
                print("Created the owner account.")
            await api.wait_running()
            if not await api.entries("cosyvoice"):
                steps = _flow_steps(ws_url, http_url)
                result = await api.add_entry("cosyvoice", *steps)
                if result.get("type") != "create_entry":
                    print(f"Adding CosyVoice failed: {result.get('errors')}")
                    return 1
                print(f"Added CosyVoice: {result['title']}")
        print(
            f"\nHome Assistant is running at {hass.url}\n"
            f"  log in as {USERNAME!r} with password {PASSWORD!r}\n"
            "  try it: Media → Text-to-speech, Settings → Voice assistants, or\n"
            "  tts.speak to the local player media_player.living_room in\n"
            "  Developer tools → Actions\n"
            "Press Ctrl-C to stop."
        )
        waiter = asyncio.create_task(hass.process.wait())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if waiter.done():
            print(f"Home Assistant exited ({hass.process.returncode}).")
            return 1
        waiter.cancel()
        print("\nStopping…")
        return 0
    finally:
        await hass.stop()
        if emulator is not None and emulator.returncode is None:
            emulator.terminate()
            with contextlib.suppress(ProcessLookupError):
                await emulator.wait()
        print("Stopped.")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m devtools.develop [--port P] [--config DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--emulator-port", type=int, default=8765)
    parser.add_argument("--config", type=Path, default=ROOT / ".homeassistant")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.config.resolve(), args.port, args.emulator_port))


if __name__ == "__main__":
    sys.exit(main())
