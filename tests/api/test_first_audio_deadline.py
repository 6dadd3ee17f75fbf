"""A first-audio deadline: a service that never answers holds a message no longer."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    Endpoint,
    RetryPolicy,
    SynthesisOptions,
    SynthesisTimeoutError,
    Timeouts,
)
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

PCM = SynthesisOptions(format="pcm", sample_rate=16000)
TEXT = "门开着。"


def _client(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> CosyVoiceClient:
    # Timeouts and retries that alone would hold the message for 20 s and more.
    return CosyVoiceClient(
        session,
        TEST_API_KEY,
        Endpoint.custom(emulator.ws_url),
        timeouts=Timeouts(connect=10.0, task_started=10.0, response=15.0),
        retry=RetryPolicy(attempts=3, deadline=20.0),
    )


async def _ours_left() -> list[asyncio.Task[object]]:
    await asyncio.sleep(0.05)
    return [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and "cosyvoice" in t.get_name()
    ]


async def test_a_handshake_never_answered_is_given_up_at_the_deadline(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> None:
    emulator.config.handshake_delay = 30.0
    client = _client(session, emulator)
    began = time.monotonic()
    with pytest.raises(SynthesisTimeoutError, match=r"no audio within 0\.5 s"):
        await client.synthesize(TEXT, PCM, first_audio_within=0.5)
    assert time.monotonic() - began < 1.5
    assert client.stats.failures["SynthesisTimeoutError"] == 1
    assert client.pool.open_connections == 0
    assert not await _ours_left()
    await client.close()


async def test_a_task_never_answered_is_given_up_and_its_connection_closed(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.hang())
    client = _client(session, emulator)
    began = time.monotonic()
    with pytest.raises(SynthesisTimeoutError):
        await client.synthesize(TEXT, PCM, first_audio_within=0.5)
    assert time.monotonic() - began < 1.5
    await asyncio.sleep(0.1)
    assert client.pool.open_connections == 0
    assert emulator.open_connections == 0
    # The next message is spoken as usual.
    assert (await client.synthesize(TEXT, PCM, first_audio_within=5)).audio
    await client.close()


async def test_audio_in_time_is_gathered_to_its_end(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> None:
    """The deadline is for the first audio only: a long message is not cut."""
    emulator.config.realtime_factor = 0.05
    client = _client(session, emulator)
    result = await client.synthesize(TEXT * 40, PCM, first_audio_within=0.5)
    assert result.audio == emulator.tasks[-1].audio
    await client.close()
