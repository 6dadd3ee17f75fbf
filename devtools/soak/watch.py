"""What is watched while the home runs: memory, sockets, and Home Assistant's log.

Memory and sockets are read from ``/proc`` of the ``hass`` process (Linux only): its
resident set, and its TCP sockets connected to the emulator's WebSocket port.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_LISTEN = "0A"
_TIME_WAIT = "06"


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def open_sockets(pid: int, port: int) -> int:
    """TCP sockets of process ``pid`` connected to ``port`` on this host."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = str(fd.readlink())
        except FileNotFoundError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if (
                remote_port == port
                and fields[3] not in (_LISTEN, _TIME_WAIT)
                and int(fields[9]) in inodes
            ):
                count += 1
    return count


@dataclass
class Sample:
    """One look at the ``hass`` process."""

    at: float
    """Seconds since the calls started."""
    rss_mb: float
    sockets: int
    bound: int
    """Connections the account may hold then: pool size plus kept ready."""
    calls: int
    """Calls made by then."""
    tts_audio_mb: float | None = None
    """Audio Home Assistant's TTS manager held then (every 20th sample)."""
    our_objects: int | None = None
    """Live objects of CosyVoice's classes then (every 20th sample)."""
    allocated_blocks: int | None = None
    """The interpreter's allocated memory blocks then (every 20th sample)."""


class Watcher:
    """Samples memory every few seconds and sockets every half second."""

    def __init__(
        self,
        pid: int,
        port: Callable[[], int],
        bound: Callable[[], int],
        calls: Callable[[], int],
        memory: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        """Watch process ``pid``; the callables give the live port, bound and count.

        ``memory`` asks Home Assistant what it holds (``soak_probe.memory``).
        """
        self._memory = memory
        self._pid = pid
        self._port = port
        self._bound = bound
        self._calls = calls
        self.started = time.monotonic()
        self.samples: list[Sample] = []

    def sample(self) -> Sample:
        """Look once, and keep it."""
        sample = Sample(
            at=time.monotonic() - self.started,
            rss_mb=rss_mb(self._pid),
            sockets=open_sockets(self._pid, self._port()),
            bound=self._bound(),
            calls=self._calls(),
        )
        self.samples.append(sample)
        return sample

    async def sample_memory(self) -> Sample:
        """Look once, asking Home Assistant what audio it holds too."""
        held = await self._memory()
        sample = self.sample()
        sample.tts_audio_mb = held["audio_bytes"] / 2**20
        sample.our_objects = held["our_objects"]
        sample.allocated_blocks = held["allocated_blocks"]
        return sample

    async def run(self, interval: float = 0.5, memory_every: int = 20) -> None:
        """Sample until cancelled; memory with Home Assistant's audio now and then."""
        for count in itertools.count():
            if count % memory_every == 0:
                await self.sample_memory()
            else:
                self.sample()
            await asyncio.sleep(interval)


_LINE = re.compile(
    # From 2026.x the time carries its UTC offset ("…:16.787+00:00").
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)(?:[+-]\d\d:\d\d)? "
    r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"\(([^)]*)\) \[([^\]]+)\] (.*)$"
)


@dataclass
class LogLine:
    """One record of ``home-assistant.log`` (its traceback lines included)."""

    when: float
    """Seconds since the epoch, local time as Home Assistant wrote it."""
    level: str
    logger: str
    message: str


def read_log(path: Path) -> list[LogLine]:
    """Every record of a Home Assistant log file."""
    lines: list[LogLine] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if match := _LINE.match(raw):
            stamp, level, _thread, logger, message = match.groups()
            when = time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S"))
            when += float("0" + stamp[19:])
            lines.append(LogLine(when, level, logger, message))
        elif lines:
            lines[-1].message += "\n" + raw
    return lines
