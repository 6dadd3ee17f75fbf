"""A voice sample checked before it leaves the house: format, size, rate, length.

The service checks again (and better: it hears whether there is speech); checking
here turns the common mistakes into clear errors without an upload. WAV is read
whole, so silence is caught too; MP3 and M4A are only measured from their headers.
"""

from __future__ import annotations

import array
import struct
import sys
from dataclasses import dataclass
from typing import Final, Literal

from .errors import InvalidRequestError

MAX_SAMPLE_BYTES: Final = 10 * 1024 * 1024
MIN_SAMPLE_RATE: Final = 16_000
MIN_SAMPLE_SECONDS: Final = 5.0
MAX_SAMPLE_SECONDS: Final = 60.0
_SILENCE_RMS: Final = 100.0
"""16-bit RMS below which a WAV sample holds no speech (about -50 dBFS)."""

type SampleFormat = Literal["wav", "mp3", "m4a"]


class InvalidVoiceSampleError(InvalidRequestError, ValueError):
    """The voice sample cannot be cloned: wrong format, size, rate or length."""

    kind = "invalid_voice_sample"


@dataclass(frozen=True, slots=True)
class VoiceSample:
    """What a sample was measured to be."""

    format: SampleFormat
    sample_rate: int
    seconds: float

    @property
    def content_type(self) -> str:
        """Its MIME type, for an upload."""
        return {"wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4"}[
            self.format
        ]


def check_voice_sample(data: bytes) -> VoiceSample:
    """Measure ``data`` and raise :class:`InvalidVoiceSampleError` if it will not do."""
    if len(data) > MAX_SAMPLE_BYTES:
        raise InvalidVoiceSampleError(
            f"the sample is {len(data) / 1_048_576:.1f} MB; at most 10 MB is accepted"
        )
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        sample = _wav(data)
    elif data[4:8] == b"ftyp":
        sample = _m4a(data)
    elif data[:3] == b"ID3" or _mp3_frame(data, 0) is not None:
        sample = _mp3(data)
    else:
        raise InvalidVoiceSampleError(
            "the sample is not WAV, MP3 or M4A audio (the formats cloning accepts)"
        )
    if sample.sample_rate < MIN_SAMPLE_RATE:
        raise InvalidVoiceSampleError(
            f"the sample is recorded at {sample.sample_rate} Hz; at least 16000 Hz"
            " is needed"
        )
    if not MIN_SAMPLE_SECONDS <= sample.seconds <= MAX_SAMPLE_SECONDS:
        raise InvalidVoiceSampleError(
            f"the sample lasts {sample.seconds:.1f} s; it must last 5 to 60 s"
            " (10 to 20 s of clear speech is best)"
        )
    return sample


def _wav(data: bytes) -> VoiceSample:
    fmt: tuple[int, ...] | None = None
    pcm = b""
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, offset)
        body = data[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt " and len(body) >= 16:
            fmt = struct.unpack_from("<HHIIHH", body)
        elif chunk_id == b"data":
            pcm = body
        offset += 8 + size + (size & 1)
    if fmt is None:
        raise InvalidVoiceSampleError("the WAV sample has no format chunk")
    audio_format, channels, rate, _, _, bits = fmt
    if audio_format not in (1, 0xFFFE) or bits != 16 or channels < 1:
        raise InvalidVoiceSampleError("a WAV sample must be 16-bit PCM")
    frames = len(pcm) // (2 * channels)
    if frames and rate >= MIN_SAMPLE_RATE and _silent(pcm, channels):
        raise InvalidVoiceSampleError("the sample is silent: there is no speech in it")
    return VoiceSample("wav", rate, frames / rate if rate else 0.0)


def _silent(pcm: bytes, channels: int) -> bool:
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    first = samples[::channels]  # the service listens to the first channel only
    mean_square = sum(s * s for s in first) / len(first)
    return bool(mean_square**0.5 < _SILENCE_RMS)


# MPEG audio: (version bits) -> sample rates; bitrates of Layer III in kbit/s.
_MP3_RATES = {
    3: (44100, 48000, 32000),
    2: (22050, 24000, 16000),
    0: (11025, 12000, 8000),
}
_MP3_KBPS_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_KBPS_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)


def _mp3_frame(data: bytes, offset: int) -> tuple[int, int, int] | None:
    """(frame bytes, sample rate, samples per frame) of a Layer III header here."""
    if (
        offset + 4 > len(data)
        or data[offset] != 0xFF
        or data[offset + 1] & 0xE0 != 0xE0
    ):
        return None
    version = (data[offset + 1] >> 3) & 3
    layer = (data[offset + 1] >> 1) & 3
    bitrate_index = data[offset + 2] >> 4
    rate_index = (data[offset + 2] >> 2) & 3
    if version == 1 or layer != 1 or rate_index == 3 or bitrate_index in (0, 15):
        return None
    rate = _MP3_RATES[version][rate_index]
    kbps = (_MP3_KBPS_V1 if version == 3 else _MP3_KBPS_V2)[bitrate_index]
    per_frame = 1152 if version == 3 else 576
    padding = (data[offset + 2] >> 1) & 1
    return per_frame * kbps * 125 // rate + padding, rate, per_frame


def _mp3(data: bytes) -> VoiceSample:
    offset = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = data[6:10]
        offset = 10 + (size[0] << 21 | size[1] << 14 | size[2] << 7 | size[3])
    rate = 0
    samples = 0
    while (frame := _mp3_frame(data, offset)) is not None:
        length, rate, per_frame = frame
        samples += per_frame
        offset += length
    if not samples:
        raise InvalidVoiceSampleError("the MP3 sample has no audio frames")
    return VoiceSample("mp3", rate, samples / rate)


def _m4a(data: bytes) -> VoiceSample:
    moov = _box(data, 0, len(data), b"moov")
    trak = moov and _box(data, *moov, b"trak")
    mdia = trak and _box(data, *trak, b"mdia")
    mdhd = mdia and _box(data, *mdia, b"mdhd")
    if not mdia or not mdhd:
        raise InvalidVoiceSampleError("the M4A sample has no audio track")
    start, end = mdhd
    version_1 = start < end and data[start] == 1  # version 1: 64-bit times
    if start + (32 if version_1 else 20) > end:
        raise InvalidVoiceSampleError("the M4A sample's track header is cut short")
    if version_1:
        timescale, duration = struct.unpack_from(">IQ", data, start + 20)
    else:
        timescale, duration = struct.unpack_from(">II", data, start + 12)
    if not timescale:
        raise InvalidVoiceSampleError("the M4A sample has no time scale")
    return VoiceSample("m4a", _mp4a_rate(data, mdia) or timescale, duration / timescale)


def _mp4a_rate(data: bytes, mdia: tuple[int, int]) -> int | None:
    """The sample rate in the track's audio sample entry (16.16 fixed point)."""
    minf = _box(data, *mdia, b"minf")
    stbl = minf and _box(data, *minf, b"stbl")
    stsd = stbl and _box(data, *stbl, b"stsd")
    entry = stsd and _box(data, stsd[0] + 8, stsd[1], b"mp4a")
    if not entry or entry[0] + 28 > entry[1]:
        return None
    rate: int = struct.unpack_from(">H", data, entry[0] + 24)[0]
    return rate or None


def _box(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """(body start, body end) of the first ``kind`` box between start and end."""
    offset = start
    while offset + 8 <= end:
        size, found = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1 and offset + 16 <= end:
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header:
            return None
        if found == kind:
            return offset + header, min(offset + size, end)
        offset += size
    return None
