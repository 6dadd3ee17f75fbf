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

from devtools import develop_home
from devtools.develop_assist import AGENT, PIPELINE, add_streamed_answers
from devtools.hass_release import NO_NEWEST, newest_hass_python, release_version
from devtools.hass_runner import ROOT, Hass, HassApi, write_config
from devtools.hass_socket import HassSocket
from devtools.spare import SPARE_VOICE, add_spare_voice, profile_ids, set_fallback

USERNAME = "dev"
PASSWORD = "cosyvoice-dev"  # noqa: S105  # a local-only instance on 127.0.0.1
EMULATOR_KEY = "sk-emulator"
# Local media players (they fetch the audio as a speaker does but play nothing aloud;
# their state shows the URL and the fetch), so the README's tts.speak examples run
# as written and a message that fails shows where a real speaker's would.
PLAYER = ROOT / "devtools" / "custom_components" / "local_player"


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
    return develop_home.flow_steps(EMULATOR_KEY, emulator.ws_url, emulator.http_url)


async def run(
    config_dir: Path, port: int, emulator_port: int, python: str | None = None
) -> int:
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
    print(
        f"Starting Home Assistant in {config_dir} (log: {config_dir}/home-assistant.log)"
    )
    hass = await Hass.start(config_dir, port, python=python)
    try:
        async with aiohttp.ClientSession() as session:
            api = HassApi(session, hass.url)
            if not await _set_up(api, emulator):
                return 1
            print(f"Home Assistant {await api.version()} is up.")
        _greet(hass.url, config_dir, emulator)
        if emulator is not None:
            _control(loop, emulator, config_dir)
        return await _wait(hass, stop)
    finally:
        await hass.stop()
        if emulator is not None:
            await emulator.stop()
        print("Stopped.")


def write_home(config_dir: Path, port: int) -> None:
    """The configuration, the editors' files and the recording the examples use."""
    write_config(
        config_dir,
        port,
        extra_yaml=develop_home.HOME_YAML + develop_home.EDITOR_YAML,
        custom_components=[PLAYER, SPARE_VOICE, AGENT],
    )
    for name, empty in (("automations.yaml", "[]\n"), ("scripts.yaml", "{}\n")):
        if not (config_dir / name).exists():
            (config_dir / name).write_text(empty, encoding="utf-8")
    if not (sample := config_dir / "media" / develop_home.VOICE_SAMPLE).exists():
        sample.write_bytes(develop_home.voice_sample())


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
    async with HassSocket(api.session, api.url, api.access_token) as socket:
        if await add_spare_voice(api):
            entry_id = entries[0]["entry_id"]
            title, subentry_id = next(
                iter((await profile_ids(socket, entry_id)).items())
            )
            await set_fallback(api, entry_id, subentry_id, develop_home.FALLBACK)
            print(
                f"Added the spare voice ({develop_home.FALLBACK}) as the fallback of {title}."
            )
        if emulator is not None:
            await _readme_entity_ids(socket, emulator.ws_url)
        if await add_streamed_answers(api, socket):
            print(
                f"Added the Assist pipeline {PIPELINE!r} (a slow agent, in Markdown)."
            )
    return True


async def _readme_entity_ids(socket: HassSocket, ws_url: str) -> None:
    """Give the emulator account's entities the ids the README names (a Beijing one's).

    Done at every start, so the entities of a profile added since get them too.
    """
    renamed = []
    for entity in await socket.command("config/entity_registry/list"):
        if entity["platform"] != "cosyvoice":
            continue
        if new := develop_home.readme_entity_id(entity["entity_id"], ws_url):
            await socket.command(
                "config/entity_registry/update",
                entity_id=entity["entity_id"],
                new_entity_id=new,
            )
            renamed.append(new)
    if renamed:
        print(
            f"Gave {len(renamed)} entities the ids a Beijing account's have, as the "
            f"README names them: {', '.join(sorted(renamed)[-1:])}, …"
        )


def _greet(url: str, config_dir: Path, emulator: Emulator | None) -> None:
    print(
        f"\nHome Assistant is running at {url}\n"
        f"  log in as {USERNAME!r} with password {PASSWORD!r}\n"
        "  try it: Media → Text-to-speech, Settings → Voice assistants, or the\n"
        "  README's examples in Developer tools → Actions: its home has the speakers\n"
        "  media_player.living_room and media_player.kitchen_speaker (local players:\n"
        "  they fetch the audio; their attributes show the URL and what came), a front door\n"
        "  (binary_sensor.front_door; input_boolean.front_door_open opens it) and\n"
        f"  {develop_home.VOICE_SAMPLE} in Media → Local media\n"
        f"  an assistant's streamed answer, in Markdown (the Assist pipeline {PIPELINE!r}),\n"
        "  asked as a voice satellite asks:\n"
        f"    .venv/bin/python -m devtools.develop_assist --url {url}"
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
    """Command line: ``python -m devtools.develop [--ha newest] [--port P] …``."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].replace("``", ""),
        epilog="Log in as dev / cosyvoice-dev. Without DASHSCOPE_API_KEY the bundled "
        "emulator stands in for DashScope.",
    )
    parser.add_argument(
        "--ha",
        choices=("minimum", "newest"),
        default="minimum",
        help="which Home Assistant: minimum (the default) is 2025.4.4, from .venv; "
        f"newest is the newest release, {release_version()}, from .venv-hass-release "
        "(Python 3.14: scripts/setup builds it where it finds one)",
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's (default: 8123)"
    )
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=8765,
        help="the emulator's WebSocket port; its HTTP API takes the next one "
        "(default: 8765)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="the configuration folder (default: .homeassistant, or "
        ".homeassistant-newest with --ha newest: a newer release migrates what it "
        "stores, and an older one cannot read it back)",
    )
    args = parser.parse_args(argv)
    python = None
    if args.ha == "newest" and (python := newest_hass_python()) is None:
        print(NO_NEWEST.format(version=release_version()), file=sys.stderr)
        return 2
    default = ".homeassistant-newest" if args.ha == "newest" else ".homeassistant"
    config_dir = (args.config or ROOT / default).resolve()
    write_home(config_dir, args.port)
    try:
        return asyncio.run(run(config_dir, args.port, args.emulator_port, python))
    except RuntimeError as err:  # a port in use, hass that would not start: said
        print(f"scripts/develop: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
