"""``scripts/develop``: a real Home Assistant with this integration, ready to use.

With ``DASHSCOPE_API_KEY`` set, the integration is added against the real service
(``DASHSCOPE_REGION``: cn or intl; ``DASHSCOPE_WORKSPACE``: optional). Without it, the
bundled emulator is started and the integration added against it, so the UI can pick a
voice and play audio with no account. The spare voice (an offline engine) is added too,
as the first voice profile's fallback; ``kill -USR1`` / ``-USR2`` to this process stops
or freezes the emulator to hear it. Stop with Ctrl-C: Home Assistant and the emulator
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
from devtools.hass_socket import HassSocket
from devtools.spare import (
    SPARE_ENTITY,
    SPARE_VOICE,
    add_spare_voice,
    profile_ids,
    set_fallback,
)

USERNAME = "dev"
PASSWORD = "cosyvoice-dev"  # noqa: S105  # a local-only instance on 127.0.0.1
EMULATOR_KEY = "sk-emulator"
# A local media player (it plays nothing aloud; its state shows the URL a speaker
# would fetch), so the README's tts.speak examples run as written.
PLAYER = ROOT / "devtools" / "custom_components" / "local_player"
MEDIA_PLAYERS = "media_player:\n  - platform: local_player\n    name: Living room\n"


class Emulator:
    """The emulator as a child process, and the outages a developer can cause.

    ``kill -USR1`` to develop stops it (connections refused) and starts it again on
    the same ports; ``kill -USR2`` freezes it (``SIGSTOP``: the kernel still accepts
    connections, nothing answers) and thaws it. Each is the way to see a voice
    profile's fallback speak.
    """

    def __init__(self, port: int) -> None:
        """Nothing runs until :meth:`start`."""
        self.port = port
        self.process: asyncio.subprocess.Process | None = None
        self.frozen = False
        self.ws_url = self.http_url = ""

    async def start(self) -> None:
        """Start it; its URLs are read from its first two lines."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "devtools.emulator",
            "--port",
            str(self.port),
            "--api-key",
            EMULATOR_KEY,
            "--realistic",
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        async with asyncio.timeout(30):
            self.ws_url = (await self.process.stdout.readline()).decode().strip()
            self.http_url = (await self.process.stdout.readline()).decode().strip()
        if not self.ws_url.startswith("ws://"):
            raise RuntimeError(
                f"the emulator did not start (is port {self.port} or "
                f"{self.port + 1} in use?)"
            )

    @property
    def running(self) -> bool:
        """Whether the process is there (frozen or not)."""
        return self.process is not None and self.process.returncode is None

    async def stop(self) -> None:
        """Stop it (thawed first, or SIGTERM would wait for SIGCONT)."""
        if self.process is None or self.process.returncode is not None:
            return
        if self.frozen:
            self.process.send_signal(signal.SIGCONT)
            self.frozen = False
        self.process.terminate()
        with contextlib.suppress(ProcessLookupError):
            await self.process.wait()

    async def toggle_down(self) -> None:
        """Stop it if it runs, else start it again."""
        if self.running:
            await self.stop()
            print("Emulator stopped: connections are refused (USR1 starts it again).")
        else:
            await self.start()
            print("Emulator started again.")

    def toggle_frozen(self) -> None:
        """Freeze it (connections accepted, never answered), or thaw it."""
        if self.process is None or not self.running:
            print("The emulator is stopped; USR1 starts it.")
            return
        self.frozen = not self.frozen
        self.process.send_signal(signal.SIGSTOP if self.frozen else signal.SIGCONT)
        print(
            "Emulator frozen: it accepts connections and answers nothing "
            "(USR2 thaws it)."
            if self.frozen
            else "Emulator thawed."
        )


def _flow_steps(emulator: Emulator | None) -> list[dict[str, Any]]:
    """What the config flow's forms are given: the emulator is a custom endpoint."""
    key = os.environ.get("DASHSCOPE_API_KEY", "").strip()
    if key:
        workspace = os.environ.get("DASHSCOPE_WORKSPACE", "").strip()
        region = os.environ.get("DASHSCOPE_REGION", "cn")
        advanced = {"workspace_id": workspace} if workspace else {}
        return [{"api_key": key, "region": region, "advanced": advanced}]
    assert emulator is not None
    return [
        {"api_key": EMULATOR_KEY, "region": "custom", "advanced": {}},
        {"ws_url": emulator.ws_url, "http_url": emulator.http_url},
    ]


