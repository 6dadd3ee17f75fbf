"""Connections kept ready through silence: renewal, outages, a refused key, unload."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from custom_components.cosyvoice.api import (
    AuthenticationError,
    CosyVoiceClient,
    CosyVoiceError,
    Endpoint,
    KeepReadySettings,
    PoolSettings,
    SynthesisOptions,
)
from custom_components.cosyvoice.api.connection import SERVICE_IDLE_CLOSE
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

PCM = SynthesisOptions(format="pcm")
FAST = KeepReadySettings(renew_after=0.3, jitter=0.1, retry_after=0.05)


@pytest.fixture
async def make_client(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> AsyncIterator[Callable[[KeepReadySettings], CosyVoiceClient]]:
    """Clients on the emulator with these keep-ready settings, closed afterwards."""
    made: list[CosyVoiceClient] = []

    def make(settings: KeepReadySettings) -> CosyVoiceClient:
        client = CosyVoiceClient(
            session, TEST_API_KEY, Endpoint.custom(emulator.ws_url), keep_ready=settings
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


def _our_tasks() -> list[str]:
    return [
        task.get_name()
        for task in asyncio.all_tasks()
        if task.get_name().startswith("cosyvoice-")
        and not task.get_name().startswith("cosyvoice-idle-")
    ]


async def test_a_connection_stays_ready_past_the_services_idle_close(
    make_client: Callable[[KeepReadySettings], CosyVoiceClient],
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.idle_timeout = 0.6  # the service's 60 s, scaled down
    client = make_client(FAST)
    outcomes: list[CosyVoiceError | None] = []
    client.keep_ready.start(outcomes.append)
    await asyncio.sleep(2.0)  # over three idle closes

    assert client.pool.idle_connections == 1
    assert client.stats.renewals >= 4
    assert emulator.open_connections == 1  # each replaced, none left behind
    assert emulator.peak_open_connections <= 2  # the swap: new first, then old
    assert client.stats.renewal_failures == 0
    # The request after the silence skips the handshake.
    opened = emulator.connections_opened
    await client.synthesize("你好。", PCM)
    assert emulator.connections_opened == opened
    assert client.stats.connections_reused >= 1
    assert outcomes
    assert all(outcome is None for outcome in outcomes)


async def test_zero_keeps_nothing_ready(
    make_client: Callable[[KeepReadySettings], CosyVoiceClient],
    emulator: DashScopeEmulator,
) -> None:
    client = make_client(KeepReadySettings(connections=0))
    client.keep_ready.start()
    await asyncio.sleep(0.2)
    assert not client.keep_ready.running
    assert emulator.connections_opened == 0


async def test_an_outage_backs_off_and_is_told_once_then_recovers(
    make_client: Callable[[KeepReadySettings], CosyVoiceClient],
    emulator: DashScopeEmulator,
) -> None:
    emulator.add_fault(Fault.handshake(503), times=5)
    client = make_client(FAST)
    outcomes: list[CosyVoiceError | None] = []
    client.keep_ready.start(outcomes.append)
    await asyncio.sleep(2.5)
    # Waits of 0.05, 0.1, 0.2, 0.4, 0.8 s: a handful of attempts, not a storm.
    assert client.stats.renewal_failures == 5
    assert client.pool.idle_connections == 1  # back once the service is
    failures = [o for o in outcomes if o is not None]
    assert len(failures) == 5
    assert outcomes[-1] is None


async def test_a_key_refused_while_quiet_stops_renewal_once(
    make_client: Callable[[KeepReadySettings], CosyVoiceClient],
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.idle_timeout = 0.4
    client = make_client(FAST)
    outcomes: list[CosyVoiceError | None] = []
    client.keep_ready.start(outcomes.append)
    await asyncio.sleep(0.2)
    emulator.config.api_keys.clear()  # revoked in the console
    await asyncio.sleep(1.5)
    refused = [o for o in outcomes if isinstance(o, AuthenticationError)]
    assert len(refused) == 1  # said once: never retried in a loop
    assert not client.keep_ready.running


async def test_closing_during_a_renewal_leaves_no_task(
    make_client: Callable[[KeepReadySettings], CosyVoiceClient],
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.handshake_delay = 0.5
    client = make_client(FAST)
    client.keep_ready.start()
    await asyncio.sleep(0.1)  # the first connection is being opened
    assert client.keep_ready.running
    await client.close()
    assert not client.keep_ready.running
    await asyncio.sleep(0)
    assert _our_tasks() == []
    assert client.pool.open_connections == 0


async def test_a_stream_opens_its_connection_while_the_text_is_written(
    make_client: Callable[[KeepReadySettings], CosyVoiceClient],
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.handshake_delay = 0.2
    client = make_client(KeepReadySettings(connections=0))
    opened_before_text: list[int] = []

    async def llm() -> AsyncIterator[str]:
        await asyncio.sleep(0.3)  # the model thinks; the handshake goes on meanwhile
        opened_before_text.append(emulator.connections_opened)
        yield "你好。"

    chunks = [c async for c in client.stream_text(llm(), PCM)]
    assert b"".join(chunks) == emulator.tasks[0].audio
    assert opened_before_text == [1]
    assert emulator.connections_opened == 1  # the task used that connection


async def test_a_stream_whose_writer_fails_before_any_text_leaves_nothing(
    make_client: Callable[[KeepReadySettings], CosyVoiceClient],
    emulator: DashScopeEmulator,
) -> None:
    client = make_client(KeepReadySettings(connections=0))

    async def broken() -> AsyncIterator[str]:
        await asyncio.sleep(0.1)
        raise RuntimeError("LLM went away")
        yield ""  # pragma: no cover

    with pytest.raises(RuntimeError, match="LLM went away"):
        async for _ in client.stream_text(broken(), PCM):
            pass
    assert emulator.tasks == []  # no task started, nothing billed
    assert client.pool.idle_connections == client.pool.open_connections  # none busy
    assert _our_tasks() == []


def test_every_idle_timing_is_a_share_of_the_services_idle_close() -> None:
    """The keep-ready interval and the pool's idle limit come from one constant."""
    ready, pool = KeepReadySettings(), PoolSettings()
    # Renewed by half the close at the latest, jitter included ...
    assert ready.renew_after * (1 + ready.jitter) == pytest.approx(
        SERVICE_IDLE_CLOSE / 2
    )
    # ... long before the pool gives an idle connection up, a quarter short of the close.
    assert pool.max_idle == SERVICE_IDLE_CLOSE * 3 / 4
    assert ready.renew_after * (1 + ready.jitter) < pool.max_idle < SERVICE_IDLE_CLOSE


