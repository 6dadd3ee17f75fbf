"""The shared pool of DashScope connections: reuse, bounds, fair waiting, health.

A connection carries one task at a time. Idle connections are kept (most recently
used first) so the next request skips the TCP, TLS and WebSocket handshakes. While a
connection is idle a watcher reads from it: the service closes idle sockets (see
:data:`.connection.SERVICE_IDLE_CLOSE`), and a socket it closed must not be handed out.
The pool alone opens connections: for a request (:meth:`ConnectionPool.acquire`) or
ahead of one (:meth:`ConnectionPool.renew`, which warming up, preparing for a stream
and keeping ready all use).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from .connection import SERVICE_IDLE_CLOSE, Connection
from .errors import PoolClosedError, PoolTimeoutError
from .stats import ClientStats

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Bounds and health rules of the pool."""

    max_connections: int = 8
    """Open connections at most, which is also the number of tasks at once.

    Enough for a home's burst (an announcement on every speaker) to start together;
    still a bound on what a runaway automation can open.
    """
    max_idle: float = SERVICE_IDLE_CLOSE * 3 / 4
    """Drop a connection idle this long (45 s): a quarter short of the service's idle
    close, so a connection is never handed out as the service closes it."""
    max_age: float = 1800.0
    """Drop a connection this old when it comes back, however healthy."""
    acquire_timeout: float = 30.0
    """How long a request may wait in the queue for a connection."""

    def __post_init__(self) -> None:
        """Refuse settings that would make the pool useless."""
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")


class _Slot:
    """Handed to a waiter: "you may open a connection of your own"."""


_SLOT = _Slot()


