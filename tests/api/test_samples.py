"""Voice samples checked before they are uploaded."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import (
    InvalidVoiceSampleError,
    check_voice_sample,
)
from tests.voice_samples import m4a_sample, mp3_sample, wav_sample


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (wav_sample(6.0), ("wav", 16000, 6.0)),
        (wav_sample(12.0, 48000), ("wav", 48000, 12.0)),
        (mp3_sample(10.0), ("mp3", 44100, 10.0)),
        (m4a_sample(20.0, 48000), ("m4a", 48000, 20.0)),
    ],
    ids=["wav", "wav 48k", "mp3", "m4a"],
)
def test_good_samples_are_measured(
    data: bytes, expected: tuple[str, int, float]
) -> None:
    sample = check_voice_sample(data)
    assert (sample.format, sample.sample_rate) == expected[:2]
    assert sample.seconds == pytest.approx(expected[2], abs=0.05)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (wav_sample(3.0), "5 to 60 s"),
        (wav_sample(61.0, 16000), "5 to 60 s"),
        (wav_sample(8.0, 8000), "16000 Hz"),
        (wav_sample(8.0, silent=True), "silent"),
        (mp3_sample(2.0), "5 to 60 s"),
        (m4a_sample(90.0), "5 to 60 s"),
        (b"<html>not audio</html>", "not WAV, MP3 or M4A"),
        (b"", "not WAV, MP3 or M4A"),
        (b"RIFF\x00\x00\x00\x00WAVE", "no format chunk"),
        (b"\x00" * (10 * 1024 * 1024 + 1), "at most 10 MB"),
    ],
    ids=[
        "short",
        "long",
        "8 kHz",
        "silent",
        "short mp3",
        "long m4a",
        "html",
        "empty",
        "wav without fmt",
        "too big",
    ],
)
def test_bad_samples_say_why(data: bytes, words: str) -> None:
    with pytest.raises(InvalidVoiceSampleError, match=words) as raised:
        check_voice_sample(data)
    assert raised.value.caller_error
    assert raised.value.kind == "invalid_voice_sample"


def test_8_bit_wav_is_refused() -> None:
    data = bytearray(wav_sample(6.0))
    data[34] = 8  # bits per sample in the fmt chunk
    with pytest.raises(InvalidVoiceSampleError, match="16-bit PCM"):
        check_voice_sample(bytes(data))