async def run(config_dir: Path, port: int, emulator_port: int) -> int:
    """Start everything, set it up once, then wait for Ctrl-C."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    emulator = None
    if not os.environ.get("DASHSCOPE_API_KEY"):
        emulator = Emulator(emulator_port)
        await emulator.start()
        print(f"DashScope emulator: {emulator.ws_url} and {emulator.http_url}")
    write_config(
        config_dir,
        port,
        extra_yaml=MEDIA_PLAYERS,
        custom_components=[PLAYER, SPARE_VOICE],
    )
    print(
        f"Starting Home Assistant in {config_dir} (log: {config_dir}/home-assistant.log)"
    )
    hass = await Hass.start(config_dir, port)
    try:
        async with aiohttp.ClientSession() as session:
            api = HassApi(session, hass.url)
            if not await _set_up(api, emulator):
                return 1
        _greet(hass.url, config_dir, emulator)
        if emulator is not None:
            _control(loop, emulator, config_dir)
        return await _wait(hass, stop)
    finally:
        await hass.stop()
        if emulator is not None:
            await emulator.stop()
        print("Stopped.")


async def _set_up(api: HassApi, emulator: Emulator | None) -> bool:
    """Onboard, add CosyVoice once, and the spare voice as its first profile's fallback.

    The fallback is set when the spare voice is first added, so a developer who
    takes it away later keeps it that way.
    """
    if await api.onboard("Developer", USERNAME, PASSWORD):
        print("Created the owner account.")
    await api.wait_running()
    if not (entries := await api.entries("cosyvoice")):
        steps = _flow_steps(emulator)
        result = await api.add_entry("cosyvoice", *steps)
        if result.get("type") != "create_entry":
            print(f"Adding CosyVoice failed: {result.get('errors')}")
            return False
        print(f"Added CosyVoice: {result['title']}")
        entries = await api.entries("cosyvoice")
    if await add_spare_voice(api):
        entry_id = entries[0]["entry_id"]
        async with HassSocket(api.session, api.url, api.access_token) as socket:
            title, subentry_id = next(
                iter((await profile_ids(socket, entry_id)).items())
            )
        await set_fallback(api, entry_id, subentry_id)
        print(f"Added the spare voice ({SPARE_ENTITY}) as the fallback of {title}.")
    return True


def _greet(url: str, config_dir: Path, emulator: Emulator | None) -> None:
    print(
        f"\nHome Assistant is running at {url}\n"
        f"  log in as {USERNAME!r} with password {PASSWORD!r}\n"
        "  try it: Media → Text-to-speech, Settings → Voice assistants, or\n"
        "  tts.speak to the local player media_player.living_room in\n"
        "  Developer tools → Actions"
    )
    if emulator is not None:
        pid = config_dir / "develop.pid"
        print(
            "  an outage, to hear the fallback (the spare voice) speak:\n"
            f"    kill -USR1 $(cat {pid})   stops the emulator; again starts it\n"
            f"    kill -USR2 $(cat {pid})   freezes it (no answer); again thaws it\n"
            "  the emulator's log (the devtools.emulator lines here) shows each text\n"
            "  exactly as it reaches the service: `task … text '…'`"
        )
    print("Press Ctrl-C to stop.")


def _control(
    loop: asyncio.AbstractEventLoop, emulator: Emulator, config_dir: Path
) -> None:
    """Signals that cause an outage, and the file that says whom to send them to."""
    toggles: set[asyncio.Task[None]] = set()

    def toggle_down() -> None:
        task = loop.create_task(emulator.toggle_down())
        toggles.add(task)
        task.add_done_callback(toggles.discard)

    loop.add_signal_handler(signal.SIGUSR1, toggle_down)
    loop.add_signal_handler(signal.SIGUSR2, emulator.toggle_frozen)
    (config_dir / "develop.pid").write_text(f"{os.getpid()}\n", encoding="utf-8")


async def _wait(hass: Hass, stop: asyncio.Event) -> int:
    """Until Ctrl-C (0) or Home Assistant ends by itself (1)."""
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
