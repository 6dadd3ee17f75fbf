"""Streaming input: text still being written goes in, audio comes out meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from custom_components.cosyvoice.api import (
    ConnectionDroppedError,
    CosyVoiceClient,
    CosyVoiceError,
    InvalidOptionError,
    InvalidTextError,
    RoutingSettings,
    StreamingSettings,
    SynthesisOptions,
)
from custom_components.cosyvoice.api.audio import WAV_HEADER_SIZE
from custom_components.cosyvoice.api.text import (
    MAX_CHARS_PER_MESSAGE,
    Piece,
    billed_length,
)
from custom_components.cosyvoice.api.text_stream import TextBatcher
from devtools.emulator import DashScopeEmulator, Fault

FAST = StreamingSettings(pause=0.05, idle_finish=0.3)
# Generous guard: only a broken stream waits this long; nothing is timed.
GUARD = 10.0


async def _collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def test_first_audio_arrives_before_the_text_is_finished(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    first_audio = asyncio.Event()
    events: list[str] = []

    async def llm() -> AsyncIterator[str]:
        for word in ["今天", "天气", "很好。"]:
            events.append(f"text {word}")
            yield word
        # The rest of the answer waits until audio came back: only a real stream
        # gets past this point.
        await asyncio.wait_for(first_audio.wait(), GUARD)
        for word in ["我们", "出去", "走走吧。"]:
            events.append(f"text {word}")
            yield word
        events.append("text done")

    audio = bytearray()
    # PCM: the emulator's MP3 encoder holds back very short audio until the task ends.
    options = SynthesisOptions(format="pcm")
    async for chunk in client.stream_text(llm(), options, FAST):
        if not first_audio.is_set():
            events.append("audio")
            first_audio.set()
        audio += chunk
    assert events.index("audio") < events.index("text 我们")
    assert events[-1] == "text done"
    (task,) = emulator.tasks
    assert task.state == "finished"
    # Batched at the sentence end: the first sentence went out whole.
    assert task.texts[0] == "今天天气很好。"
    assert "".join(task.texts) == "今天天气很好。我们出去走走吧。"
    assert bytes(audio) == task.audio
    assert client.stats.successes == 1
    assert client.stats.billed_characters == task.characters


async def test_a_pause_flushes_an_unfinished_sentence(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    first_audio = asyncio.Event()

    async def slow_llm() -> AsyncIterator[str]:
        yield "Hello there, and"
        yield " welcome"  # no sentence end: only the pause flush makes it speak
        await asyncio.wait_for(first_audio.wait(), GUARD)
        yield " home."

    options = SynthesisOptions(format="pcm")
    async for _ in client.stream_text(slow_llm(), options, FAST):
        first_audio.set()
    (task,) = emulator.tasks
    assert task.texts == ["Hello there, and welcome", " home."]


async def test_whole_text_takes_the_router(
    session: object, client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    client.routing = RoutingSettings(route="auto")

    async def one_piece() -> AsyncIterator[str]:
        yield "你好。"

    # The emulator fixture's client has no HTTP URL: the router picks the WebSocket,
    # and the text goes in one message as the one-shot path sends it.
    audio = await _collect(client.stream_text(one_piece(), SynthesisOptions(), FAST))
    (task,) = emulator.tasks
    assert task.texts == ["你好。"]
    assert audio == task.audio


async def test_ssml_is_read_whole_and_sent_as_ssml(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    async def ssml() -> AsyncIterator[str]:
        yield "<speak>你好"
        await asyncio.sleep(0.1)  # longer than the pause: still one document
        yield '<break time="200ms"/>世界</speak>'

    await _collect(client.stream_text(ssml(), SynthesisOptions(), FAST))
    (task,) = emulator.tasks
    assert task.texts == ['<speak>你好<break time="200ms"/>世界</speak>']
    assert task.parameters["enable_ssml"] is True


@pytest.mark.parametrize("pieces", [[], ["", "  ", "\n"]])
async def test_empty_text_is_refused(
    client: CosyVoiceClient, emulator: DashScopeEmulator, pieces: list[str]
) -> None:
    async def nothing() -> AsyncIterator[str]:
        for piece in pieces:
            yield piece

    with pytest.raises(InvalidTextError):
        await _collect(client.stream_text(nothing(), SynthesisOptions(), FAST))
    assert not emulator.tasks


NO_TEXT_TIMEOUT = 0.6
"""The service's no-text timeout in these tests (23 s for real)."""


