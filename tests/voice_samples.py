"""Voice samples made in tests: WAV, MP3 frames and M4A boxes of a chosen length."""

from __future__ import annotations

import io
import math
import struct
import wave


def wav_sample(seconds: float, rate: int = 16000, *, silent: bool = False) -> bytes:
    """A mono 16-bit WAV of a 220 Hz tone (or silence)."""
    frames = int(seconds * rate)
    amplitude = 0 if silent else 8000
    pcm = b"".join(
        struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 220 * i / rate)))
        for i in range(frames)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def mp3_sample(seconds: float, rate: int = 44100) -> bytes:
    """MPEG-1 Layer III frame headers (128 kbit/s) with zeroed bodies: enough to measure."""
    header = bytes([0xFF, 0xFB, 0x90 | {44100: 0, 48000: 1, 32000: 2}[rate] << 2, 0x64])
    length = 1152 * 128 * 125 // rate
    frame = header + bytes(length - 4)
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + frame * round(seconds * rate / 1152)


def m4a_sample(
    seconds: float, rate: int = 44100, *, version: int = 0, large: bool = False
) -> bytes:
    """An ISO-BMFF skeleton: ftyp, and moov/trak/mdia with mdhd and an mp4a entry.

    ``version=1`` writes the track header with 64-bit times (long recordings);
    ``large`` gives moov a 64-bit size, as some encoders write every box.
    """

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(body), kind) + body

    def large_box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4sQ", 1, kind, 16 + len(body)) + body

    duration = int(seconds * rate)
    times = (
        struct.pack(">BxxxQQIQ", 1, 0, 0, rate, duration)
        if version == 1
        else struct.pack(">BxxxIIII", 0, 0, 0, rate, duration)
    )
    mdhd = box(b"mdhd", times)
    mp4a = box(
        b"mp4a",
        bytes(6)
        + struct.pack(">H", 1)
        + bytes(8)
        + struct.pack(">HHHHI", 1, 16, 0, 0, rate << 16),
    )
    stsd = box(b"stsd", struct.pack(">II", 0, 1) + mp4a)
    mdia = box(b"mdia", mdhd + box(b"minf", box(b"stbl", stsd)))
    moov = (large_box if large else box)(b"moov", box(b"trak", mdia))
    return box(b"ftyp", b"M4A \x00\x00\x00\x00") + moov
