"""Statistics listeners: pushed after requests and connection changes, never in the way."""

from __future__ import annotations

import logging

import pytest

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    InvalidRequestError,
    SynthesisOptions,
)
from custom_components.cosyvoice.api.stats import ClientStats
from devtools.emulator import DashScopeEmulator, Fault

PCM = SynthesisOptions(format="pcm")

Seen = tuple[int, int, int, int]
"""requests, successes, failures, open connections, as a listener saw them."""


def _watch(client: CosyVoiceClient) -> list[Seen]:
    seen: list[Seen] = []

    def listener() -> None:
        stats = client.stats
        seen.append(
            (
                stats.requests,
                stats.successes,
                sum(stats.failures.values()),
                client.pool.open_connections,
            )
        )

    client.stats.add_listener(listener)
    return seen


def test_listeners_are_called_until_removed() -> None:
    stats = ClientStats()
    calls: list[str] = []
    remove_a = stats.add_listener(lambda: calls.append("a"))
    stats.add_listener(lambda: calls.append("b"))
    stats.changed()
    assert calls == ["a", "b"]
    remove_a()
    remove_a()  # twice is harmless
    stats.changed()
    assert calls == ["a", "b", "b"]


def test_a_listener_may_remove_itself_while_called() -> None:
    stats = ClientStats()
    calls: list[str] = []

    def once() -> None:
        calls.append("once")
        remove()

    remove = stats.add_listener(once)
    stats.add_listener(lambda: calls.append("always"))
    stats.changed()
    stats.changed()
    assert calls == ["once", "always", "always"]


async def test_success_is_pushed_with_the_new_numbers(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    seen = _watch(client)
    await client.synthesize("你好", PCM)
    # The connection opened (and counted as open), then the request succeeded.
    assert seen == [(1, 0, 0, 1), (1, 1, 0, 1)]
    assert client.stats.last_error is None


async def test_failure_is_pushed_and_kept_as_the_last_error(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    seen = _watch(client)
    emulator.add_fault(Fault.task_failed("InvalidParameter", "bad voice"))
    with pytest.raises(InvalidRequestError):
        await client.synthesize("你好", PCM)
    # Opened; dropped after the failure (the service closes the socket); failed.
    assert seen == [(1, 0, 0, 1), (1, 0, 0, 0), (1, 0, 1, 0)]
    error = client.stats.last_error
    assert error is not None
    assert (error.kind, error.code) == ("InvalidRequestError", "InvalidParameter")
    assert error.message.endswith("bad voice")


async def test_abandoned_and_cancelled_requests_are_pushed(
    client: CosyVoiceClient,
) -> None:
    seen = _watch(client)
    async with client.open_task(PCM) as task:
        await task.send_text("再见。")  # and leave without finishing
    assert seen[-1][2] == 1
    assert client.stats.failures == {"Abandoned": 1}

    stream = client.stream("你好，欢迎回家。", PCM)
    await anext(stream)
    await stream.aclose()
    assert seen[-1][2] == 2
    assert client.stats.failures == {"Abandoned": 1, "Cancelled": 1}


async def test_closing_the_pool_is_pushed(client: CosyVoiceClient) -> None:
    await client.pool.warm_up()
    seen = _watch(client)
    await client.close()
    assert seen == [(0, 0, 0, 0)]


async def test_a_failing_listener_is_logged_and_the_request_goes_on(
    client: CosyVoiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("dashboard bug")

    client.stats.add_listener(broken)
    seen = _watch(client)
    with caplog.at_level(logging.ERROR, "custom_components.cosyvoice.api.stats"):
        result = await client.synthesize("你好", PCM)
    assert result.audio
    assert client.stats.successes == 1
    assert seen[-1] == (1, 1, 0, 1)  # later listeners still heard about it
    failures = [r for r in caplog.records if r.name.endswith("api.stats")]
    assert len(failures) == 2  # the connection opening, then the success
    assert "Statistics listener" in failures[0].getMessage()
    assert failures[0].exc_info is not None
    assert "dashboard bug" in str(failures[0].exc_info[1])


def test_listeners_are_no_part_of_the_numbers() -> None:
    stats = ClientStats()
    stats.add_listener(lambda: None)
    assert stats == ClientStats()
    assert "listener" not in repr(stats)
