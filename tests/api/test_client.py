"""The client against the emulator: every format, streaming, duplex, every error path."""

from __future__ import annotations

import asyncio
import logging
import socket

import aiohttp
import pytest

from custom_components.cosyvoice.api import (
    AuthenticationError,
    CannotConnectError,
    ConnectionDroppedError,
    CosyVoiceClient,
    CosyVoiceError,
    Endpoint,
    InvalidOptionError,
    InvalidRequestError,
    InvalidTextError,
    ProtocolError,
    RateLimitedError,
    ServiceUnavailableError,
    SynthesisOptions,
    SynthesisTimeoutError,
    TextTooLongError,
    Timeouts,
    billed_length,
)
from custom_components.cosyvoice.api.audio import FORMATS, AudioFormat
from custom_components.cosyvoice.api.retry import NO_RETRY
from custom_components.cosyvoice.api.task import TaskState
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY

TEXT = "今天天气怎么样？The weather is lovely today. 我们去公园散步吧！Let's go."


@pytest.mark.parametrize("fmt", FORMATS)
async def test_synthesize_every_format(
    client: CosyVoiceClient, emulator: DashScopeEmulator, fmt: AudioFormat
) -> None:
    options = SynthesisOptions(format=fmt, sample_rate=24000)
    result = await client.synthesize(TEXT, options)

    record = emulator.tasks[-1]
    assert result.audio == record.audio
    assert len(record.frames) > 1
    assert result.characters == billed_length(TEXT) == record.characters
    assert result.format == fmt
    assert result.extension == ("ogg" if fmt == "opus" else fmt)
    assert result.sample_rate == 24000
    assert result.task_id == record.task_id
    assert result.first_audio_latency is not None
    assert 0 < result.first_audio_latency <= result.total_time
    assert record.texts == [TEXT]
    assert record.parameters["format"] == fmt
    assert record.parameters["voice"] == "longanyang"
    assert record.state == "finished"


