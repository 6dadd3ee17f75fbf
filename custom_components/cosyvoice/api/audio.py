"""Audio formats CosyVoice produces, and the few byte-level helpers streaming needs."""

from __future__ import annotations

import struct
from typing import Final, Literal

AudioFormat = Literal["pcm", "wav", "mp3", "opus"]

FORMATS: Final[tuple[AudioFormat, ...]] = ("pcm", "wav", "mp3", "opus")
SAMPLE_RATES: Final[tuple[int, ...]] = (8000, 16000, 22050, 24000, 44100, 48000)
# libopus runs at these rates only; the service's own format list agrees.
OPUS_SAMPLE_RATES: Final[frozenset[int]] = frozenset({8000, 16000, 24000, 48000})

# What Home Assistant (and a browser) calls each format.
EXTENSIONS: Final[dict[AudioFormat, str]] = {
    "pcm": "pcm",
    "wav": "wav",
    "mp3": "mp3",
    "opus": "ogg",
}

SAMPLE_WIDTH: Final = 2  # bytes: CosyVoice PCM is signed 16-bit little-endian
CHANNELS: Final = 1

WAV_HEADER_SIZE: Final = 44
_UNKNOWN_SIZE: Final = 0xFFFFFFFF


def wav_header(sample_rate: int, data_size: int | None = None) -> bytes:
    """A 44-byte RIFF/WAVE header for mono 16-bit PCM.

    With ``data_size=None`` the size fields say "unknown" (0xFFFFFFFF), as a stream
    whose length is not known yet must.
    """
    if data_size is None:
        riff_size = data_chunk = _UNKNOWN_SIZE
    else:
        riff_size, data_chunk = 36 + data_size, data_size
    byte_rate = sample_rate * CHANNELS * SAMPLE_WIDTH
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        riff_size,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        CHANNELS,
        sample_rate,
        byte_rate,
        CHANNELS * SAMPLE_WIDTH,
        SAMPLE_WIDTH * 8,
        b"data",
        data_chunk,
    )
