"""Home Assistant's WebSocket API as the frontend uses it: commands, actions, events.

Several commands may run at once on one socket: each waits for the messages with its
own id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncGenerator
from types import TracebackType
from typing import Any, Self

import aiohttp


class CommandError(Exception):
    """A command answered ``success: false``: Home Assistant's code and message."""

    def __init__(self, error: dict[str, Any]) -> None:
        """Keep the error as Home Assistant sent it (translation key included)."""
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = str(error.get("code"))
        self.message = str(error.get("message"))
        self.translation_key: str | None = error.get("translation_key")
        self.translation_domain: str | None = error.get("translation_domain")


class HassSocket:
    """An authenticated ``/api/websocket`` connection."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        """Connect to the Home Assistant at ``url`` with ``token`` on entering."""
        self._session = session
        self._url = url.replace("http", "ws", 1) + "/api/websocket"
        self._token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Queue[dict[str, Any] | None]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        """Connect and authenticate."""
        ws = await self._session.ws_connect(self._url, max_msg_size=0)
        hello = await ws.receive_json()
        if hello.get("type") != "auth_required":
            raise RuntimeError(f"unexpected greeting {hello}")
        await ws.send_json({"type": "auth", "access_token": self._token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise RuntimeError(f"authentication failed: {answer.get('message')}")
        self._ws = ws
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the socket."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                data = message.json()
                for item in data if isinstance(data, list) else [data]:
                    if (queue := self._waiting.get(item.get("id"))) is not None:
                        queue.put_nowait(item)
        finally:
            for queue in self._waiting.values():
                queue.put_nowait(None)

    async def _send(self, command: dict[str, Any]) -> tuple[int, asyncio.Queue[Any]]:
        if self._ws is None:
            raise RuntimeError("not connected")
        message_id = next(self._ids)
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._waiting[message_id] = queue
        await self._ws.send_json({"id": message_id, **command})
        return message_id, queue

    async def command(self, kind: str, **data: Any) -> Any:
        """Send one command; its result, or :class:`CommandError`."""
        message_id, queue = await self._send({"type": kind, **data})
        try:
            return _result(await queue.get())
        finally:
            del self._waiting[message_id]

    async def events(self, kind: str, **data: Any) -> AsyncGenerator[dict[str, Any]]:
        """Send a subscribing command; yield its events until the caller stops."""
        message_id, queue = await self._send({"type": kind, **data})
        try:
            _result(await queue.get())
            while (message := await queue.get()) is not None:
                yield message["event"]
        finally:
            del self._waiting[message_id]

    async def call(
        self,
        domain: str,
        service: str,
        data: dict[str, Any],
        *,
        return_response: bool = False,
    ) -> Any:
        """Perform an action as the frontend does; its response if asked."""
        result = await self.command(
            "call_service",
            domain=domain,
            service=service,
            service_data=data,
            return_response=return_response,
        )
        return result.get("response") if return_response else result


def _result(message: dict[str, Any] | None) -> Any:
    if message is None:
        raise ConnectionError("the WebSocket API closed")
    if not message.get("success", True):
        raise CommandError(message.get("error") or {})
    return message.get("result")
