"""SSML and long text against the emulator: what is sent, and the audio that comes back."""

from __future__ import annotations

import io
import wave

import aiohttp
import av
import pytest

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    Endpoint,
    InvalidOptionError,
    RetryPolicy,
    SynthesisOptions,
    billed_length,
)
from custom_components.cosyvoice.api.ssml import InvalidSsmlError
from devtools.emulator import DashScopeEmulator, EmulatorConfig, Fault
from tests.conftest import TEST_API_KEY

DOC = '<speak rate="1.2">你好<break time="200ms"/>，世界。Hello &amp; welcome.</speak>'


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # Very short audio per character: long texts stay quick to make and check.
    return EmulatorConfig(api_keys={TEST_API_KEY}, ms_per_char=0.5)


async def test_ssml_goes_in_one_message_with_enable_ssml(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    result = await client.synthesize(DOC, SynthesisOptions(format="pcm"))
    record = emulator.tasks[-1]
    assert record.texts == [DOC]
    assert record.parameters["enable_ssml"] is True
    assert result.audio == record.audio
    assert result.characters == billed_length("你好，世界。Hello & welcome.")


async def test_plain_text_with_markup_characters_is_spoken_as_text(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    text = "1 < 2 & 3 > 2 😀 <b>not ssml</b>"
    result = await client.synthesize(
        text, SynthesisOptions(format="pcm", clean_text=False)
    )
    record = emulator.tasks[-1]
    assert "enable_ssml" not in record.parameters
    assert record.texts == [text]
    assert result.characters == billed_length(text)


@pytest.mark.parametrize(
    ("text", "options", "error"),
    [
        ("<speak>你好", SynthesisOptions(), InvalidSsmlError),
        (
            "<speak>你好</speak>",
            SynthesisOptions(model="cosyvoice-v1", voice="longwan"),
            InvalidOptionError,
        ),
    ],
)
async def test_bad_ssml_is_refused_before_any_traffic(
    client: CosyVoiceClient,
    emulator: DashScopeEmulator,
    text: str,
    options: SynthesisOptions,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await client.synthesize(text, options)
    with pytest.raises(error):
        async for _ in client.stream(text, options):
            pass  # pragma: no cover
    assert emulator.connections_opened == 0


async def test_fifty_thousand_han_characters_go_in_several_messages(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    text = "床前明月光，疑是地上霜。举头望明月，低头思故乡。" * 2_000  # 48,000 Han
    chunks = [c async for c in client.stream(text, SynthesisOptions(format="mp3"))]
    assert len(emulator.tasks) == 1
    record = emulator.tasks[0]
    assert len(record.texts) == 5
    assert "".join(record.texts) == text
    assert all(billed_length(t) <= 20_000 for t in record.texts)
    assert all(t.endswith("。") for t in record.texts)
    assert b"".join(chunks) == record.audio
    assert _decoded_seconds(record.audio, "mp3") == pytest.approx(
        billed_length(text) * 0.5 / 1000, abs=0.2
    )


@pytest.mark.parametrize("fmt", ["wav", "pcm", "mp3"])
async def test_over_the_task_limit_becomes_several_tasks_joined(
    client: CosyVoiceClient, emulator: DashScopeEmulator, fmt: str
) -> None:
    # Long sentences keep the event count (and the test) small.
    sentence = "The quick brown fox jumps over the lazy dog, " * 10 + "again. "
    text = sentence * 548  # 250,396 billed characters
    options = SynthesisOptions(format=fmt, sample_rate=8000)  # type: ignore[arg-type]
    result = await client.synthesize(text, options)
    assert len(emulator.tasks) == 2
    assert "".join(t for task in emulator.tasks for t in task.texts) == text
    # What the service billed: it skips whitespace-only leftovers.
    assert result.characters == sum(task.characters for task in emulator.tasks)
    assert abs(result.characters - billed_length(text)) <= 2
    expected_seconds = billed_length(text) * 0.5 / 1000
    if fmt == "wav":
        # One header, then every task's samples.
        assert result.audio.count(b"RIFF") == 1
        pcm = b"".join(task.audio[44:] for task in emulator.tasks)
        assert result.audio[44:] == pcm
        with wave.open(io.BytesIO(result.audio[:44] + pcm)) as wav:
            assert wav.getframerate() == 8000
        assert len(pcm) / 2 / 8000 == pytest.approx(expected_seconds, abs=0.05)
    elif fmt == "pcm":
        assert result.audio == b"".join(task.audio for task in emulator.tasks)
        assert len(result.audio) / 2 / 8000 == pytest.approx(expected_seconds, abs=0.05)
    else:
        # Each task's encoder adds its own priming and padding (~0.2 s).
        assert _decoded_seconds(result.audio, "mp3") == pytest.approx(
            expected_seconds, abs=0.5
        )


async def test_streamed_wav_over_several_tasks_has_one_header(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    text = ("床前明月光疑是地上霜举头望明月低头思故乡" * 5 + "。") * 1_045  # 210,045
    audio = b"".join(
        [c async for c in client.stream(text, SynthesisOptions(format="wav"))]
    )
    assert len(emulator.tasks) == 2
    assert audio.count(b"RIFF") == 1
    assert audio[44:] == b"".join(task.audio[44:] for task in emulator.tasks)


def _decoded_seconds(data: bytes, fmt: str) -> float:
    with av.open(io.BytesIO(data), format=fmt) as container:
        samples = 0
        rate = 0
        for frame in container.decode(audio=0):
            samples += frame.samples
            rate = frame.sample_rate
    return samples / rate


async def test_a_later_wav_task_retried_after_audio_still_has_no_header(
    session: aiohttp.ClientSession, emulator: DashScopeEmulator
) -> None:
    """A retry starts the task's audio over, header stripping included."""
    drops = iter([None, Fault.drop(after_audio=True)])
    next_task = emulator._faults.next_task
    emulator._faults.next_task = lambda: next(drops, None) or next_task()  # type: ignore[method-assign]
    client = CosyVoiceClient(
        session,
        TEST_API_KEY,
        Endpoint.custom(emulator.ws_url),
        retry=RetryPolicy(attempts=2, base_delay=0),
    )
    try:
        text = ("床前明月光疑是地上霜举头望明月低头思故乡" * 5 + "。") * 1_045
        result = await client.synthesize(text, SynthesisOptions(format="wav"))
    finally:
        await client.close()
    # The second task failed once after audio and was made again.
    assert len(emulator.tasks) == 3
    assert client.stats.retries == 1
    assert result.audio.count(b"RIFF") == 1
    pcm = emulator.tasks[0].audio[44:] + emulator.tasks[2].audio[44:]
    assert result.audio[44:] == pcm