async def _slow_text(pause: float) -> AsyncIterator[str]:
    yield "第一句话。"
    yield "还有"
    await asyncio.sleep(pause)
    yield "第二句话。"


async def test_slow_text_continues_in_a_new_task(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.task_text_timeout = NO_TEXT_TIMEOUT
    # A pause longer than the service's no-text timeout.
    audio = await _collect(
        client.stream_text(_slow_text(1.0), SynthesisOptions(format="pcm"), FAST)
    )
    assert [task.state for task in emulator.tasks] == ["finished", "finished"]
    assert [t.texts for t in emulator.tasks] == [["第一句话。", "还有"], ["第二句话。"]]
    assert audio == emulator.tasks[0].audio + emulator.tasks[1].audio
    # The second task reused the first one's connection.
    assert emulator.connections_opened == 1


async def test_without_finishing_early_the_service_would_fail_the_task(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.task_text_timeout = NO_TEXT_TIMEOUT
    # The same text with the keep-alive effectively off: proof the test above tests it.
    lazy = StreamingSettings(pause=0.05, idle_finish=5.0)
    with pytest.raises(CosyVoiceError, match="request timeout"):
        await _collect(client.stream_text(_slow_text(1.0), SynthesisOptions(), lazy))


async def test_wav_across_tasks_keeps_one_header(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.task_text_timeout = NO_TEXT_TIMEOUT
    audio = await _collect(
        client.stream_text(_slow_text(1.0), SynthesisOptions(format="wav"), FAST)
    )
    first, second = emulator.tasks
    assert audio == first.audio + second.audio[WAV_HEADER_SIZE:]
    assert audio.count(b"RIFF") == 1


async def test_consumer_leaving_closes_the_task(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    stop = asyncio.Event()

    async def endless() -> AsyncIterator[str]:
        yield "第一句。"
        await stop.wait()
        yield "never"

    chunks = client.stream_text(endless(), SynthesisOptions(), FAST)
    assert await anext(chunks)
    await chunks.aclose()
    (task,) = emulator.tasks
    await asyncio.sleep(0)
    assert client.pool.open_connections == 0  # an unfinished task's socket is closed
    assert client.stats.failures["Cancelled"] == 1
    leftovers = [
        t.get_name()
        for t in asyncio.all_tasks()
        if t.get_name().startswith("cosyvoice-text")
    ]
    assert leftovers == []
    assert task.texts == ["第一句。"]


async def test_failure_mid_stream_ends_the_stream_with_the_error(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.task_failed("InternalError", "boom", after_audio=True))
    received: list[bytes] = []

    async def llm() -> AsyncIterator[str]:
        yield "第一句。"
        await asyncio.sleep(0.1)
        yield "第二句。"

    with pytest.raises(Exception, match="boom") as raised:
        async for chunk in client.stream_text(llm(), SynthesisOptions(), FAST):
            received.append(chunk)
    assert raised.value.__class__.__name__ == "ServiceUnavailableError"
    assert received  # some audio had been delivered: no retry
    assert client.pool.open_connections == 0


async def test_connection_lost_mid_stream(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True))

    async def llm() -> AsyncIterator[str]:
        yield "第一句。"
        yield "第二句。"

    with pytest.raises(ConnectionDroppedError) as raised:
        await _collect(client.stream_text(llm(), SynthesisOptions(), FAST))
    assert raised.value.audio_delivered


async def test_text_source_failing_ends_the_stream(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    async def broken() -> AsyncIterator[str]:
        yield "第一句。"
        yield "还有"
        await asyncio.sleep(0.1)
        raise RuntimeError("LLM went away")

    with pytest.raises(RuntimeError, match="LLM went away"):
        await _collect(client.stream_text(broken(), SynthesisOptions(), FAST))
    assert client.pool.open_connections == 0


async def test_more_than_a_task_holds_goes_to_the_next_task(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    emulator.config.ms_per_char = 0.01
    sentence = "字" * 8999 + "。"  # 18,000 billed characters a piece, one sentence

    async def lots() -> AsyncIterator[str]:
        for _ in range(12):  # 216,000 in all: over the 200,000 a task takes
            yield sentence

    audio = await _collect(
        client.stream_text(lots(), SynthesisOptions(format="pcm"), FAST)
    )
    assert len(emulator.tasks) == 2
    assert all(t.state == "finished" for t in emulator.tasks)
    assert audio == b"".join(t.audio for t in emulator.tasks)


# TextBatcher: where streamed text is cut into messages.


def _texts(pieces: list[Piece]) -> list[str]:
    """The pieces' texts, after checking each carries its billed length."""
    assert all(p.length == billed_length(p.text) for p in pieces)
    return [p.text for p in pieces]


def test_waits_for_a_sentence_end() -> None:
    batcher = TextBatcher()
    assert _texts(batcher.feed("今天天气")) == []
    assert _texts(batcher.feed("很好。明天")) == ["今天天气很好。"]
    assert batcher.pending == "明天"
    assert _texts(batcher.feed("下雨！后天？")) == ["明天下雨！后天？"]
    assert _texts(batcher.flush()) == []


def test_english_period_needs_the_next_character() -> None:
    batcher = TextBatcher()
    assert _texts(batcher.feed("Pi is 3.")) == []  # could be 3.14
    assert _texts(batcher.feed("14. It")) == ["Pi is 3.14."]
    assert batcher.pending == " It"
    assert _texts(batcher.feed(" rains")) == []
    assert _texts(batcher.feed("!")) == [" It rains!"]


def test_closing_quotes_stay_with_their_sentence() -> None:
    batcher = TextBatcher()
    assert _texts(batcher.feed("他说：“你好。”然后")) == ["他说：“你好。”"]
    assert _texts(batcher.feed('走了。" Next')) == ['然后走了。"']


def test_a_long_run_without_sentence_end_is_cut_at_a_clause() -> None:
    batcher = TextBatcher(clause_chars=10)
    assert (
        _texts(batcher.feed("one, two")) == []
    )  # short: keep waiting for the sentence end
    assert _texts(batcher.feed(", three, four and")) == ["one, two, three,"]
    assert batcher.pending == " four and"


def test_flush_hands_out_the_rest_but_never_whitespace() -> None:
    batcher = TextBatcher()
    batcher.feed("  ")
    assert _texts(batcher.flush()) == []
    batcher.feed("no end yet")
    assert _texts(batcher.flush()) == ["no end yet"]
    assert batcher.pending == ""


def test_nothing_over_the_message_limit() -> None:
    batcher = TextBatcher()
    huge = "字" * (MAX_CHARS_PER_MESSAGE // 2 + 10)  # no boundary anywhere
    pieces = batcher.feed(huge)
    assert len(pieces) >= 2
    assert all(p.length == billed_length(p.text) for p in pieces)
    assert all(p.length <= MAX_CHARS_PER_MESSAGE for p in pieces)
    assert "".join(_texts(pieces)) == huge


@pytest.mark.parametrize(
    "kwargs",
    [{"pause": 0}, {"pause": 5, "idle_finish": 5}, {"clause_chars": 0}],
)
def test_settings_are_checked(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidOptionError):
        StreamingSettings(**kwargs)
