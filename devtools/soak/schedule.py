"""The faults and the home's own changes, at set points of the run.

Times are fractions of the run, so a short run goes through the whole list too; the
outages (60 s, and 30 s down and 30 s unanswered, for the fallback), the revoked key
(40 s) and the idle gaps (70 s, more than the service's 60 s idle close) keep their
real lengths.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from devtools.emulator import Fault
from devtools.emulator.config import RATE_QUOTA_CODE, RATE_QUOTA_MESSAGE

from .home import KEY, Home

_LOGGER = logging.getLogger(__name__)

OUTAGE = 60.0
SPELL = 30.0
"""The fallback's outages: the service down, then accepting and never answering."""
KEY_REVOKED = 40.0
IDLE_GAP = 70.0
BURST = 8
INTERNAL_ERROR = "An internal error has occured, please try again later."

type Step = tuple[float, str, Callable[[], Awaitable[None]]]
"""When (a fraction of the run), what (for the timeline), and the doing of it."""


@dataclass
class Event:
    """Something that happened to the home, and when (seconds into the run)."""

    at: float
    what: str


@dataclass
class Schedule:
    """Runs the steps at their times; calls pause while :attr:`open` is clear."""

    home: Home
    started: float
    burst: Callable[[], Awaitable[object]]
    """Makes :data:`BURST` calls at once."""
    open: asyncio.Event = field(default_factory=asyncio.Event)
    """Set while calls may be made (cleared in idle gaps)."""
    events: list[Event] = field(default_factory=list)
    bounds: list[tuple[float, int]] = field(default_factory=list)
    """When the account's connection bound changed, and to what."""
    spells: list[tuple[str, float, float]] = field(default_factory=list)
    """Each step that lasted a second or more (a spell): what, and its start and end
    in seconds into the run."""

    def __post_init__(self) -> None:
        """The bound at the start: the account's options as set up."""
        self.bounds.append((0.0, sum(self.home.account.values())))

    def note(self, what: str) -> None:
        """Keep ``what`` in the timeline."""
        at = time.monotonic() - self.started
        self.events.append(Event(round(at, 1), what))
        _LOGGER.info("%6.1f s  %s", at, what)

    def bound(self) -> int:
        """Sockets the account may hold now: pool size plus kept ready.

        For 15 s after a change the larger of old and new: the old pool closes while
        the new one opens.
        """
        now = time.monotonic() - self.started
        recent = [bound for at, bound in self.bounds if now - at < 15.0]
        settled = [bound for at, bound in self.bounds if now - at >= 15.0][-1:]
        return max(recent + settled)

    def steps(self) -> list[Step]:
        """What happens, at which fraction of the run."""
        if not self.home.emulator:
            return []
        drops = "sockets dropped: 3 before and 3 after the first audio"
        idle = f"idle gap of {IDLE_GAP:g} s"
        burst = f"burst of {BURST} at once"
        failed = (
            "task-failed: throttled ×3, internal error ×2 before and ×2 after audio"
        )
        revoked = f"key revoked (open sockets dropped) for {KEY_REVOKED:g} s, then restored and re-entered"
        stalled = "stalled first audio: 20 s (over the 15 s silence limit) for 30 s"
        malformed = "malformed frames: 2 before and 2 after the first audio"
        random_faults = "random faults: 10 % of handshakes and tasks for 90 s"
        down = f"down: the service stopped for {SPELL:g} s"
        unanswered = (
            f"unanswered: connections accepted, nothing answered for {SPELL:g} s"
        )
        return [
            (0.04, "handshakes refused: 429 ×2, 503 ×2, 500", self._handshakes),
            (0.09, drops, self._drops),
            (0.14, "options: 4 connections, 2 kept ready", lambda: self._options(4, 2)),
            (0.19, failed, self._task_failed),
            (0.24, "slow first audio: 4 s for 40 s", lambda: self._slow(4.0, 40.0)),
            (0.29, idle, self._idle),
            (0.37, malformed, self._malformed),
            (0.40, f"outage: the service stopped for {OUTAGE:g} s", self._outage),
            (0.47, down, lambda: self._down(SPELL)),
            (0.51, burst, self._burst),
            (0.54, revoked, self._revoke),
            (0.61, "entry reloaded", lambda: self.home.api.reload(self.home.entry_id)),
            (0.65, stalled, lambda: self._slow(20.0, 30.0)),
            (0.69, unanswered, lambda: self._unanswered(SPELL)),
            (0.73, idle, self._idle),
            (0.80, random_faults, self._random),
            (0.88, "options: 8 connections, 1 kept ready", lambda: self._options(8, 1)),
            (0.92, burst, self._burst),
            (0.95, drops, self._drops),
        ]

    async def run(self, duration: float) -> None:
        """Start each step at its time; wait for all of them."""
        self.open.set()
        running: list[asyncio.Task[None]] = []
        for fraction, what, step in self.steps():
            delay = self.started + fraction * duration - time.monotonic()
            await asyncio.sleep(max(0.0, delay))
            self.note(what)
            running.append(asyncio.create_task(self._logged(what, step)))
        await asyncio.gather(*running)

    async def _logged(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        began = time.monotonic() - self.started
        try:
            await step()
        except Exception as err:  # noqa: BLE001 - one step failing must not end the run
            self.note(f"step failed: {what}: {type(err).__name__}: {err}")
        ended = time.monotonic() - self.started
        if ended - began >= 1.0:
            self.spells.append((what, round(began, 1), round(ended, 1)))

    # --- the steps ------------------------------------------------------------

    async def _handshakes(self) -> None:
        for status in (429, 429, 503, 503, 500):
            self.home.emulator.add_fault(Fault.handshake(status))

    async def _drops(self) -> None:
        self.home.emulator.add_fault(Fault.drop(after_audio=False), times=3)
        self.home.emulator.add_fault(Fault.drop(after_audio=True), times=3)

    async def _task_failed(self) -> None:
        emulator = self.home.emulator
        emulator.add_fault(Fault.task_failed(RATE_QUOTA_CODE, RATE_QUOTA_MESSAGE), 3)
        emulator.add_fault(Fault.task_failed("InternalError", INTERNAL_ERROR), 2)
        emulator.add_fault(
            Fault.task_failed("InternalError", INTERNAL_ERROR, after_audio=True), 2
        )

    async def _malformed(self) -> None:
        self.home.emulator.add_fault(Fault.malformed(after_audio=False), times=2)
        self.home.emulator.add_fault(Fault.malformed(after_audio=True), times=2)

    async def _slow(self, delay: float, seconds: float) -> None:
        config = self.home.emulator.config
        before, config.first_audio_delay = config.first_audio_delay, delay
        await asyncio.sleep(seconds)
        config.first_audio_delay = before
        self.note("first audio back to normal")

    async def _random(self) -> None:
        config = self.home.emulator.config
        config.random_seed, config.random_fault_rate = 17, 0.1
        await asyncio.sleep(90.0)
        config.random_fault_rate = 0.0
        self.note("random faults over")

    async def _idle(self) -> None:
        self.open.clear()
        await asyncio.sleep(IDLE_GAP)
        self.open.set()
        self.note("idle gap over")

    async def _outage(self) -> None:
        await self._down(OUTAGE)

    async def _down(self, seconds: float) -> None:
        await self.home.emulator.stop()
        await asyncio.sleep(seconds)
        await self.home.restart_emulator()
        self.note("service back")

    async def _unanswered(self, seconds: float) -> None:
        self.home.emulator.config.unresponsive = True
        await asyncio.sleep(seconds)
        self.home.emulator.config.unresponsive = False
        self.note("service answers again")

    async def _burst(self) -> None:
        await self.burst()

    async def _revoke(self) -> None:
        keys = self.home.emulator.config.api_keys
        keys.discard(KEY)
        # The key is checked at the handshake: revoked, it ends the sockets it opened.
        self.home.emulator.drop_connections()
        await asyncio.sleep(KEY_REVOKED)
        keys.add(KEY)
        self.note("key valid again")
        # What a user does when Home Assistant asks: enter the key again.
        for flow in await self.home.socket.command("config_entries/flow/progress"):
            if (
                flow.get("handler") == "cosyvoice"
                and flow.get("context", {}).get("source") == "reauth"
            ):
                result = await self.home.api.continue_flow(
                    flow["flow_id"], {"api_key": KEY}
                )
                self.note(
                    f"reauthentication: {result.get('reason', result.get('type'))}"
                )

    async def _options(self, pool_size: int, keep_ready: int) -> None:
        self.bounds.append((time.monotonic() - self.started, pool_size + keep_ready))
        self.home.account.update(pool_size=pool_size, keep_ready=keep_ready)
        await self.home.api.set_options(
            self.home.entry_id, {"pool_size": pool_size, "keep_ready": keep_ready}
        )
