"""``scripts/soak [--minutes N] [--out FILE] [--seed N] [--keep]``: the soak and fault test.

Runs a real ``hass`` (``COSYVOICE_HASS_PYTHON`` picks another release's environment,
see :mod:`devtools.hass_runner`) against the emulator for ``--minutes`` (default 20)
while the faults of :mod:`.schedule` come and go, then unloads the entry, stops
everything, reads the log and writes the figures (``bench/soak.json`` by default).
Exits 1 when the run misses what we own (``judged``): every call accounted for, no
hang, bad input refused, no call to the profile with a fallback left silent, our
objects released once Home Assistant lets go of its results, nothing left after
unload, no key in the log. Home Assistant's share (calls it answered itself while the
entry reloaded, the memory it keeps of its results) is reported apart and fails
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from devtools.bench_output import emit
from devtools.hass_runner import hass_python
from devtools.spare import spoken_by_spare

from .calls import Call, Caller
from .fallback import (
    counters,
    fallback_figures,
    home_assistants_share,
    judged,
    mark_fallbacks,
)
from .home import FALLBACK_AFTER, KEY, Home, running_home
from .report import explain_failures, figures
from .schedule import BURST, Schedule
from .watch import Watcher, open_sockets, read_log

_LOGGER = logging.getLogger("soak")
THINK = (0.2, 2.0)
"""Seconds a speaker's owner waits between calls."""
_MARKER = "soak clock marker"


async def soak(
    minutes: float, seed: int, config_dir: Path, settle: float = 0.0
) -> dict[str, Any]:
    """Run the home for ``minutes``; the figures.

    ``settle``: seconds to wait after the unload before the last count of our objects,
    so Home Assistant's own caches (5 minutes) let go of what they hold.
    """
    async with running_home(config_dir) as home:
        version = await home.api.version()
        _LOGGER.info("Home Assistant %s is up; driving for %g min", version, minutes)
        marker = await _clock_marker(home)
        caller, schedule, watcher = await _drive(home, seed, minutes * 60)
        mark_fallbacks(caller.calls, (await spoken_by_spare(home.api))["spoken"])
        seen = counters(await home.api.states(), caller.calls)
        unload, diagnostics = await _unload_and_count(home, schedule, settle)
    log = read_log(config_dir / "home-assistant.log")
    offset = next((line.when - marker for line in log if _MARKER in line.message), 0.0)
    explain_failures(caller.calls, log, offset, caller.messages)
    with (config_dir / "calls.jsonl").open("w", encoding="utf-8") as out:
        for call in caller.calls:
            line = dataclasses.asdict(call) | {"took": call.took, "ttfb": call.ttfb}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    result = {
        "home_assistant": version,
        "python": hass_python(),
        "minutes": minutes,
        "seed": seed,
        **figures(caller.calls, watcher.samples, log, KEY),
        **unload,
        # Read once hass has stopped: its log is complete then.
        "key_appearances": _key_appearances(config_dir, diagnostics),
        "hass_exit_code": home.hass_exit_code,
        **_afterwards(home, caller, schedule, watcher),
        "counters": seen,
    }
    result["judged"] = judged(result, caller.calls)
    result["home_assistants_share"] = home_assistants_share(result, caller.calls)
    result["passed"] = all(result["judged"].values())
    return result


def _afterwards(
    home: Home, caller: Caller, schedule: Schedule, watcher: Watcher
) -> dict[str, Any]:
    """The fallback's figures, the emulator's counts and the run's timelines."""
    profile = next(p for p in home.profiles if p.fallback)
    return {
        "fallback": fallback_figures(
            caller.calls,
            profile.name,
            FALLBACK_AFTER,
            schedule.spells,
            schedule.started,
        ),
        "emulator": {
            "tasks": len(home.emulator.tasks),
            "connections_opened": home.emulator.connections_opened,
            "handshakes_rejected": home.emulator.handshakes_rejected,
        },
        "timeline": [{"at_s": e.at, "what": e.what} for e in schedule.events],
        "sockets_over_time": [
            [round(s.at), s.sockets, s.bound] for s in watcher.samples[::20]
        ],
        "rss_over_time": [
            [round(s.at), s.calls, round(s.rss_mb, 1)] for s in watcher.samples[::60]
        ],
    }


