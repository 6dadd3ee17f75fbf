"""The spare voice's speech: valid WAV from espeak-ng or a tone, never the network."""

from __future__ import annotations

import io
import struct
import wave

import pytest

from devtools.custom_components.spare_voice import speech


def _frames(data: bytes) -> tuple[int, int]:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getframerate(), wav.getnframes()


def test_a_tone_is_a_wav_as_long_as_its_message_within_bounds() -> None:
    rate, frames = _frames(speech.tone(10))
    assert rate == speech.TONE_RATE
    assert frames == pytest.approx(10 * speech.TONE_SECONDS_PER_CHAR * rate, abs=40)
    _, longest = _frames(speech.tone(100_000))
    assert longest == pytest.approx(speech.TONE_MAX_SECONDS * rate, abs=40)


def test_a_wav_written_to_a_pipe_gets_its_true_sizes() -> None:
    frames = b"\1\0" * 100
    # What espeak-ng writes to a pipe: sizes it cannot know, near 2 GB.
    piped = (
        b"RIFF"
        + struct.pack("<I", 0x7FFFF024)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 22050, 44100, 2, 16)
        + b"data"
        + struct.pack("<I", 0x7FFFF000)
        + frames
    )
    fixed = speech.fixed_wav(piped)
    assert struct.unpack_from("<I", fixed, 4)[0] == len(fixed) - 8
    assert _frames(fixed) == (22050, 100)
    assert speech.fixed_wav(b"no wav at all") == b"no wav at all"


async def test_it_speaks_with_whatever_there_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if speech.ESPEAK is not None:
        rate, frames = _frames(await speech.speak("你好，欢迎回家。", "zh"))
        assert (rate, frames > rate // 2) == (22050, True)
    monkeypatch.setattr(speech, "ESPEAK", None)
    assert speech.speaker() == "tone"
    assert _frames(await speech.speak("Hello.", "en"))[0] == speech.TONE_RATE