class ConnectionPool:
    """Hands out connections one task at a time and takes them back."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[Connection]],
        settings: PoolSettings,
        stats: ClientStats,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Pool connections made by ``connect``."""
        self.settings = settings
        self._connect = connect
        self._stats = stats
        self._clock = clock
        self._idle: list[tuple[Connection, asyncio.Task[aiohttp.WSMessage]]] = []
        self._busy: set[Connection] = set()
        self._opening = 0
        self._reserved = 0
        """Slots handed to woken waiters that have not started opening yet."""
        self._waiters: deque[asyncio.Future[Connection | _Slot]] = deque()
        self._closers: set[asyncio.Task[None]] = set()
        self._closed = False
        self._preparing: asyncio.Future[None] | None = None
        """Done when the connection :meth:`prepare` opens is in the pool."""

    @property
    def open_connections(self) -> int:
        """Connections open now, idle or busy."""
        return len(self._idle) + len(self._busy)

    @property
    def idle_connections(self) -> int:
        """Connections open and waiting for a task."""
        return len(self._idle)

    @property
    def waiting(self) -> int:
        """Requests queued for a connection."""
        return len(self._waiters)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def _used_slots(self) -> int:
        return self.open_connections + self._opening + self._reserved

    async def acquire(self) -> tuple[Connection, bool]:
        """A connection for one task, and whether it was reused."""
        if self._closed:
            raise PoolClosedError("the CosyVoice client is closed")
        if not self._waiters:  # nobody queued ahead of us
            if not self._idle and self._preparing is not None:
                # A connection is being opened for the request that comes: this one.
                await asyncio.shield(self._preparing)
            connection = await self._take_idle()
            if connection is not None:
                return connection, True
            if self._used_slots() < self.settings.max_connections:
                return await self._open(), False
        granted = await self._wait()
        if isinstance(granted, Connection):
            self._stats.connections_reused += 1
            return granted, True
        self._reserved -= 1
        return await self._open(), False

    async def warm_up(self, connections: int = 1) -> None:
        """Open connections ahead of the first request, so it skips the handshake."""
        await self.renew(connections)

    async def prepare(self) -> None:
        """Have a connection ready for a request about to come; never queues.

        Opens one only when none is idle and a slot is free; the request then finds
        it idle. Used by a stream while its first sentence is still being written.
        """
        if not (self._closed or self._idle or self._waiters or self._preparing):
            await self.renew(1)

    def idle_for(self) -> list[float]:
        """Seconds each idle connection has waited since its last task, oldest first."""
        now = self._clock()
        return sorted((now - c.last_used_at for c, _ in self._idle), reverse=True)

    async def renew(self, ready: int, older_than: float = math.inf) -> int:
        """Keep ``ready`` idle connections that have waited less than ``older_than``.

        The one way a connection is opened ahead of a request. Each idle connection
        past that age is replaced: a fresh one is opened first and only then the old
        one closed, so one is ready all along. The swap may open one over the bound
        for a moment: it carries no task. Returns how many connections were opened.
        """
        if self._preparing is not None:
            await asyncio.shield(self._preparing)  # one being opened already counts
        now = self._clock()
        fresh = [c for c, _ in self._idle if now - c.last_used_at < older_than]
        stale = [c for c, _ in self._idle if now - c.last_used_at >= older_than]
        stale.sort(key=lambda c: c.last_used_at)
        opened = 0
        wanted = min(ready, self.settings.max_connections)
        while len(fresh) + opened < wanted and not self._closed:
            if stale or self._used_slots() < self.settings.max_connections:
                await self._open_idle()
                opened += 1
            else:
                break  # every slot is busy with a task: nothing to renew now
            if stale:
                self._retire(stale.pop(0))
        # Stale ones beyond those kept ready serve a burst until they expire.
        return opened

    async def _open_idle(self) -> None:
        """Open a connection into the idle set; requests meanwhile wait for it."""
        preparing = asyncio.get_running_loop().create_future()
        self._preparing = preparing
        try:
            self.release(await self._open())
        finally:
            preparing.set_result(None)
            if self._preparing is preparing:
                self._preparing = None

    def _retire(self, connection: Connection) -> None:
        """Close an idle connection that a fresh one replaces."""
        for entry in self._idle:
            if entry[0] is connection:
                self._idle.remove(entry)
                entry[1].cancel()
                self._discard(connection)
                return

    def release(self, connection: Connection) -> None:
        """Take a connection back after its task: keep it if it is healthy."""
        self._busy.discard(connection)
        if self._closed or not self._healthy(connection):
            self._discard(connection)
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._busy.add(connection)
                waiter.set_result(connection)
                return
        watcher = asyncio.create_task(
            connection.ws.receive(), name=f"cosyvoice-idle-{connection.id}"
        )
        entry = (connection, watcher)
        self._idle.append(entry)
        watcher.add_done_callback(lambda _: self._idle_ended(entry))

    async def close(self) -> None:
        """Close every connection and fail every waiting request, promptly."""
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolClosedError("the CosyVoice client is closed"))
        idle, self._idle = self._idle, []
        for connection, watcher in idle:
            watcher.cancel()
            self._discard(connection)
        for connection in list(self._busy):
            self._busy.discard(connection)
            self._discard(connection)
        if self._closers:
            await asyncio.gather(*self._closers, return_exceptions=True)

    async def _take_idle(self) -> Connection | None:
        while self._idle:
            connection, watcher = self._idle.pop()
            # Counted as busy while it is checked, so nobody opens past the bound.
            self._busy.add(connection)
            watcher.cancel()
            # Let the watcher finish: it may have read the service's close frame.
            try:
                await asyncio.wait([watcher])
            except BaseException:
                if connection in self._busy:
                    self.release(connection)
                raise
            if connection not in self._busy:
                raise PoolClosedError("the CosyVoice client is closed")
            if (
                not watcher.cancelled()
                or not self._healthy(connection)
                or self._clock() - connection.last_used_at > self.settings.max_idle
            ):
                self._busy.discard(connection)
                self._discard(connection)
                continue
            self._stats.connections_reused += 1
            return connection
        return None

    def _idle_ended(
        self, entry: tuple[Connection, asyncio.Task[aiohttp.WSMessage]]
    ) -> None:
        connection, watcher = entry
        if watcher.cancelled() or entry not in self._idle:
            return
        # Anything read from an idle connection means the service is done with it.
        self._idle.remove(entry)
        _LOGGER.debug(
            "Idle %r ended by the service: %s", connection, watcher.result().type
        )
        self._discard(connection)

    async def _wait(self) -> Connection | _Slot:
        waiter: asyncio.Future[Connection | _Slot] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.settings.acquire_timeout):
                return await waiter
        except BaseException as err:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Granted just as we gave up: pass it on rather than lose it.
                self._give_back(waiter.result())
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            if isinstance(err, TimeoutError):
                raise PoolTimeoutError(
                    f"all {self.settings.max_connections} DashScope connections stayed "
                    f"busy for {self.settings.acquire_timeout:g} s"
                ) from None
            raise

    def _give_back(self, granted: Connection | _Slot) -> None:
        if isinstance(granted, Connection):
            self.release(granted)
        else:
            self._reserved -= 1
            self._pass_slot()

    def _pass_slot(self) -> None:
        """A slot became free: let the first waiter open a connection."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._reserved += 1
                waiter.set_result(_SLOT)
                return

    async def _open(self) -> Connection:
        self._opening += 1
        try:
            connection = await self._connect()
        except BaseException:
            self._opening -= 1
            self._pass_slot()
            raise
        self._opening -= 1
        self._stats.connections_opened += 1
        if self._closed:
            self._discard(connection)
            raise PoolClosedError("the CosyVoice client is closed")
        self._busy.add(connection)
        # Only now: listeners read open_connections, which counts it from here on.
        self._stats.changed()
        return connection

    def _healthy(self, connection: Connection) -> bool:
        return (
            not connection.broken
            and not connection.ws.closed
            and self._clock() - connection.created_at < self.settings.max_age
        )

    def _discard(self, connection: Connection) -> None:
        """Close a connection in the background and free its slot.

        Every caller has taken it out of the idle and busy sets already, so listeners
        see it gone from open_connections.
        """
        self._stats.connections_closed += 1
        self._stats.changed()
        closer = asyncio.create_task(
            connection.close(), name=f"cosyvoice-close-{connection.id}"
        )
        self._closers.add(closer)
        closer.add_done_callback(self._closers.discard)
        if not self._closed:
            self._pass_slot()
