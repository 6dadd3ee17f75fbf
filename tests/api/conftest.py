"""Fixtures for client tests: an aiohttp session and a client bound to the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.cosyvoice.api import CosyVoiceClient, Endpoint, Timeouts
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
def client(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> CosyVoiceClient:
    """A client pointed at the emulator with the valid test key."""
    return CosyVoiceClient(
        session, TEST_API_KEY, Endpoint.custom(emulator.ws_url), timeouts=FAST_TIMEOUTS
    )
