"""The audio: real, decodable, the right rate and length, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.emulator import DashScopeEmulator
from devtools.emulator.audio import ToneSynth, make_encoder, wav_header

from .wire import decode, open_ws, opus_input_rate

TEXT = "今天天气怎么样？Hello world."  # 27 billed characters
BILLED = 27
MS_PER_CHAR = 20.0  # the emulator fixture's setting


def _expected_samples(rate: int, speech_rate: float = 1.0) -> int:
    return round(BILLED * MS_PER_CHAR / speech_rate * rate / 1000)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
async def test_pcm(emulator: DashScopeEmulator, rate: int) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak(TEXT, format="pcm", sample_rate=rate)
    assert len(result.audio) == 2 * _expected_samples(rate)
    # One frame per 100 ms chunk of each sentence (15 and 12 characters here).
    assert [len(f) for f in result.frames][:3] == [2 * rate // 10] * 3
    assert result.audio == emulator.tasks[-1].audio


@pytest.mark.parametrize("rate", [8000, 22050, 48000])
async def test_wav(emulator: DashScopeEmulator, rate: int) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak(TEXT, format="wav", sample_rate=rate)
    frames = result.frames
    assert frames[0][:4] == b"RIFF"
    assert frames[0][8:16] == b"WAVEfmt "
    assert frames[0][:44] == wav_header(rate)
    assert all(b"RIFF" not in frame for frame in frames[1:])
    assert len(result.audio) == 44 + 2 * _expected_samples(rate)
    decoded_rate, samples = decode(result.audio)
    assert decoded_rate == rate
    assert samples == _expected_samples(rate)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
async def test_mp3(emulator: DashScopeEmulator, rate: int) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak(TEXT, format="mp3", sample_rate=rate)
    audio = result.audio
    assert audio[:3] != b"ID3"
    assert audio[0] == 0xFF  # an MPEG frame sync right away
    assert b"Xing" not in audio[:200]
    assert b"Info" not in audio[:200]
    decoded_rate, samples = decode(audio)
    assert decoded_rate == rate
    # The decoder keeps the encoder's delay and padding: allow two MPEG frames.
    assert 0 <= samples - _expected_samples(rate) <= 2 * 1152
    # The encoder's tail comes as one more synthesis+binary pair after the last
    # sentence-end, right before task-finished.
    assert isinstance(result.messages[-2], bytes)
    assert result.messages[-3]["payload"]["output"]["type"] == "sentence-synthesis"  # type: ignore[index]


@pytest.mark.parametrize("rate", [8000, 12000, 16000, 24000, 48000])
async def test_opus(emulator: DashScopeEmulator, rate: int) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak(TEXT, format="opus", sample_rate=rate, bit_rate=32)
    audio = result.audio
    assert audio[:4] == b"OggS"
    assert result.frames[0][:4] == b"OggS"
    assert opus_input_rate(audio) == rate
    assert emulator.tasks[-1].parameters["bit_rate"] == 32
    decoded_rate, samples = decode(audio)
    # libavcodec decodes Opus at 48 kHz whatever the input rate was.
    assert abs(samples / decoded_rate - BILLED * MS_PER_CHAR / 1000) <= 0.021


async def test_speech_rate_shortens_audio(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak(TEXT, format="pcm", sample_rate=16000, rate=2.0)
    assert len(result.audio) == 2 * _expected_samples(16000, 2.0)


async def test_same_input_same_bytes(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        first = await wire.speak(TEXT, format="mp3", sample_rate=24000)
        second = await wire.speak(TEXT, format="mp3", sample_rate=24000)
        higher = await wire.speak(TEXT, format="mp3", sample_rate=24000, pitch=1.5)
    assert first.audio == second.audio
    assert higher.audio != first.audio


async def test_volume_zero_is_silence(emulator: DashScopeEmulator) -> None:
    async with open_ws(emulator.ws_url) as wire:
        silent = await wire.speak(TEXT, volume=0)
        loud = await wire.speak(TEXT, volume=100)
    assert set(silent.audio) == {0}
    peak = np.abs(np.frombuffer(loud.audio, dtype="<i2")).max()
    assert peak > 20000


async def test_chunk_ms_controls_frame_size(emulator: DashScopeEmulator) -> None:
    emulator.config.chunk_ms = 40
    async with open_ws(emulator.ws_url) as wire:
        result = await wire.speak("你好你好。", sample_rate=16000)
    assert [len(f) for f in result.frames] == [1280] * 4 + [640]


async def test_task_without_text_sends_no_audio(emulator: DashScopeEmulator) -> None:
    for fmt in ("pcm", "wav", "mp3", "opus"):
        async with open_ws(emulator.ws_url) as wire:
            await wire.start(format=fmt, sample_rate=24000)
            await wire.continue_task("   ")
            await wire.finish_task()
            result = await wire.collect()
        assert result.frames == []
        assert result.last["payload"]["usage"]["characters"] == 0


def test_tone_synth_lengths_do_not_drift() -> None:
    synth = ToneSynth(22050, ms_per_char=33.3, rate=0.7)
    total = sum(len(synth.render(piece)) for piece in ["中a", "b ", "文。", "xyz"])
    assert total == round(11 * 33.3 / 0.7 * 22050 / 1000)
    assert len(synth.render("")) == 0


def test_make_encoder_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="flac"):
        make_encoder("flac", 22050)


def test_encoders_ignore_empty_input() -> None:
    empty = np.zeros(0, dtype=np.int16)
    for fmt in ("mp3", "opus"):
        encoder = make_encoder(fmt, 24000)
        assert encoder.encode(empty) == b""
        assert encoder.flush() == b""
        assert encoder.flush() == b""
