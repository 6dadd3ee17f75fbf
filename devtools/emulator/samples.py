"""A voice sample's format, sample rate and length, read from its bytes (doc §6.2).

The format is recognised from the bytes, never from a URL's extension: WAV
(RIFF/WAVE, 16-bit PCM), MP3 (MPEG-1/2/2.5 Layer III frames, maybe after an
ID3v2 tag) or M4A (ISO-BMFF with an ``mp4a`` audio track). Only WAV is decoded,
for the silence check; MP3 and M4A are judged by their headers alone: MP3 by
the sum of its frames, M4A by the audio track's ``mdhd`` duration and its
``mp4a`` sample entry's rate.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

SampleFormat = Literal["wav", "mp3", "m4a"]

MAX_BYTES = 10 * 1024 * 1024
"""The largest sample accepted: 10 MB."""
MIN_SAMPLE_RATE = 16_000
MIN_SECONDS = 5.0
MAX_SECONDS = 60.0
SILENCE_RMS = 100.0
"""A WAV whose first channel's RMS (16-bit scale) is below this has no speech
(about -50 dBFS)."""

UNSUPPORTED = "unsupported audio format: use WAV (16-bit PCM), MP3 or M4A"
WAV_NOT_16_BIT = "unsupported audio format: a WAV sample must be 16-bit PCM"
NO_SPEECH = "no valid speech detected in the audio"
TOO_LARGE = "audio file too large: the limit is 10 MB"


class SampleError(Exception):
    """A sample the service refuses; the message goes on the wire."""

    def __init__(self, message: str) -> None:
        """Keep the wire message."""
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class SampleInfo:
    """What the emulator learnt from a sample's bytes."""

    format: SampleFormat
    sample_rate: int
    duration_s: float
    rms: float | None = None
    """RMS of the first channel's samples (WAV only; None: not decoded)."""


def check_sample(data: bytes) -> SampleInfo:
    """Return the sample's info, or raise :class:`SampleError` for the first rule it breaks.

    Order: size, format, sample rate, duration, silence (WAV only).
    """
    if len(data) > MAX_BYTES:
        raise SampleError(TOO_LARGE)
    info = sniff(data)
    if info.sample_rate < MIN_SAMPLE_RATE:
        raise SampleError(
            f"audio sample rate {info.sample_rate} Hz is too low, "
            f"at least {MIN_SAMPLE_RATE} Hz is required"
        )
    if info.duration_s < MIN_SECONDS:
        raise SampleError(
            f"audio too short: {info.duration_s:.1f} s, "
            f"at least {MIN_SECONDS:g} s is required"
        )
    if info.duration_s > MAX_SECONDS:
        raise SampleError(
            f"audio too long: {info.duration_s:.1f} s, "
            f"at most {MAX_SECONDS:g} s is allowed"
        )
    if info.rms is not None and info.rms < SILENCE_RMS:
        raise SampleError(NO_SPEECH)
    return info


def sniff(data: bytes) -> SampleInfo:
    """Recognise the format from the bytes and read its rate and duration."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _wav(data)
    if data[4:8] == b"ftyp":
        return _m4a(data)
    info = _mp3(data)
    if info is None:
        raise SampleError(UNSUPPORTED)
    return info


# --- WAV ------------------------------------------------------------------

_WAVE_PCM = 1
_WAVE_EXTENSIBLE = 0xFFFE


def _wav(data: bytes) -> SampleInfo:
    fmt: tuple[int, int, int, int, int] | None = None
    pcm: bytes | None = None
    position = 12
    while position + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, position)
        body = data[position + 8 : position + 8 + size]  # a streamed size may lie
        if chunk_id == b"fmt " and len(body) >= 16:
            tag, channels, rate, _byte_rate, align, bits = struct.unpack_from(
                "<HHIIHH", body
            )
            if tag == _WAVE_EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]  # the sub-format GUID
            fmt = (tag, channels, rate, align, bits)
        elif chunk_id == b"data":
            pcm = body
            break
        position += 8 + size + (size & 1)
    if fmt is None or pcm is None:
        raise SampleError(UNSUPPORTED)
    tag, channels, rate, align, bits = fmt
    if tag != _WAVE_PCM or bits != 16 or channels < 1 or align != 2 * channels:
        raise SampleError(WAV_NOT_16_BIT)
    if rate <= 0:
        raise SampleError(UNSUPPORTED)
    frames = len(pcm) // align
    first = np.frombuffer(pcm[: frames * align], dtype="<i2").reshape(-1, channels)
    samples = first[:, 0].astype(np.float64)
    rms = float(np.sqrt(np.mean(samples**2))) if frames else 0.0
    return SampleInfo("wav", rate, frames / rate, rms)


# --- MP3 ------------------------------------------------------------------

_BITRATES_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MAX_JUNK = 4096
"""Bytes tolerated between an ID3v2 tag (or the start) and the first frame."""


@dataclass(frozen=True, slots=True)
class _Frame:
    length: int
    sample_rate: int
    samples: int
    mpeg1: bool
    mono: bool


def _mp3_frame(data: bytes, position: int) -> _Frame | None:
    """The Layer III frame header at ``position``, or None."""
    if position + 4 > len(data):
        return None
    b0, b1, b2, b3 = data[position : position + 4]
    if b0 != 0xFF or b1 & 0xE0 != 0xE0:
        return None
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == 3
    bitrate = (_BITRATES_V1 if mpeg1 else _BITRATES_V2)[bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    padding = (b2 >> 1) & 1
    length = (144 if mpeg1 else 72) * bitrate // rate + padding
    return _Frame(length, rate, 1152 if mpeg1 else 576, mpeg1, b3 >> 6 == 3)


def _id3_end(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = 0
    for byte in data[6:10]:
        size = size << 7 | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _is_vbr_header(data: bytes, position: int, frame: _Frame) -> bool:
    """A Xing/Info (or VBRI) frame: silence that only carries the file's index."""
    side_info = (17 if frame.mono else 32) if frame.mpeg1 else (9 if frame.mono else 21)
    at = position + 4 + side_info
    return data[at : at + 4] in (b"Xing", b"Info") or (
        data[position + 36 : position + 40] == b"VBRI"
    )


