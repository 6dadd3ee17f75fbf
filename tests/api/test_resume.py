"""A dropped connection loses nothing: one-shot requests are asked again, streams go on
from the sentence that was cut, on a new connection.

The emulator says which sentences it spoke and which sentence each frame belonged to,
so "nothing skipped, only the cut one heard again" is checked against what the service
side made, not against the client's own bookkeeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from custom_components.cosyvoice.api import (
    AudioFormat,
    ConnectionDroppedError,
    CosyVoiceClient,
    Endpoint,
    StreamingSettings,
    SynthesisOptions,
    Timeouts,
)
from custom_components.cosyvoice.api.retry import RetryPolicy
from devtools.emulator import DashScopeEmulator, Fault, TaskRecord
from devtools.emulator.text import billed_characters
from tests.conftest import TEST_API_KEY

from .audio_checks import assert_one_stream, decoded_seconds

SENTENCES = [
    "今天天气很好。",
    "我们出去走走吧。",
    "公园里的花都开了。",
    "湖边有很多人在钓鱼。",
    "傍晚我们再回家。",
]
TEXT = "".join(SENTENCES)
PCM = SynthesisOptions(format="pcm")
RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.01, deadline=10)
FAST = StreamingSettings(pause=0.05, idle_finish=0.3)
MS_PER_CHAR = 20.0  # the emulator fixture's

MakeClient = Callable[..., CosyVoiceClient]


@pytest.fixture
async def make_client(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> AsyncIterator[MakeClient]:
    """Clients on the emulator that retry quickly; all closed after the test."""
    made: list[CosyVoiceClient] = []

    def make(retry: RetryPolicy = RETRY) -> CosyVoiceClient:
        client = CosyVoiceClient(
            session,
            TEST_API_KEY,
            Endpoint.custom(emulator.ws_url),
            retry=retry,
            timeouts=Timeouts(connect=5, task_started=5, response=1),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def _collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def _llm(pause: float = 0.02) -> AsyncIterator[str]:
    """An answer written sentence by sentence, faster than ``FAST.pause``."""
    for sentence in SENTENCES:
        yield sentence
        await asyncio.sleep(pause)


def _bytes_of(task: TaskRecord, sentences: Callable[[int], bool]) -> int:
    return sum(
        len(frame)
        for frame, index in zip(task.frames, task.frame_sentences, strict=True)
        if sentences(index)
    )


def _assert_heard_once(audio: bytes, cut: TaskRecord, resumed: TaskRecord) -> int:
    """The audio is the cut task's, up to its drop, then all of the resumed task's.

    The cut task's part holds every frame of the sentences it finished and nothing
    past the sentence it was cut in. Returns how many sentences it finished.
    """
    done = len(SENTENCES) - len(resumed.sentences)
    assert cut.sentences[:done] + resumed.sentences == SENTENCES
    assert audio.endswith(resumed.audio)
    head = audio[: len(audio) - len(resumed.audio)]
    assert cut.audio.startswith(head)
    assert _bytes_of(cut, lambda i: i < done) <= len(head)
    assert len(head) <= _bytes_of(cut, lambda i: i <= done)
    return done


async def _settled(client: CosyVoiceClient, emulator: DashScopeEmulator) -> None:
    """Nothing left behind: no task of ours running, no connection but idle ones.

    A dropped connection's closing runs in the background for a moment.
    """

    def busy() -> list[str]:
        return [
            task.get_name()
            for task in asyncio.all_tasks()
            if task.get_name().startswith("cosyvoice-")
            and not task.get_name().startswith("cosyvoice-idle")
        ]

    async with asyncio.timeout(3):
        while busy() or emulator.open_connections > client.pool.idle_connections:
            await asyncio.sleep(0.01)
    assert client.pool.open_connections == client.pool.idle_connections


# --- One-shot: asked again from the start -----------------------------------------


async def test_one_shot_is_asked_again_from_the_start(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True, sentences=2, frames=1))
    client = make_client()
    result = await client.synthesize(TEXT, PCM)
    cut, again = emulator.tasks
    assert (cut.state, again.state) == ("dropped", "finished")
    # Nobody heard the first attempt: the whole text is asked again.
    assert again.texts == [TEXT]
    assert result.audio == again.audio
    assert client.stats.retries == 1
    await _settled(client, emulator)


# --- stream(): known text -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sentences", "frames"),
    [(0, 1), (2, 1), (2, 3), (2, 0), (4, 1)],
    ids=[
        "in the first sentence",
        "just inside the third",
        "in the middle of the third",
        "between two sentences",
        "in the last sentence",
    ],
)
async def test_stream_goes_on_from_the_cut_sentence(
    make_client: MakeClient, emulator: DashScopeEmulator, sentences: int, frames: int
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True, sentences=sentences, frames=frames))
    client = make_client()
    audio = await _collect(client.stream(TEXT, PCM))
    cut, resumed = emulator.tasks
    assert (cut.state, resumed.state) == ("dropped", "finished")
    assert cut.connection_id != resumed.connection_id
    # The new task is sent the text from the cut sentence on, no more, no less.
    assert "".join(resumed.texts) == "".join(SENTENCES[sentences:])
    assert _assert_heard_once(audio, cut, resumed) == sentences
    assert client.stats.retries == 1
    assert client.stats.successes == 1
    # What the service reported billing: the finished sentences, then the rest.
    assert client.stats.billed_characters == billed_characters(TEXT)
    await _settled(client, emulator)


@pytest.mark.parametrize("fmt", ["pcm", "wav", "mp3", "opus"])
async def test_the_joined_audio_stays_one_valid_stream(
    make_client: MakeClient, emulator: DashScopeEmulator, fmt: AudioFormat
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True, sentences=2, frames=2))
    client = make_client()
    options = SynthesisOptions(format=fmt, sample_rate=24000)
    audio = await _collect(client.stream(TEXT, options))
    cut, resumed = emulator.tasks
    assert (cut.state, resumed.sentences) == ("dropped", SENTENCES[2:])
    assert_one_stream(fmt, audio)
    # Every sentence plays once, the cut one's start (two frames) twice.
    seconds = decoded_seconds(fmt, audio, 24000)
    whole = billed_characters(TEXT) * MS_PER_CHAR / 1000
    again = billed_characters(SENTENCES[2]) * MS_PER_CHAR / 1000
    assert whole - 0.05 <= seconds <= whole + again + 0.15


async def test_a_wav_stream_keeps_its_first_header_only(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True, sentences=1, frames=1))
    client = make_client()
    audio = await _collect(client.stream(TEXT, SynthesisOptions(format="wav")))
    cut, resumed = emulator.tasks
    head = audio[: len(audio) - len(resumed.audio) + 44]
    assert cut.audio.startswith(head)
    assert audio == head + resumed.audio[44:]
    assert audio.count(b"RIFF") == 1


async def test_all_heard_before_the_drop_needs_no_new_task(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    # Cut after the last sentence ended, before task-finished: nothing is missing.
    emulator.add_fault(Fault.drop(after_audio=True, sentences=5, frames=0))
    client = make_client()
    audio = await _collect(client.stream(TEXT, PCM))
    (cut,) = emulator.tasks
    assert cut.state == "dropped"
    assert audio == cut.audio
    assert client.stats.retries == 0
    assert client.stats.successes == 1
    await _settled(client, emulator)


async def test_a_stream_that_gets_further_each_time_is_not_stopped_by_the_budget(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    # Every task is cut in its second sentence: three cuts, with a budget of two tries
    # in a row. Each attempt got a sentence further, so each failure is the first.
    emulator.add_fault(Fault.drop(after_audio=True, sentences=1, frames=1), times=3)
    client = make_client(retry=RetryPolicy(attempts=2, base_delay=0.01, deadline=10))
    audio = await _collect(client.stream(TEXT, PCM))
    *cuts, last = emulator.tasks
    assert [t.state for t in emulator.tasks] == ["dropped"] * 3 + ["finished"]
    heard = [cut.sentences[0] for cut in cuts] + last.sentences
    assert heard == SENTENCES
    assert audio.endswith(last.audio)
    assert client.stats.retries == 3


@pytest.mark.parametrize("streamed_text", [False, True], ids=["stream", "stream_text"])
async def test_a_drop_that_keeps_happening_ends_with_the_typed_error(
    make_client: MakeClient, emulator: DashScopeEmulator, streamed_text: bool
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True), times=10)
    client = make_client()
    chunks = (
        client.stream_text(_llm(), PCM, FAST)
        if streamed_text
        else client.stream(TEXT, PCM)
    )
    received = []
    with pytest.raises(ConnectionDroppedError) as caught:
        async for chunk in chunks:
            received.append(chunk)
    assert caught.value.audio_delivered
    # Three tries in all, each cut in the first sentence: each said it all again.
    assert [t.state for t in emulator.tasks] == ["dropped"] * 3
    assert all(t.sentences[0] == SENTENCES[0] for t in emulator.tasks)
    assert received
    assert client.stats.retries == 2
    assert client.stats.failures == {"ConnectionDroppedError": 1}
    await _settled(client, emulator)
    assert client.pool.open_connections == 0


@pytest.mark.parametrize("why", ["older events", "ssml"])
async def test_without_sentence_events_to_trust_a_stream_is_not_resumed(
    make_client: MakeClient, emulator: DashScopeEmulator, why: str
) -> None:
    text = TEXT
    if why == "older events":
        # No sentence-begin or -end: which audio ends which sentence is unknown.
        emulator.config.legacy_events = True
    else:
        # A document is sent whole and its tags are not spoken: nothing to resend.
        text = f"<speak>{TEXT}</speak>"
    emulator.add_fault(Fault.drop(after_audio=True, sentences=2, frames=1))
    client = make_client()
    received = []
    with pytest.raises(ConnectionDroppedError):
        async for chunk in client.stream(text, PCM):
            received.append(chunk)
    assert received
    assert len(emulator.tasks) == 1
    assert client.stats.retries == 0
    await _settled(client, emulator)


# --- stream_text(): text still being written -----------------------------------------


async def test_stream_text_goes_on_from_the_cut_sentence(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True, sentences=1, frames=1))
    client = make_client()
    audio = await _collect(client.stream_text(_llm(), PCM, FAST))
    cut, resumed = emulator.tasks
    assert (cut.state, resumed.state) == ("dropped", "finished")
    # What the cut task had been sent and not said, and what was written after the
    # drop, all went to the new task, from the cut sentence on.
    assert "".join(resumed.texts) == "".join(SENTENCES[1:])
    assert _assert_heard_once(audio, cut, resumed) == 1
    assert client.stats.successes == 1
    await _settled(client, emulator)


async def test_stream_text_cut_with_all_heard_goes_on_when_text_comes(
    make_client: MakeClient, emulator: DashScopeEmulator
) -> None:
    # The drop comes when the two sentences written so far were heard whole.
    emulator.add_fault(Fault.drop(after_audio=True, sentences=2, frames=0))

    async def llm() -> AsyncIterator[str]:
        yield SENTENCES[0]
        await asyncio.sleep(0.02)
        yield SENTENCES[1]
        await asyncio.sleep(0.2)
        for sentence in SENTENCES[2:]:
            yield sentence

    client = make_client()
    audio = await _collect(client.stream_text(llm(), PCM, FAST))
    cut, later = emulator.tasks
    assert cut.sentences == SENTENCES[:2]
    assert later.sentences == SENTENCES[2:]
    assert audio == cut.audio + later.audio
    assert client.stats.retries == 0
    await _settled(client, emulator)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus"])
async def test_stream_text_joined_audio_stays_one_valid_stream(
    make_client: MakeClient, emulator: DashScopeEmulator, fmt: AudioFormat
) -> None:
    emulator.add_fault(Fault.drop(after_audio=True, sentences=1, frames=2))
    client = make_client()
    options = SynthesisOptions(format=fmt, sample_rate=24000)
    audio = await _collect(client.stream_text(_llm(), options, FAST))
    _, resumed = emulator.tasks
    assert resumed.sentences == SENTENCES[1:]
    assert_one_stream(fmt, audio)
