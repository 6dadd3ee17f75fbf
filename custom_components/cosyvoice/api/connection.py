"""One WebSocket connection to DashScope: opening it, and the state that decides reuse."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Final

import aiohttp

from .endpoints import Endpoint
from .errors import CannotConnectError, error_from_code
from .protocol import handshake_headers

_LOGGER = logging.getLogger(__name__)

SERVICE_IDLE_CLOSE: Final = 60.0
"""Seconds after which DashScope closes a WebSocket that carries no task (about;
§3.5 of the protocol notes). How long the pool keeps an idle connection and how
often connections kept ready are renewed are both shares of it."""

_ids = itertools.count(1)
_CLOSE_TIMEOUT = 2.0

_HANDSHAKE_MESSAGES = {
    401: "DashScope rejected the API key (HTTP 401)",
    403: "DashScope denied access with this API key (HTTP 403)",
    429: "DashScope is throttling new connections (HTTP 429)",
}


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long to wait for each step before giving up (seconds)."""

    connect: float = 10.0
    """TCP, TLS and the WebSocket upgrade together."""
    task_started: float = 10.0
    """From run-task to task-started."""
    response: float = 15.0
    """Longest silence from the service while it owes us audio or task-finished."""
    http: float = 30.0
    """One step of the HTTP API: the POST's answer, an SSE event, the audio download."""


class Connection:
    """An open WebSocket to DashScope; it carries one task at a time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, host: str) -> None:
        """Wrap an upgraded WebSocket."""
        self.ws = ws
        self.host = host
        self.id = next(_ids)
        self.created_at = time.monotonic()
        self.last_used_at = self.created_at
        self.tasks_run = 0
        self.broken = False
        """A task ended in a state the connection cannot be trusted after."""

    async def close(self) -> None:
        """Close the socket; safe to call more than once."""
        self.broken = True
        if not self.ws.closed:
            try:
                await self.ws.close()
            except (aiohttp.ClientError, OSError, RuntimeError) as err:
                # The peer may be gone already; the socket is released either way.
                _LOGGER.debug("Error closing connection %s: %r", self.id, err)

    def __repr__(self) -> str:
        """Identify the connection in logs without any secret."""
        state = "broken" if self.broken else "closed" if self.ws.closed else "open"
        return f"<Connection {self.id} to {self.host} {state} tasks={self.tasks_run}>"


async def open_connection(
    session: aiohttp.ClientSession,
    endpoint: Endpoint,
    api_key: str,
    *,
    timeout: float,
    user_agent: str,
) -> Connection:
    """Open and upgrade a WebSocket; map every failure to a typed error."""
    headers = handshake_headers(api_key, endpoint.workspace_id, user_agent)
    host = endpoint.host
    try:
        async with asyncio.timeout(timeout):
            ws = await session.ws_connect(
                endpoint.ws_url,
                headers=headers,
                autoping=True,
                # Shutdown must be prompt even when the service does not answer our
                # close frame.
                timeout=aiohttp.ClientWSTimeout(
                    ws_receive=None, ws_close=_CLOSE_TIMEOUT
                ),
                # Audio frames can be large; the service sets no documented maximum.
                max_msg_size=0,
            )
    except aiohttp.WSServerHandshakeError as err:
        message = _HANDSHAKE_MESSAGES.get(
            err.status, f"DashScope refused the connection (HTTP {err.status})"
        )
        request_id = err.headers.get("x-request-id") if err.headers else None
        raise error_from_code(
            None, message, status=err.status, request_id=request_id
        ) from None
    except TimeoutError:
        raise CannotConnectError(
            f"timed out after {timeout:g} s connecting to {host}"
        ) from None
    except (aiohttp.ClientError, OSError) as err:
        raise CannotConnectError(
            f"cannot connect to {host}: {_describe(err)}"
        ) from None
    connection = Connection(ws, host)
    _LOGGER.debug("Opened %r", connection)
    return connection


def _describe(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) < 300 else text[:300] + "…"