def _mp3(data: bytes) -> SampleInfo | None:
    """Walk the frames; None unless two valid frames follow each other (or one fills it)."""
    start = _id3_end(data)
    first: int | None = None
    for position in range(start, min(len(data), start + _MAX_JUNK)):
        frame = _mp3_frame(data, position)
        if frame is None:
            continue
        following = position + frame.length
        if following == len(data) or _mp3_frame(data, following) is not None:
            first = position
            break
    if first is None:
        return None
    samples = 0
    rate = 0
    for position, frame in _frames(data, first):
        if not rate:
            rate = frame.sample_rate
            if _is_vbr_header(data, position, frame):
                continue
        samples += frame.samples
    return SampleInfo("mp3", rate, samples / rate)


def _frames(data: bytes, position: int) -> Iterator[tuple[int, _Frame]]:
    """Frames from ``position`` until something else (an ID3v1 tag, junk, the end)."""
    while (frame := _mp3_frame(data, position)) is not None:
        if position + frame.length > len(data):
            return  # A truncated last frame.
        yield position, frame
        position += frame.length


# --- M4A (ISO base media file format) -------------------------------------


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in ``data[start:end]``."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                return
            size = struct.unpack_from(">Q", data, position + 8)[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return
        yield kind, position + header, position + size
        position += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, payload, box_end in _boxes(data, start, end):
        if found == kind:
            return payload, box_end
    return None


def _path(data: bytes, start: int, end: int, *kinds: bytes) -> tuple[int, int] | None:
    span: tuple[int, int] | None = (start, end)
    for kind in kinds:
        if span is None:
            return None
        span = _child(data, span[0], span[1], kind)
    return span


def _mdhd(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """(timescale, duration) of a media header box."""
    if start + 4 > end:
        return None
    if data[start] == 1:
        if start + 36 > end:
            return None
        timescale, duration = struct.unpack_from(">IQ", data, start + 20)
    else:
        if start + 24 > end:
            return None
        timescale, duration = struct.unpack_from(">II", data, start + 12)
    return int(timescale), int(duration)


def _mp4a_rate(data: bytes, start: int, end: int) -> int | None:
    """The sample rate of the ``mp4a`` entry of a sample description box."""
    for kind, payload, box_end in _boxes(data, start + 8, end):  # after version + count
        if kind == b"mp4a" and payload + 28 <= box_end:
            return int(struct.unpack_from(">I", data, payload + 24)[0] >> 16)
    return None


def _m4a(data: bytes) -> SampleInfo:
    moov = _child(data, 0, len(data), b"moov")
    if moov is None:
        raise SampleError(UNSUPPORTED)
    for kind, trak_start, trak_end in _boxes(data, *moov):
        if kind != b"trak":
            continue
        mdia = _child(data, trak_start, trak_end, b"mdia")
        if mdia is None:
            continue
        mdhd = _child(data, *mdia, b"mdhd")
        stsd = _path(data, *mdia, b"minf", b"stbl", b"stsd")
        if mdhd is None or stsd is None:
            continue
        header = _mdhd(data, *mdhd)
        rate = _mp4a_rate(data, *stsd)
        if header is None or rate is None:
            continue  # Not an AAC audio track (video, text, ALAC…).
        timescale, duration = header
        if timescale <= 0:
            break
        return SampleInfo("m4a", rate, duration / timescale)
    raise SampleError(UNSUPPORTED)