@pytest.mark.parametrize(
    "settings",
    [
        {"connections": -1},
        {"renew_after": 0},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
)
def test_settings_that_would_renew_in_a_busy_loop_are_refused(
    settings: dict[str, float],
) -> None:
    with pytest.raises(ValueError, match="must"):
        KeepReadySettings(**settings)  # type: ignore[arg-type]


async def test_a_connection_busy_with_a_long_task_is_not_doubled(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> None:
    emulator.config.first_audio_delay = 1.0  # a task that keeps its connection a while
    client = CosyVoiceClient(
        session,
        TEST_API_KEY,
        Endpoint.custom(emulator.ws_url),
        pool=PoolSettings(max_connections=1),
        keep_ready=FAST,
    )
    try:
        client.keep_ready.start()
        await asyncio.sleep(0.1)
        assert client.pool.idle_connections == 1
        result = await client.synthesize("你好，欢迎回家。", PCM)
        assert result.audio == emulator.tasks[0].audio
        # Keep-ready looked in while the one connection spoke, and left it alone.
        assert emulator.peak_open_connections == 1
        assert client.keep_ready.running
        await asyncio.sleep(1.0)  # then it renews as before
        assert client.stats.renewals >= 2
        assert client.pool.idle_connections == 1
    finally:
        await client.close()


async def test_a_pool_closed_under_keep_ready_ends_it_quietly(
    make_client: Callable[[KeepReadySettings], CosyVoiceClient],
    emulator: DashScopeEmulator,
) -> None:
    emulator.config.handshake_delay = 0.3
    client = make_client(FAST)
    outcomes: list[CosyVoiceError | None] = []
    client.keep_ready.start(outcomes.append)
    await asyncio.sleep(0.1)  # the first connection is being opened
    await client.pool.close()  # the client's close stops keep-ready first; not here
    await asyncio.sleep(0.4)
    assert not client.keep_ready.running
    assert outcomes == []  # nothing to report: nobody is waiting for audio
    assert client.stats.renewal_failures == 0
    assert client.pool.open_connections == 0
