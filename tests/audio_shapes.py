"""Audio shapes a player asks Home Assistant for, and checking that they arrived."""

from __future__ import annotations

import io
import itertools
import wave
from dataclasses import dataclass
from typing import Any

import av

from tests.emulator.wire import opus_input_rate

RATES = (None, 8000, 11025, 16000, 22050, 24000, 44100, 48000)
CHANNELS = (None, 1, 2)
# Home Assistant converts sample widths to 16 bits only (ffmpeg -sample_fmt s16).
SAMPLE_BYTES = (None, 2)
MAGIC = {"wav": b"RIFF", "flac": b"fLaC", "ogg": b"OggS"}


@dataclass(frozen=True)
class Shape:
    """What a player asked for; None leaves it to the engine."""

    fmt: str
    rate: int | None
    channels: int | None
    sample_bytes: int | None

    def options(self) -> dict[str, Any]:
        asked = {
            "preferred_format": self.fmt,
            "preferred_sample_rate": self.rate,
            "preferred_sample_channels": self.channels,
            "preferred_sample_bytes": self.sample_bytes,
        }
        return {key: value for key, value in asked.items() if value is not None}


def shapes(fmt: str) -> list[Shape]:
    """Every combination of rate, channels and (lossless formats) sample width."""
    widths = SAMPLE_BYTES if fmt in ("wav", "flac") else (None,)
    return [Shape(fmt, *combo) for combo in itertools.product(RATES, CHANNELS, widths)]


def measure(fmt: str, data: bytes) -> tuple[int, int, int | None]:
    """Sample rate, channels and sample width (lossless formats only) of a file."""
    if fmt == "wav":
        with wave.open(io.BytesIO(data)) as wav:
            return wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        frame = next(container.decode(stream))
        rate = frame.sample_rate
        if stream.codec_context.name == "opus":
            rate = opus_input_rate(data)  # libopus always decodes at 48 kHz
        # FLAC decodes to the width it was encoded with (16-bit to s16).
        width = frame.format.bytes if fmt == "flac" else None
        return rate, frame.layout.nb_channels, width


def mismatch(shape: Shape, data: bytes) -> str | None:
    """How ``data`` differs from what was asked, or None when it is exactly that."""
    if shape.fmt == "mp3":
        if not (data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3")):
            return f"not MP3: {data[:4]!r}"
    elif not data.startswith(MAGIC[shape.fmt]):
        return f"not {shape.fmt}: {data[:4]!r}"
    rate, channels, width = measure(shape.fmt, data)
    wanted = (shape.rate, shape.channels, shape.sample_bytes)
    got = (rate, channels, width)
    if any(w is not None and w != g for w, g in zip(wanted, got, strict=True)):
        return f"got rate, channels, bytes {got}"
    return None
