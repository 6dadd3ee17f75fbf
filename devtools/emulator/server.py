"""The emulator: its WebSocket server (handshake checks, faults), the HTTP side and the public API."""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import logging
import uuid
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from . import events
from .config import EmulatorConfig, Fault, authorized, bearer_key, handshake_message
from .enrollment import (
    PREFIX_RE,
    PREFIX_RULE,
    VOICE_STATUSES,
    Enrollment,
    VoiceRecord,
)
from .faults import FaultPlan
from .http_server import HttpFrontend
from .records import TaskRecord
from .session import Session

_LOGGER = logging.getLogger(__name__)

PATH = "/api-ws/v1/inference"
# Closing handshakes and stop() must not hang on a client that stopped reading.
_CLOSE_TIMEOUT = 2.0
_STOP_GRACE = 2.0
_UNRESPONSIVE_POLL = 0.1


class DashScopeEmulator:
    """A local stand-in for DashScope's CosyVoice WebSocket and HTTP services.

    Use it as ``async with DashScopeEmulator(config) as emu:`` or call
    :meth:`start` and :meth:`stop`. :attr:`config` may be changed while it runs.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        """Prepare an emulator; nothing listens until :meth:`start`."""
        self.config = config if config is not None else EmulatorConfig()
        self.tasks: list[TaskRecord] = []
        """Every run-task and HTTP synthesis request seen, in order, filled in live."""
        self.connections_opened = 0
        """Successful WebSocket upgrades so far."""
        self.open_connections = 0
        """WebSocket connections open right now."""
        self.peak_open_connections = 0
        """Most connections open at once since start (for pool-bound tests)."""
        self.handshakes_rejected = 0
        """Upgrades answered with an HTTP error (auth, path, injected faults)."""
        self._faults = FaultPlan(self.config)
        self._enrollment = Enrollment(self.config)
        self._http = HttpFrontend(
            self.config, self.tasks, self._faults, self._enrollment
        )
        self._server: Server | None = None
        self._url: str | None = None
        self._stopping = asyncio.Event()

    @property
    def ws_url(self) -> str:
        """The URL to give a client, e.g. ``ws://127.0.0.1:PORT/api-ws/v1/inference``."""
        if self._url is None:
            raise RuntimeError("the emulator is not started")
        return self._url

    @property
    def http_url(self) -> str:
        """The HTTP API base, e.g. ``http://127.0.0.1:PORT/api/v1`` (SDK ``base_http_api_url``)."""
        return self._http.base_url

    @property
    def http_requests(self) -> int:
        """HTTP synthesis POSTs received so far, whatever their outcome."""
        return self._http.requests

    @property
    def audio_downloads(self) -> int:
        """Audio URL downloads answered with the file so far."""
        return self._http.downloads

    @property
    def customization_requests(self) -> int:
        """Voice enrollment (customization) POSTs received so far, whatever their outcome."""
        return self._http.customization.requests

    @property
    def uploads(self) -> dict[str, bytes]:
        """Files uploaded to the temporary storage, by key (``oss://<key>``); a copy."""
        return {key: stored.data for key, stored in self._http.uploads.objects.items()}

    def add_fault(self, fault: Fault, times: int = 1) -> None:
        """Inject ``fault`` into the next ``times`` requests of its kind, in order.

        Handshake faults hit WebSocket upgrades, ``Fault.http`` HTTP synthesis
        POSTs, ``Fault.audio_url`` audio downloads, ``Fault.customization``
        voice enrollment POSTs, ``Fault.voice_rejected`` voice creations, the
        rest WebSocket run-tasks.
        """
        self._faults.add(fault, times)

    def add_voice(
        self,
        api_key: str,
        target_model: str,
        prefix: str,
        *,
        status: str = "OK",
        designed: bool = False,
    ) -> str:
        """Put a custom voice in ``api_key``'s store, as if enrolled; return its id.

        ``status`` is fixed: OK and UNDEPLOYED at once, DEPLOYING until an
        ``update_voice`` redeploys it. A designed voice gets the ``-vd-`` marker
        and a prompt instead of a sample URL (a clone gets a placeholder URL
        under example.invalid). No quota, model or region check.
        """
        if status not in VOICE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(VOICE_STATUSES)}")
        if not PREFIX_RE.fullmatch(prefix):
            raise ValueError(PREFIX_RULE)
        record = self._enrollment.create(
            api_key,
            target_model,
            prefix,
            url="" if designed else f"https://example.invalid/{prefix}.wav",
            prompt=f"A voice called {prefix}." if designed else None,
            preview_text="Hello." if designed else None,
            rejected=status == "UNDEPLOYED",
            check_quota=False,
        )
        record.ready_at = float("inf") if status == "DEPLOYING" else 0.0
        return record.voice_id

    def drop_connections(self) -> int:
        """Abort every open WebSocket connection, as a network failure would; how many.

        With a key taken out of ``config.api_keys`` it plays a revoked key: the
        service checks the key at the handshake, so only new connections see it.
        """
        if self._server is None:
            return 0
        connections = list(self._server.all_connections)
        for connection in connections:
            connection.transport.abort()
        return len(connections)

    def voices(self, api_key: str) -> list[VoiceRecord]:
        """The custom voices ``api_key`` holds, oldest first (live records)."""
        return self._enrollment.store(api_key).records()

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, http_port: int = 0
    ) -> None:
        """Listen on ``host``:``port`` (WebSocket) and ``host``:``http_port`` (HTTP).

        0 picks a free port.
        """
        if self._server is not None:
            raise RuntimeError("the emulator is already started")
        self._stopping = asyncio.Event()
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._process_request,
            server_header=None,
            # Audio does not compress; the SDK never negotiates it anyway.
            compression=None,
            ping_interval=None,
            close_timeout=_CLOSE_TIMEOUT,
            open_timeout=None,
        )
        bound_host, bound_port = self._server.sockets[0].getsockname()[:2]
        self._url = f"ws://{bound_host}:{bound_port}{PATH}"
        try:
            await self._http.start(host, http_port)
        except BaseException:
            await self.stop()
            raise
        _LOGGER.info(
            "DashScope emulator listening on %s and %s", self._url, self.http_url
        )

    async def stop(self) -> None:
        """Close every connection and both servers, and wait for all of it to end."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        await self._http.stop()
        server.close()
        try:
            async with asyncio.timeout(_STOP_GRACE):
                await server.wait_closed()
        except TimeoutError:
            for connection in list(server.all_connections):
                connection.transport.abort()
        if server.close_task is not None:
            await server.close_task
        _LOGGER.info("DashScope emulator stopped")

    async def __aenter__(self) -> Self:
        """Start on a free 127.0.0.1 port."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop."""
        await self.stop()

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections_opened += 1
        self.open_connections += 1
        self.peak_open_connections = max(
            self.peak_open_connections, self.open_connections
        )
        connection_id = self.connections_opened
        _LOGGER.info("connection %d opened from %s", connection_id, ws.remote_address)
        try:
            key = bearer_key(
                ws.request.headers.get("Authorization") if ws.request else None
            )
            session = Session(
                ws,
                connection_id,
                self.config,
                self.tasks,
                self._faults,
                custom_voices=self._enrollment.store(key) if key else None,
            )
            await session.serve()
        finally:
            self.open_connections -= 1

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        if self.config.handshake_delay > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.handshake_delay):
                    await self._stopping.wait()
        # Polled, not awaited for good: a client gives up on an upgrade long before
        # the spell ends, and its handler should end with the spell, not the server.
        while self.config.unresponsive and not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_UNRESPONSIVE_POLL):
                    await self._stopping.wait()
        if self._stopping.is_set():
            return self._reject(connection, 503, "ServiceUnavailable")
        if urlsplit(request.path).path.rstrip("/") != PATH:
            return self._reject(
                connection, 404, "NotFound", f"Path {request.path} not found."
            )
        fault = self._faults.next_handshake()
        if fault is not None:
            return self._reject(connection, fault.status, fault.code or "InternalError")
        if not authorized(request.headers.get("Authorization"), self.config.api_keys):
            return self._reject(connection, 401, "InvalidApiKey")
        return None

    def _reject(
        self,
        connection: ServerConnection,
        status: int,
        code: str,
        message: str | None = None,
    ) -> Response:
        """Answer the upgrade with ``status`` and the gateway's JSON error body (§5)."""
        self.handshakes_rejected += 1
        request_id = str(uuid.uuid4())
        body = json.dumps(
            events.gateway_error(request_id, code, message or handshake_message(code)),
            separators=(",", ":"),
        )
        response = connection.respond(http.HTTPStatus(status), body)
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        response.headers["x-request-id"] = request_id
        _LOGGER.info("handshake rejected: %d %s", status, code)
        return response