async def test_stream_yields_the_frames_as_sent(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    chunks = [
        chunk async for chunk in client.stream(TEXT, SynthesisOptions(format="pcm"))
    ]
    assert chunks == emulator.tasks[-1].frames


async def test_duplex_audio_arrives_while_text_is_still_coming(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    sentences = ["第一句话。", "Second sentence. ", "第三句话！", "And the last one."]
    timeline: list[str] = []
    async with client.open_task(SynthesisOptions(format="pcm")) as task:

        async def feed() -> None:
            for sentence in sentences:
                await task.send_text(sentence)
                timeline.append("text")
                # Give the service room to speak before the next piece arrives.
                while timeline.count("audio") == 0 and len(timeline) < 50:
                    await asyncio.sleep(0.01)
                    timeline.append("wait")
            await task.finish()
            timeline.append("finish")

        feeder = asyncio.create_task(feed())
        audio = bytearray()
        async for chunk in task:
            timeline.append("audio")
            audio += chunk
        await feeder
    record = emulator.tasks[-1]
    assert bytes(audio) == record.audio
    assert record.texts == sentences
    assert timeline.index("audio") < timeline.index("finish")
    assert task.state is TaskState.FINISHED
    assert task.characters == billed_length("".join(sentences))


async def test_a_task_that_ends_without_audio_has_no_first_audio_latency(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    # The service finishes the task but sends no audio (as if all of it were silence
    # too short to encode): the statistics make no latency up for it.
    emulator.config.ms_per_char = 0.0
    result = await client.synthesize(TEXT, SynthesisOptions(format="pcm"))
    assert result.audio == b""
    assert result.first_audio_latency is None
    assert emulator.tasks[-1].state == "finished"
    stats = client.stats
    assert (stats.requests, stats.successes) == (1, 1)
    assert stats.billed_characters == billed_length(TEXT)
    assert list(stats.first_audio) == []
    assert len(stats.total_time) == 1


async def test_legacy_events_without_type(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.legacy_events = True
    result = await client.synthesize(TEXT, SynthesisOptions(format="wav"))
    assert result.audio == emulator.tasks[-1].audio
    assert result.characters == billed_length(TEXT)


async def test_options_reach_the_service(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    options = SynthesisOptions(
        model="cosyvoice-v2",
        voice="longxiaochun_v2",
        format="mp3",
        sample_rate=16000,
        volume=80,
        rate=1.5,
        pitch=0.8,
    )
    await client.synthesize("你好，世界。", options)
    record = emulator.tasks[-1]
    assert record.model == "cosyvoice-v2"
    params = record.parameters
    assert (params["voice"], params["sample_rate"], params["volume"]) == (
        "longxiaochun_v2",
        16000,
        80,
    )
    assert (params["rate"], params["pitch"]) == (1.5, 0.8)


@pytest.mark.parametrize("text", ["", "   "])
async def test_empty_text_fails_before_connecting(
    client: CosyVoiceClient, emulator: DashScopeEmulator, text: str
) -> None:
    with pytest.raises(InvalidTextError):
        await client.synthesize(text, SynthesisOptions())
    with pytest.raises(InvalidTextError):
        async for _ in client.stream(text, SynthesisOptions()):
            pass  # pragma: no cover
    assert emulator.connections_opened == 0


async def test_huge_text_fails_before_connecting(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    with pytest.raises(TextTooLongError):
        await client.synthesize("字" * 500_001, SynthesisOptions())
    assert emulator.connections_opened == 0


async def test_task_limits(client: CosyVoiceClient) -> None:
    async with client.open_task(SynthesisOptions()) as task:
        with pytest.raises(InvalidTextError):
            await task.finish()
        with pytest.raises(TextTooLongError):
            await task.send_text("a" * 20_001)
        for _ in range(10):
            await task.send_text("a" * 20_000)
        with pytest.raises(InvalidTextError, match="at most 200000"):
            await task.send_text("a")
    # The task was abandoned half-way: its connection must not survive.
    assert task.connection.ws.closed


async def test_wrong_key_is_an_authentication_error_without_the_key(
    session: aiohttp.ClientSession,
    emulator: DashScopeEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "sk-wrong-secret-key-0000"
    client = CosyVoiceClient(
        session, secret, Endpoint.custom(emulator.ws_url), retry=NO_RETRY
    )
    with pytest.raises(AuthenticationError) as caught:
        await client.synthesize("你好", SynthesisOptions())
    assert caught.value.retryable is False
    assert "401" in str(caught.value)
    # The emulator's own library logs the headers it receives; ours must not.
    ours = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("websockets")
    )
    for text in (str(caught.value), repr(caught.value), repr(client), ours):
        assert secret not in text
    assert emulator.handshakes_rejected == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthenticationError),
        (403, AuthenticationError),
        (429, RateLimitedError),
        (500, ServiceUnavailableError),
        (503, ServiceUnavailableError),
    ],
)
async def test_handshake_refusals(
    client: CosyVoiceClient,
    emulator: DashScopeEmulator,
    status: int,
    kind: type[CosyVoiceError],
) -> None:
    emulator.add_fault(Fault.handshake(status))
    with pytest.raises(kind) as caught:
        await client.synthesize("你好", SynthesisOptions())
    assert str(status) in str(caught.value)
    # The fault was one-shot: the next request goes through.
    assert (await client.synthesize("你好", SynthesisOptions())).audio


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CosyVoiceClient(
        session,
        TEST_API_KEY,
        Endpoint.custom(f"ws://127.0.0.1:{port}/api-ws/v1/inference"),
        retry=NO_RETRY,
    )
    with pytest.raises(CannotConnectError) as caught:
        await client.synthesize("你好", SynthesisOptions())
    assert caught.value.retryable
    assert f"127.0.0.1:{port}" in str(caught.value)


async def test_slow_handshake_times_out(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> None:
    emulator.config.handshake_delay = 2.0
    client = CosyVoiceClient(
        session,
        TEST_API_KEY,
        Endpoint.custom(emulator.ws_url),
        timeouts=Timeouts(connect=0.2),
        retry=NO_RETRY,
    )
    with pytest.raises(CannotConnectError, match="timed out"):
        await client.synthesize("你好", SynthesisOptions())


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        (
            "InvalidParameter",
            "[tts:]Engine return error code: 418",
            InvalidRequestError,
        ),
        (
            "Throttling.RateQuota",
            "Requests rate limit exceeded, please try again later.",
            RateLimitedError,
        ),
        ("InternalError", "An internal error has occured.", ServiceUnavailableError),
    ],
)
@pytest.mark.parametrize("after_audio", [False, True])
async def test_task_failed(
    client: CosyVoiceClient,
    emulator: DashScopeEmulator,
    code: str,
    message: str,
    kind: type[CosyVoiceError],
    after_audio: bool,
) -> None:
    emulator.add_fault(Fault.task_failed(code, message, after_audio=after_audio))
    with pytest.raises(kind) as caught:
        await client.synthesize(TEXT, SynthesisOptions())
    assert caught.value.code == code
    assert message in str(caught.value)
    assert caught.value.request_id == emulator.tasks[-1].task_id


async def test_drop_before_audio_is_retryable(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.drop(after_audio=False))
    with pytest.raises(ConnectionDroppedError) as caught:
        await client.synthesize(TEXT, SynthesisOptions())
    assert caught.value.retryable
    assert not caught.value.audio_delivered


async def test_drop_after_audio_is_not_retryable(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True))
    received: list[bytes] = []
    with pytest.raises(ConnectionDroppedError) as caught:
        async for chunk in client.stream(TEXT, SynthesisOptions(format="pcm")):
            received.append(chunk)
    assert received
    assert caught.value.audio_delivered
    assert not caught.value.retryable


@pytest.mark.parametrize("after_audio", [False, True])
async def test_a_garbled_frame_fails_the_request_and_its_connection(
    client: CosyVoiceClient, emulator: DashScopeEmulator, after_audio: bool
) -> None:
    emulator.add_fault(Fault.malformed(after_audio=after_audio))
    with pytest.raises(ProtocolError, match="malformed"):
        await client.synthesize(TEXT, SynthesisOptions())
    await _until(lambda: emulator.open_connections == 0)
    assert (await client.synthesize(TEXT, SynthesisOptions())).audio


async def test_never_finishing_task_times_out(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.hang())
    with pytest.raises(SynthesisTimeoutError):
        await client.synthesize(TEXT, SynthesisOptions())
    await _until(lambda: emulator.open_connections == 0)


async def test_consumer_stopping_closes_the_connection(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.realtime_factor = 0.05
    stream = client.stream(TEXT * 5, SynthesisOptions(format="pcm"))
    async for _ in stream:
        break
    await stream.aclose()
    await _until(lambda: emulator.open_connections == 0)
    assert emulator.tasks[-1].state != "finished"


async def test_sending_after_the_end_is_refused(client: CosyVoiceClient) -> None:
    async with client.open_task(SynthesisOptions()) as task:
        await task.send_text("你好。")
        await task.finish()
        with pytest.raises(RuntimeError, match="finishing"):
            await task.send_text("more")
        audio = b"".join([chunk async for chunk in task])
    assert audio
    with pytest.raises(RuntimeError):
        await task.start()


async def test_failure_while_sending_reports_the_service_reason(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.task_text_timeout = 0.1
    async with client.open_task(SynthesisOptions()) as task:
        await asyncio.sleep(0.4)
        with pytest.raises(InvalidRequestError, match="timeout"):
            # Writing to a half-closed socket may still succeed; reading tells.
            await task.send_text("太晚了。")
            await task.finish()
            async for _ in task:
                pass  # pragma: no cover
        # The failure sticks: later calls report it again.
        with pytest.raises(InvalidRequestError, match="timeout"):
            await task.send_text("还在吗？")
    assert task.state is TaskState.FAILED


def test_client_refuses_unusable_keys(session: aiohttp.ClientSession) -> None:
    for key in ("", "  ", "sk-with space", "sk-ключ", "sk-\n1"):
        with pytest.raises(InvalidOptionError) as caught:
            CosyVoiceClient(session, key)
        assert caught.value.option == "api_key"
        if key.strip():
            assert key.strip() not in str(caught.value)


def test_client_defaults_to_beijing(session: aiohttp.ClientSession) -> None:
    client = CosyVoiceClient(session, "sk-x")
    assert client.endpoint == Endpoint.for_region("cn")
    assert "sk-x" not in repr(client)
    assert "dashscope.aliyuncs.com" in repr(client)


async def _until(condition: object, timeout: float = 3.0) -> None:
    assert callable(condition)
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
