"""Deterministic "speech" (one tone per character) and streaming audio encoders.

The audio is not speech, but it is real audio of the requested format whose
length follows the billed characters, so a client's decoding, timing and
concatenation can be tested for real. Same text and parameters give the same
bytes.
"""

from __future__ import annotations

import struct
from typing import Any, Protocol, cast

import av
import numpy as np
import numpy.typing as npt

from .text import billed_characters

Samples = npt.NDArray[np.int16]

FORMATS = ("pcm", "wav", "mp3", "opus")
SAMPLE_RATES = (8000, 12000, 16000, 22050, 24000, 44100, 48000)
# libopus encodes only at these rates.
OPUS_SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)

_EMPTY: Samples = np.zeros(0, dtype=np.int16)
_FADE_S = 0.005
_FULL_SCALE = 32767 * 0.8
# Sizes are unknown while streaming, so the RIFF and data lengths say "max".
_UNKNOWN_SIZE = 0xFFFFFFFF


class ToneSynth:
    """Turns text into tones: each character sounds for its billed share of time.

    The running total of billed characters decides where each character ends,
    so rounding never accumulates: after any prefix of the text, the sample
    count is exactly round(billed × ms_per_char / rate × sample_rate / 1000).
    """

    def __init__(
        self,
        sample_rate: int,
        *,
        ms_per_char: float,
        rate: float = 1.0,
        pitch: float = 1.0,
        volume: int = 50,
    ) -> None:
        """Set the voice: ``rate`` shortens, ``pitch`` raises, ``volume`` 0 mutes."""
        self.sample_rate = sample_rate
        self._samples_per_unit = ms_per_char / rate * sample_rate / 1000
        self._pitch = pitch
        self._amplitude = _FULL_SCALE * volume / 100
        self._units = 0
        self._samples = 0

    def samples_for(self, units: int) -> int:
        """Samples a fresh synth renders for text billed as ``units`` characters."""
        return round(units * self._samples_per_unit)

    def render(self, text: str) -> Samples:
        """Return the samples of ``text``, continuing from the previous call."""
        pieces = [self._render_char(char) for char in text]
        if not pieces:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(pieces)

    def _render_char(self, char: str) -> Samples:
        self._units += billed_characters(char)
        end = round(self._units * self._samples_per_unit)
        count, self._samples = end - self._samples, end
        if char.isspace() or self._amplitude == 0:
            return np.zeros(count, dtype=np.int16)
        # Spread the code points over ~220-680 Hz: neighbouring characters differ.
        frequency = (220 + (ord(char) * 37) % 461) * self._pitch
        t = np.arange(count) / self.sample_rate
        wave = np.sin(2 * np.pi * frequency * t) * self._amplitude
        fade = min(count // 2, int(_FADE_S * self.sample_rate))
        if fade:
            ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
            wave[:fade] *= ramp
            wave[count - fade :] *= ramp[::-1]
        return wave.astype(np.int16)


class Chunker:
    """Cuts a stream of sample pieces into chunks of a fixed length."""

    def __init__(self, size: int) -> None:
        """Emit chunks of ``size`` samples."""
        self._size = size
        self._pending: list[Samples] = []
        self._count = 0

    def push(self, samples: Samples) -> list[Samples]:
        """Add ``samples``; return the complete chunks now available."""
        self._pending.append(samples)
        self._count += len(samples)
        if self._count < self._size:
            return []
        joined = np.concatenate(self._pending)
        whole = len(joined) - len(joined) % self._size
        rest = joined[whole:]
        self._pending, self._count = [rest], len(rest)
        return [
            joined[start : start + self._size] for start in range(0, whole, self._size)
        ]

    def drain(self) -> Samples:
        """Return what is left (shorter than a chunk, maybe empty)."""
        rest = np.concatenate(self._pending) if self._pending else _EMPTY
        self._pending, self._count = [], 0
        return rest


class StreamEncoder(Protocol):
    """Encodes one task's audio as a single continuous stream, piece by piece."""

    def encode(self, samples: Samples) -> bytes:
        """Return the bytes ready after adding ``samples`` (may be empty)."""

    def flush(self) -> bytes:
        """End the stream and return its remaining bytes."""

    def close(self) -> None:
        """Let go of the stream without ending it (a task cut short); idempotent."""


class PcmEncoder:
    """Raw signed 16-bit little-endian mono."""

    def encode(self, samples: Samples) -> bytes:
        """Return the samples as s16le bytes."""
        return samples.astype("<i2").tobytes()

    def flush(self) -> bytes:
        """Raw PCM has no trailer."""
        return b""

    def close(self) -> None:
        """Nothing is held."""


def wav_header(sample_rate: int, data_size: int | None = None) -> bytes:
    """Return a 44-byte RIFF/WAVE header for mono s16 audio.

    ``data_size`` is the PCM byte count when it is known in advance (the HTTP
    API); streamed WebSocket audio leaves both sizes at 0xFFFFFFFF.
    """
    riff_size = _UNKNOWN_SIZE if data_size is None else 36 + data_size
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        riff_size,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        1,  # mono
        sample_rate,
        sample_rate * 2,
        2,
        16,
        b"data",
        _UNKNOWN_SIZE if data_size is None else data_size,
    )


