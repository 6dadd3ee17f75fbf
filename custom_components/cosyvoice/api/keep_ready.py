"""Connections kept ready through silence: renewed before the service closes them.

DashScope closes a WebSocket left idle (:data:`.connection.SERVICE_IDLE_CLOSE`), and a
home speaks rarely, so without this nearly every announcement pays the TCP, TLS and
WebSocket handshakes.
One background task keeps :attr:`KeepReadySettings.connections` idle connections
younger than :attr:`~KeepReadySettings.renew_after`, replacing each before it ages
out (a fresh one first, then the old one closed: one is always ready). The official
SDK renews its idle sockets after 30 ± 5 s for the same reason.

While the service is unreachable it backs off (no reconnect storm); a rejected key
stops it and says so once, through ``on_outcome``; :meth:`KeepReady.stop` (called by
the client's ``close``) leaves no task behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from .connection import SERVICE_IDLE_CLOSE
from .errors import AuthenticationError, CosyVoiceError, PoolClosedError
from .pool import ConnectionPool
from .stats import ClientStats

_LOGGER = logging.getLogger(__name__)

_JITTER: Final = 0.2
_MIN_WAIT = 0.05
"""Of ``renew_after``: never look again sooner, so renewal is no busy loop."""


@dataclass(frozen=True, slots=True)
class KeepReadySettings:
    """How many connections to keep ready, and how often to renew them."""

    connections: int = 1
    """Idle connections kept open at all times; 0 turns keeping ready off."""
    jitter: float = _JITTER
    """Each wait is drawn within ± this fraction, so homes do not renew in step."""
    renew_after: float = SERVICE_IDLE_CLOSE / 2 / (1 + _JITTER)
    """Replace an idle connection once it has waited this long (25 s): with the
    jitter, by half the service's idle close at the latest, well before the pool
    drops it."""
    retry_after: float = 5.0
    """First wait after a failed renewal; it doubles with each failure."""
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        """Refuse settings that would renew in a busy loop."""
        if self.connections < 0:
            raise ValueError("connections must not be negative")
        if self.renew_after <= 0 or not 0 <= self.jitter < 1:
            raise ValueError("renew_after must be positive and jitter below 1")


type Outcome = Callable[[CosyVoiceError | None], None]
"""Told every renewal's outcome: None when it worked, else its error."""


class KeepReady:
    """The background task that keeps a pool's connections ready."""

    def __init__(
        self, pool: ConnectionPool, settings: KeepReadySettings, stats: ClientStats
    ) -> None:
        """Nothing runs until :meth:`start`."""
        self.settings = settings
        self._pool = pool
        self._stats = stats
        self._on_outcome: Outcome | None = None
        self._task: asyncio.Task[None] | None = None
        self._random = random.Random()

    @property
    def running(self) -> bool:
        """Whether the task is alive."""
        return self._task is not None and not self._task.done()

    def start(self, on_outcome: Outcome | None = None) -> None:
        """Start keeping connections ready, unless it is turned off or running."""
        self._on_outcome = on_outcome
        if self.settings.connections and not self.running and not self._pool.closed:
            self._task = asyncio.create_task(self._run(), name="cosyvoice-keep-ready")

    async def change(self, settings: KeepReadySettings) -> None:
        """Keep ready as ``settings`` say from now on: restarted, with its outcomes."""
        await self.stop()
        self.settings = settings
        self.start(self._on_outcome)

    async def stop(self) -> None:
        """Stop and wait for the task to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        failures = 0
        threshold = self._jittered(self.settings.renew_after)
        while True:
            try:
                opened = await self._pool.renew(self.settings.connections, threshold)
            except PoolClosedError:
                return
            except AuthenticationError as err:
                _LOGGER.debug("Keeping connections ready stops: %s", err)
                self._stats.renewal_failures += 1
                self._tell(err)
                return  # a new key means a new client; never retry a refused one
            except CosyVoiceError as err:
                failures += 1
                self._stats.renewal_failures += 1
                self._tell(err)
                delay = min(
                    self.settings.retry_after * 2 ** (failures - 1),
                    self.settings.max_retry_after,
                )
                _LOGGER.debug("Renewal failed (%s); next try in %.1f s", err, delay)
                await asyncio.sleep(self._jittered(delay))
                continue
            if opened:
                self._stats.renewals += opened
                self._stats.changed()
                threshold = self._jittered(self.settings.renew_after)
            if failures or opened:
                self._tell(None)
            failures = 0
            await asyncio.sleep(self._next_check(threshold))

    def _next_check(self, threshold: float) -> float:
        """Until the youngest kept connection reaches ``threshold``."""
        youngest = sorted(self._pool.idle_for())
        if len(youngest) < self.settings.connections:
            # In use by a task: look again a little after it may have ended.
            return self._jittered(self.settings.renew_after / 5)
        return max(
            _MIN_WAIT * self.settings.renew_after,
            threshold - youngest[self.settings.connections - 1],
        )

    def _jittered(self, seconds: float) -> float:
        spread = self.settings.jitter
        return seconds * self._random.uniform(1 - spread, 1 + spread)

    def _tell(self, error: CosyVoiceError | None) -> None:
        if self._on_outcome is not None:
            self._on_outcome(error)
