"""Audio formats CosyVoice produces, and the few byte-level helpers streaming needs."""

from __future__ import annotations

import struct
from collections.abc import Callable
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


class WavHeaderStripper:
    """Drops the RIFF header at the start of a WAV stream, passing the samples on.

    Long text is spoken as several tasks, each of whose WAV streams starts with its
    own header; joined, only the first may keep it.
    """

    def __init__(self) -> None:
        """Start before the header."""
        self._pending = b""
        self._done = False

    def feed(self, chunk: bytes) -> bytes:
        """The PCM part of ``chunk``; b"" while the header is still incomplete."""
        if self._done:
            return chunk
        data = self._pending + chunk
        if data[:4] != b"RIFF":
            if len(data) < 4 and b"RIFF".startswith(data):
                self._pending = data
                return b""
            self._done = True  # no header after all: pass everything through
            return data
        offset = 12
        while offset + 8 <= len(data):
            chunk_id = data[offset : offset + 4]
            size = int.from_bytes(data[offset + 4 : offset + 8], "little")
            if chunk_id == b"data":
                self._done = True
                self._pending = b""
                return data[offset + 8 :]
            offset += 8 + size + (size & 1)
        self._pending = data
        return b""


def task_joiner(fmt: AudioFormat, task_index: int) -> Callable[[bytes], bytes]:
    """How a task's audio joins one stream: later WAV tasks lose their header."""
    if fmt == "wav" and task_index > 0:
        return WavHeaderStripper().feed
    return _unchanged


def _unchanged(chunk: bytes) -> bytes:
    return chunk
