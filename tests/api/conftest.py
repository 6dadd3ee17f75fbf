"""Fixtures for client tests: an aiohttp session and a client bound to the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from custom_components.cosyvoice.api import CosyVoiceClient, Endpoint, Timeouts
from custom_components.cosyvoice.api.retry import NO_RETRY
from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY

# Short enough that timeout tests run fast, long enough for a loaded CI machine.
FAST_TIMEOUTS = Timeouts(connect=5.0, task_started=5.0, response=1.0)


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, as Home Assistant's shared one would be."""
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
async def client(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> AsyncIterator[CosyVoiceClient]:
    """A client pointed at the emulator with the valid test key, and no retries.

    Without retries each error surfaces as it happened; the retry tests make their own.
    """
    api = CosyVoiceClient(
        session,
        TEST_API_KEY,
        Endpoint.custom(emulator.ws_url),
        timeouts=FAST_TIMEOUTS,
        retry=NO_RETRY,
    )
    yield api
    await api.close()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
StubService = Callable[[dict[tuple[str, str], Handler]], Awaitable[str]]


@pytest.fixture
async def stub_service(socket_enabled: None) -> AsyncIterator[StubService]:
    """Stand-ins for DashScope that answer as a test's handlers say.

    For what the emulator never does: answer badly. ``await stub_service({("GET",
    "/api/v1/x"): handler})`` gives the stand-in's origin, ``http://127.0.0.1:PORT``.
    """
    runners: list[web.AppRunner] = []

    async def start(routes: dict[tuple[str, str], Handler]) -> str:
        app = web.Application()
        for (method, path), handler in routes.items():
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()