class WavEncoder(PcmEncoder):
    """A WAV header in front of the first piece, raw PCM after it (doc §2.6)."""

    def __init__(self, sample_rate: int, data_size: int | None = None) -> None:
        """Remember the rate (and the PCM size, if known) for the header."""
        self._header: bytes | None = wav_header(sample_rate, data_size)

    def encode(self, samples: Samples) -> bytes:
        """Return PCM bytes, with the header the first time only."""
        data = super().encode(samples)
        if self._header is not None:
            data, self._header = self._header + data, None
        return data


class _Sink:
    """A write-only file for PyAV's muxer; written bytes are drained by the caller."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _frame(samples: Samples, sample_rate: int, pts: int, sample_format: str) -> Any:
    frame = av.AudioFrame.from_ndarray(
        samples.reshape(1, -1), format=sample_format, layout="mono"
    )
    frame.sample_rate = sample_rate
    frame.pts = pts
    return frame


class Mp3Encoder:
    """Raw MPEG audio frames from libmp3lame: no ID3 tag, no Xing header."""

    def __init__(self, sample_rate: int) -> None:
        """Open the encoder."""
        self._sample_rate = sample_rate
        # PyAV's stubs type create() as the generic CodecContext in some versions.
        self._codec = cast("Any", av.CodecContext.create("libmp3lame", "w"))
        self._codec.sample_rate = sample_rate
        self._codec.layout = "mono"
        self._codec.format = "s16p"
        self._codec.bit_rate = 64000 if sample_rate < 32000 else 128000
        self._pts = 0
        self._flushed = False

    def encode(self, samples: Samples) -> bytes:
        """Feed PCM; return the MPEG frames that came out."""
        if not len(samples):
            return b""
        frame = _frame(samples, self._sample_rate, self._pts, "s16p")
        self._pts += len(samples)
        return b"".join(bytes(packet) for packet in self._codec.encode(frame))

    def flush(self) -> bytes:
        """Drain the encoder's delay buffer (once; later calls return nothing)."""
        if self._flushed:
            return b""
        self._flushed = True
        return b"".join(bytes(packet) for packet in self._codec.encode(None))

    def close(self) -> None:
        """The codec holds no file: dropping it is enough."""
        self._flushed = True


class OpusEncoder:
    """Ogg Opus written by PyAV's ogg muxer into memory and drained as it grows."""

    def __init__(self, sample_rate: int, bit_rate_kbps: int) -> None:
        """Open the muxer; pages are cut every 20 ms so audio trickles out.

        ``bitexact`` makes the Ogg serial number fixed instead of random, so the
        same input gives the same bytes.
        """
        self._sample_rate = sample_rate
        self._sink = _Sink()
        self._container = av.open(
            self._sink,
            "w",
            format="ogg",
            options={"page_duration": "20000", "fflags": "+bitexact"},
        )
        self._stream = self._container.add_stream(
            "libopus", rate=sample_rate, layout="mono"
        )
        self._stream.bit_rate = bit_rate_kbps * 1000
        self._pts = 0
        self._closed = False

    def encode(self, samples: Samples) -> bytes:
        """Feed PCM; return the Ogg pages written so far."""
        if not len(samples):
            return b""
        frame = _frame(samples, self._sample_rate, self._pts, "s16")
        self._pts += len(samples)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        return self._sink.drain()

    def flush(self) -> bytes:
        """Drain the encoder, write the last page and close the stream."""
        if self._closed:
            return b""
        self._closed = True
        if not self._pts:
            # No audio: an empty task sends no bytes at all, not a bare header.
            self._container.close()
            self._sink.drain()
            return b""
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return self._sink.drain()

    def close(self) -> None:
        """Close the muxer unflushed; what it still writes is dropped.

        A muxer left to the garbage collector while it writes to a Python file
        corrupts the heap with some PyAV builds (16.0 under Home Assistant 2026).
        """
        if not self._closed:
            self._closed = True
            self._container.close()
            self._sink.drain()


def make_encoder(
    fmt: str,
    sample_rate: int,
    bit_rate_kbps: int = 32,
    *,
    wav_data_size: int | None = None,
) -> StreamEncoder:
    """Return a fresh stream encoder for one task (``wav_data_size``: see wav_header)."""
    if fmt == "pcm":
        return PcmEncoder()
    if fmt == "wav":
        return WavEncoder(sample_rate, wav_data_size)
    if fmt == "mp3":
        return Mp3Encoder(sample_rate)
    if fmt == "opus":
        return OpusEncoder(sample_rate, bit_rate_kbps)
    raise ValueError(f"unsupported format {fmt!r}")