async def _drive(
    home: Home, seed: int, duration: float
) -> tuple[Caller, Schedule, Watcher]:
    """Every speaker's owner calls for ``duration`` while the faults come and go."""
    caller = Caller(home, seed)
    schedule = Schedule(
        home,
        started=time.monotonic(),
        burst=lambda: asyncio.gather(*(caller.ui(kind="burst") for _ in range(BURST))),
    )
    watcher = Watcher(
        home.hass.process.pid,
        port=lambda: home.ws_port,
        bound=schedule.bound,
        calls=lambda: len(caller.calls),
        memory=lambda: _memory(home),
    )
    await watcher.sample_memory()
    stop = asyncio.Event()
    workers = [
        asyncio.create_task(_speaker(caller, schedule, stop, index, seed))
        for index in range(len(home.players))
    ]
    watching = asyncio.create_task(watcher.run())
    await schedule.run(duration)
    await asyncio.sleep(max(0.0, schedule.started + duration - time.monotonic()))
    stop.set()
    await asyncio.gather(*workers)
    schedule.note(f"calls stopped after {len(caller.calls)}")
    await asyncio.sleep(5.0)
    watching.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watching
    await watcher.sample_memory()
    return caller, schedule, watcher


async def _unload_and_count(
    home: Home, schedule: Schedule, settle: float
) -> tuple[dict[str, Any], str]:
    """Our objects before and after the unload, what it left; and the diagnostics."""
    before_unload = await _memory(home, collect=True)
    diagnostics = await home.api.diagnostics(home.entry_id)
    after_unload = await _unload(home)
    if settle:
        schedule.note(f"unloaded; waiting {settle:g} s for Home Assistant's caches")
        await asyncio.sleep(settle)
    left = await _memory(home, collect=True, drop_tts_results=True)
    return {
        **after_unload,
        "our_objects_before_unload": before_unload["our_objects"],
        "our_objects_by_type_before_unload": before_unload["our_objects_by_type"],
        "our_objects_after_unload": left["our_objects"],
        "our_objects_by_type_after_unload": left["our_objects_by_type"],
        "settle_s": settle,
    }, diagnostics


async def _speaker(
    caller: Caller, schedule: Schedule, stop: asyncio.Event, index: int, seed: int
) -> None:
    """One speaker's owner: calls, thinks, calls again; quiet in idle gaps."""
    rng = random.Random(seed * 100 + index)
    player = caller.home.players[index]
    kinds = ("announce", "ui", "assist", "bad")
    weights = (45, 35, 15 if index == 0 else 0, 5)
    was_idle = False
    while not stop.is_set():
        if not schedule.open.is_set():
            was_idle = True
            await _first(schedule.open.wait(), stop.wait())
            continue
        kind = rng.choices(kinds, weights)[0]
        call: Call
        if kind == "announce":
            call = await caller.announce(player)
        elif kind == "ui":
            call = await caller.ui()
        elif kind == "assist":
            call = await caller.assist()
        else:
            call = await caller.bad()
        if was_idle:
            call.after_idle = True
        was_idle = False
        await _first(asyncio.sleep(rng.uniform(*THINK)), stop.wait())


async def _first(*waits: Any) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()


async def _clock_marker(home: Home) -> float:
    """Write a line to Home Assistant's log; our clock when it was written."""
    before = time.time()
    await home.socket.call(
        "system_log",
        "write",
        {"message": _MARKER, "level": "warning", "logger": "soak.marker"},
    )
    return (before + time.time()) / 2


async def _memory(
    home: Home, *, collect: bool = False, drop_tts_results: bool = False
) -> dict[str, Any]:
    answer: dict[str, Any] = await home.socket.call(
        "soak_probe",
        "memory",
        {"collect": collect, "drop_tts_results": drop_tts_results},
        return_response=True,
    )
    return answer


async def _unload(home: Home) -> dict[str, Any]:
    """Unload the entry as disabling it does; what it left behind."""
    await home.socket.command(
        "config_entries/disable", entry_id=home.entry_id, disabled_by="user"
    )
    sockets = open_sockets(home.hass.process.pid, home.ws_port)
    for _ in range(20):
        if sockets == 0:
            break
        await asyncio.sleep(0.5)
        sockets = open_sockets(home.hass.process.pid, home.ws_port)
    probe = await home.socket.call("soak_probe", "tasks", {}, return_response=True)
    return {
        "tasks_left_after_unload": len(probe["tasks"]),
        "tasks_left": probe["tasks"],
        "sockets_left_after_unload": sockets,
    }


def _key_appearances(config_dir: Path, diagnostics: str) -> int:
    """The key in any log file or the diagnostics."""
    logs = [*config_dir.glob("*.log"), *config_dir.glob("*.log.*")]
    return diagnostics.count(KEY) + sum(
        path.read_text(encoding="utf-8", errors="replace").count(KEY) for path in logs
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run, write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench/soak.json"))
    parser.add_argument(
        "--keep", action="store_true", help="keep the configuration folder and its log"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds to wait after the unload before counting our objects left",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("devtools.emulator", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config_dir = Path(tempfile.mkdtemp(prefix="cosyvoice-soak-"))
    try:
        result = asyncio.run(soak(args.minutes, args.seed, config_dir, args.settle))
    finally:
        if args.keep:
            print(f"configuration and log kept in {config_dir}", file=sys.stderr)
        else:
            shutil.rmtree(config_dir, ignore_errors=True)
    emit(result, args.out)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
