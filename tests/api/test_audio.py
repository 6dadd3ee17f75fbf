"""Byte-level audio helpers."""

from __future__ import annotations

import io
import wave

from custom_components.cosyvoice.api.audio import WavHeaderStripper, wav_header


def test_wav_header_with_known_size_is_readable() -> None:
    pcm = b"\x01\x00" * 16000
    data = wav_header(16000, len(pcm)) + pcm
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getframerate() == 16000
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        assert wav.getnframes() == 16000


def test_streaming_wav_header_says_unknown_size() -> None:
    header = wav_header(22050)
    assert len(header) == 44
    assert header[4:8] == b"\xff\xff\xff\xff"
    assert header[40:44] == b"\xff\xff\xff\xff"


def test_wav_header_stripper() -> None:
    pcm = bytes(range(200))
    stream = wav_header(16000) + pcm
    stripper = WavHeaderStripper()
    # Fed in awkward pieces, the header disappears and the samples survive.
    out = b"".join(stripper.feed(stream[i : i + 7]) for i in range(0, len(stream), 7))
    assert out == pcm
    # A header with an extra chunk before "data" is skipped too.
    extra = wav_header(16000)[:36] + b"LIST" + (4).to_bytes(4, "little") + b"abcd"
    extra += b"data" + (0xFFFFFFFF).to_bytes(4, "little")
    assert WavHeaderStripper().feed(extra + pcm) == pcm
    # Data without a header passes unchanged.
    assert WavHeaderStripper().feed(b"\x01\x02") == b"\x01\x02"
    short = WavHeaderStripper()
    assert short.feed(b"RI") == b""
    assert short.feed(b"FX") == b"RIFX"
