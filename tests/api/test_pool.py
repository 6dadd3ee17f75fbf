"""The shared session manager: reuse, bounds, fair queue, health, retries, clean-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import aiohttp
import pytest

from custom_components.cosyvoice.api import (
    AuthenticationError,
    ConnectionDroppedError,
    CosyVoiceClient,
    CosyVoiceError,
    Endpoint,
    InvalidRequestError,
    PoolClosedError,
    PoolSettings,
    PoolTimeoutError,
    RateLimitedError,
    ServiceUnavailableError,
    SynthesisOptions,
    SynthesisTimeoutError,
    Timeouts,
)
from custom_components.cosyvoice.api.retry import RetryPolicy
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

TEXT = "你好，欢迎回家。Welcome home."
PCM = SynthesisOptions(format="pcm")
QUICK_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, deadline=10)

MakeClient = Callable[..., CosyVoiceClient]


@pytest.fixture
async def make_client(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> AsyncIterator[MakeClient]:
    """Build clients on the emulator; every one is closed after the test."""
    made: list[CosyVoiceClient] = []

    def make(
        pool: PoolSettings | None = None,
        retry: RetryPolicy = QUICK_RETRY,
        timeouts: Timeouts | None = None,
    ) -> CosyVoiceClient:
        client = CosyVoiceClient(
            session,
            TEST_API_KEY,
            Endpoint.custom(emulator.ws_url),
            pool=pool,
            retry=retry,
            timeouts=timeouts or Timeouts(connect=5, task_started=5, response=1),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def _until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


# --- Reuse and bounds ---------------------------------------------------------------


async def test_sequential_requests_share_one_connection(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client()
    for _ in range(20):
        result = await client.synthesize(TEXT, PCM)
        assert result.audio == emulator.tasks[-1].audio
    assert emulator.connections_opened == 1
    assert {t.connection_id for t in emulator.tasks} == {1}
    assert client.stats.connections_opened == 1
    assert client.stats.connections_reused == 19
    assert client.pool.idle_connections == 1


async def test_concurrent_requests_stay_within_the_pool(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.realtime_factor = 0.02  # keep tasks overlapping
    client = make_client(pool=PoolSettings(max_connections=4))
    gate = asyncio.Semaphore(8)

    async def one() -> bytes:
        async with gate:
            return (await client.synthesize(TEXT, PCM)).audio

    audio = await asyncio.gather(*(one() for _ in range(50)))
    assert all(audio)
    assert emulator.peak_open_connections == 4
    assert emulator.connections_opened == 4
    assert client.stats.successes == 50
    assert client.stats.failures == {}


async def test_more_than_a_hundred_at_once_all_complete(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client(pool=PoolSettings(max_connections=4))
    results = await asyncio.gather(
        *(client.synthesize(f"第{i}条消息。", PCM) for i in range(120))
    )
    assert len({r.task_id for r in results}) == 120
    assert emulator.peak_open_connections <= 4
    assert client.stats.successes == 120


async def test_waiters_are_served_in_arrival_order(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client(pool=PoolSettings(max_connections=1))
    order: list[int] = []

    async def one(index: int) -> None:
        async with client.open_task(PCM) as task:
            order.append(index)
            await task.send_text("好。")
            await task.finish()
            async for _ in task:
                pass

    tasks = []
    for index in range(6):
        tasks.append(asyncio.create_task(one(index)))
        await asyncio.sleep(0)  # arrive one after another
    await asyncio.gather(*tasks)
    assert order == list(range(6))
    assert emulator.connections_opened == 1


async def test_queue_timeout_is_a_clear_error(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client(pool=PoolSettings(max_connections=1, acquire_timeout=0.2))
    async with client.open_task(PCM):
        with pytest.raises(PoolTimeoutError, match="1 DashScope connections"):
            await client.synthesize(TEXT, PCM)
    # The slot is free again.
    assert (await client.synthesize(TEXT, PCM)).audio


async def test_cancelled_waiter_does_not_leak_its_place(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client(pool=PoolSettings(max_connections=1))
    async with client.open_task(PCM):
        waiter = asyncio.create_task(client.synthesize(TEXT, PCM))
        await _until(lambda: client.pool.waiting == 1)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert client.pool.waiting == 0
    assert (await client.synthesize(TEXT, PCM)).audio
    assert client.stats.failures["Cancelled"] == 1


async def test_warm_up_makes_the_first_request_reuse(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client()
    await client.pool.warm_up()
    assert emulator.connections_opened == 1
    assert client.pool.idle_connections == 1
    await client.synthesize(TEXT, PCM)
    assert emulator.connections_opened == 1
    assert client.stats.connections_reused == 1


# --- Health -------------------------------------------------------------------------


async def test_idle_close_by_the_service_is_transparent(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.idle_timeout = 0.2
    client = make_client()
    await client.synthesize(TEXT, PCM)
    await _until(lambda: emulator.open_connections == 0)
    # The pool noticed on its own, without waiting for the next request.
    await _until(lambda: client.pool.open_connections == 0)
    result = await client.synthesize(TEXT, PCM)
    assert result.audio == emulator.tasks[-1].audio
    assert emulator.connections_opened == 2
    assert client.stats.retries == 0


@pytest.mark.parametrize(
    "settings",
    [PoolSettings(max_idle=0.05), PoolSettings(max_age=0.05)],
    ids=["idle too long", "too old"],
)
async def test_connections_past_their_limits_are_replaced(
    make_client: MakeClient, emulator: DashScopeEmulator, settings: PoolSettings
) -> None:
    client = make_client(pool=settings)
    await client.synthesize(TEXT, PCM)
    await asyncio.sleep(0.1)
    await client.synthesize(TEXT, PCM)
    assert emulator.connections_opened == 2
    assert client.stats.connections_closed == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault.task_failed("InvalidParameter", "[tts:]Engine return error code: 418"),
        Fault.task_failed("InternalError", "boom", after_audio=True),
        Fault.hang(),
    ],
)
async def test_a_connection_in_an_unknown_state_is_never_reused(
    make_client: MakeClient, emulator: DashScopeEmulator, fault: Fault
) -> None:
    client = make_client(retry=RetryPolicy(attempts=1))
    await client.synthesize(TEXT, PCM)
    emulator.add_fault(fault)
    with pytest.raises(CosyVoiceError):
        await client.synthesize(TEXT, PCM)
    await client.synthesize(TEXT, PCM)
    connections = [t.connection_id for t in emulator.tasks]
    assert connections[0] == connections[1] != connections[2]
    assert client.pool.open_connections == 1


# --- Retries ------------------------------------------------------------------------


async def test_handshake_500_then_429_then_success(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.handshake(500))
    emulator.add_fault(Fault.handshake(429))
    client = make_client()
    result = await client.synthesize(TEXT, PCM)
    assert result.audio == emulator.tasks[-1].audio
    assert client.stats.retries == 2
    assert emulator.handshakes_rejected == 2


async def test_retry_budget_runs_out(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.handshake(503), times=3)
    client = make_client()
    with pytest.raises(ServiceUnavailableError):
        await client.synthesize(TEXT, PCM)
    assert client.stats.retries == 2
    assert emulator.handshakes_rejected == 3
    assert client.stats.failures == {"ServiceUnavailableError": 1}


async def test_deadline_stops_retrying(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.handshake(503), times=10)
    emulator.config.handshake_delay = 0.05
    client = make_client(
        retry=RetryPolicy(attempts=10, base_delay=0.01, max_delay=0.01, deadline=0.12)
    )
    with pytest.raises(ServiceUnavailableError):
        await client.synthesize(TEXT, PCM)
    assert 1 <= emulator.handshakes_rejected <= 4


async def test_auth_failure_is_never_retried(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.handshake(401), times=5)
    client = make_client()
    with pytest.raises(AuthenticationError):
        await client.synthesize(TEXT, PCM)
    assert emulator.handshakes_rejected == 1
    assert client.stats.retries == 0


async def test_invalid_parameter_is_never_retried(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(
        Fault.task_failed("InvalidParameter", "[tts:]Engine return error code: 418")
    )
    client = make_client()
    with pytest.raises(InvalidRequestError):
        await client.synthesize(TEXT, PCM)
    assert len(emulator.tasks) == 1


async def test_throttled_task_is_retried(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(
        Fault.task_failed(
            "Throttling.RateQuota",
            "Requests rate limit exceeded, please try again later.",
        )
    )
    client = make_client()
    assert (await client.synthesize(TEXT, PCM)).audio
    assert client.stats.retries == 1


async def test_drop_before_first_audio_is_retried(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.drop(after_audio=False))
    client = make_client()
    chunks = [chunk async for chunk in client.stream(TEXT, PCM)]
    assert b"".join(chunks) == emulator.tasks[-1].audio
    assert client.stats.retries == 1


async def test_drop_after_first_audio_goes_on_from_the_cut_sentence_when_streaming(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    # The listener heard the start of the first sentence: a new task says it again.
    emulator.add_fault(Fault.drop(after_audio=True))
    client = make_client()
    audio = b"".join([chunk async for chunk in client.stream(TEXT, PCM)])
    cut, resumed = emulator.tasks
    assert resumed.texts == [TEXT]
    heard_of_cut = len(audio) - len(resumed.audio)
    assert 0 < heard_of_cut <= len(cut.audio)
    assert audio == cut.audio[:heard_of_cut] + resumed.audio
    assert client.stats.retries == 1


async def test_drop_after_first_audio_is_not_retried_without_a_budget(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True))
    client = make_client(retry=RetryPolicy(attempts=1))
    received = []
    with pytest.raises(ConnectionDroppedError, match="lost") as caught:
        async for chunk in client.stream(TEXT, PCM):
            received.append(chunk)
    assert received
    assert caught.value.audio_delivered
    assert client.stats.retries == 0
    assert len(emulator.tasks) == 1


async def test_drop_after_audio_is_retried_for_one_shot_requests(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    # synthesize() hands over nothing until the end, so a retry cannot stutter.
    emulator.add_fault(Fault.drop(after_audio=True))
    client = make_client()
    result = await client.synthesize(TEXT, PCM)
    assert result.audio == emulator.tasks[-1].audio
    assert client.stats.retries == 1


async def test_never_finishing_task_times_out_and_is_discarded(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.hang())
    client = make_client(timeouts=Timeouts(response=0.3))
    with pytest.raises(SynthesisTimeoutError):
        await client.synthesize(TEXT, PCM)
    assert client.pool.open_connections == 0
    await _until(lambda: emulator.open_connections == 0)


async def test_rate_limit_errors_surface_after_the_budget(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.handshake(429), times=2)
    client = make_client(retry=RetryPolicy(attempts=2, base_delay=0.01))
    with pytest.raises(RateLimitedError):
        await client.synthesize(TEXT, PCM)
    assert client.stats.retries == 1


# --- Cancellation and shutdown --------------------------------------------------------


async def test_consumer_going_away_closes_the_task(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.realtime_factor = 0.05
    client = make_client()
    stream = client.stream(TEXT * 4, PCM)
    async for _ in stream:
        break
    await stream.aclose()
    assert client.pool.open_connections == 0
    await _until(lambda: emulator.open_connections == 0)
    assert emulator.tasks[-1].state == "cancelled"
    # The pool is whole: the next request works.
    assert (await client.synthesize(TEXT, PCM)).audio


async def test_cancelling_a_request_mid_audio_releases_everything(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.realtime_factor = 0.05
    client = make_client(pool=PoolSettings(max_connections=1))
    request = asyncio.create_task(client.synthesize(TEXT * 4, PCM))
    await _until(lambda: bool(emulator.tasks) and bool(emulator.tasks[-1].frames))
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert client.pool.open_connections == 0
    assert (await client.synthesize(TEXT, PCM)).audio


async def test_close_ends_connections_and_waiters_promptly(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.realtime_factor = 0.2
    client = make_client(pool=PoolSettings(max_connections=2))
    await client.pool.warm_up(2)
    requests = [asyncio.create_task(client.synthesize(TEXT * 3, PCM)) for _ in range(5)]
    await _until(lambda: client.pool.waiting == 3)
    async with asyncio.timeout(3):
        await client.close()
        outcomes = await asyncio.gather(*requests, return_exceptions=True)
    assert all(isinstance(o, CosyVoiceError) for o in outcomes), outcomes
    assert sum(isinstance(o, PoolClosedError) for o in outcomes) >= 3
    await _until(lambda: emulator.open_connections == 0)
    with pytest.raises(PoolClosedError):
        await client.synthesize(TEXT, PCM)


# --- Statistics and soak ------------------------------------------------------------


async def test_statistics(make_client: MakeClient, emulator: DashScopeEmulator) -> None:
    client = make_client()
    for _ in range(3):
        await client.synthesize(TEXT, PCM)
    emulator.add_fault(
        Fault.task_failed("InvalidParameter", "[tts:]Engine return error code: 418")
    )
    with pytest.raises(InvalidRequestError):
        await client.synthesize(TEXT, PCM)
    snap = client.snapshot()
    assert snap["requests"] == 4
    assert snap["successes"] == 3
    assert snap["failures"] == 1
    assert snap["failures_by_error"] == {"InvalidRequestError": 1}
    assert snap["billed_characters"] == 3 * emulator.tasks[0].characters
    assert snap["connections_opened"] == 1
    assert snap["connections_reused"] == 3
    assert snap["connections_closed"] == 1  # the failed task's connection
    assert snap["open_connections"] == 0
    assert snap["first_audio_ms"]["p50"] > 0
    assert snap["first_audio_ms"]["p95"] >= snap["first_audio_ms"]["p50"]
    assert snap["total_ms"]["p50"] >= snap["first_audio_ms"]["p50"]
    error = snap["recent_errors"][-1]
    assert datetime.fromisoformat(error["at"]).utcoffset() == timedelta(0)
    assert error["kind"] == "InvalidRequestError"
    assert error["code"] == "InvalidParameter"
    assert "418" in error["message"]


async def test_soak_with_random_faults(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.random_fault_rate = 0.1
    emulator.config.random_seed = 20261124
    client = make_client(pool=PoolSettings(max_connections=4))
    gate = asyncio.Semaphore(16)
    outcomes: list[str] = []

    async def one(index: int) -> None:
        async with gate:
            try:
                if index % 2:
                    await client.synthesize(f"第{index}条。", PCM)
                else:
                    async for _ in client.stream(f"Message {index}.", PCM):
                        pass
            except CosyVoiceError as err:
                outcomes.append(type(err).__name__)
            else:
                outcomes.append("ok")

    async with asyncio.timeout(120):
        await asyncio.gather(*(one(i) for i in range(500)))
    assert len(outcomes) == 500
    assert outcomes.count("ok") >= 450
    assert client.stats.retries > 0
    assert client.stats.requests == 500
    assert client.stats.successes == outcomes.count("ok")
    assert emulator.peak_open_connections <= 4
    assert client.pool.open_connections <= 4
    await client.close()
    assert client.pool.open_connections == 0
    ours = [
        t for t in asyncio.all_tasks() if (t.get_name() or "").startswith("cosyvoice-")
    ]
    assert ours == []
    await _until(lambda: emulator.open_connections == 0)


async def test_cancelled_while_checking_an_idle_connection(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client()
    await client.pool.warm_up()
    request = asyncio.create_task(client.synthesize(TEXT, PCM))
    await asyncio.sleep(0)  # it has taken the idle connection and is checking it
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert client.pool.idle_connections == 1
    await client.synthesize(TEXT, PCM)
    assert emulator.connections_opened == 1


async def test_closed_while_checking_an_idle_connection(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client()
    await client.pool.warm_up()
    request = asyncio.create_task(client.synthesize(TEXT, PCM))
    await asyncio.sleep(0)
    await client.close()
    with pytest.raises(PoolClosedError):
        await request
    assert client.stats.connections_closed == 1


async def test_grant_racing_a_cancel_is_passed_on(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client(pool=PoolSettings(max_connections=1))
    pool = client.pool
    connection, _ = await pool.acquire()
    waiter = asyncio.create_task(pool.acquire())
    await _until(lambda: pool.waiting == 1)
    pool.release(connection)  # handed straight to the waiter...
    waiter.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert pool.idle_connections == 1

    connection, _ = await pool.acquire()
    waiter = asyncio.create_task(pool.acquire())
    await _until(lambda: pool.waiting == 1)
    connection.broken = True
    pool.release(connection)  # the slot, not the connection, goes to the waiter
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    fresh, reused = await pool.acquire()
    assert not reused
    pool.release(fresh)
    assert emulator.connections_opened == 2


def test_pool_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        PoolSettings(max_connections=0)


async def test_failed_open_passes_the_slot_on(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client(
        pool=PoolSettings(max_connections=1), retry=RetryPolicy(attempts=1)
    )
    emulator.config.handshake_delay = 0.1
    emulator.add_fault(Fault.handshake(500))
    first = asyncio.create_task(client.synthesize(TEXT, PCM))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(client.synthesize(TEXT, PCM))
    with pytest.raises(ServiceUnavailableError):
        await first
    assert (await second).audio


async def test_duplex_requests_are_counted(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    client = make_client(retry=RetryPolicy(attempts=1))
    async with client.open_task(PCM) as task:
        await task.send_text("你好。")
        await task.finish()
        async for _ in task:
            pass
    async with client.open_task(PCM) as task:
        await task.send_text("再见。")  # and leave without finishing
    await client.pool.close()
    with pytest.raises(PoolClosedError):
        async with client.open_task(PCM):
            pass  # pragma: no cover
    with pytest.raises(ValueError, match="boom"):
        async with make_client().open_task(PCM):
            raise ValueError("boom")
    assert client.stats.requests == 3
    assert client.stats.successes == 1
    assert client.stats.failures == {"Abandoned": 1, "PoolClosedError": 1}
