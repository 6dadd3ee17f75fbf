"""Byte-level audio helpers."""

from __future__ import annotations

import io
import wave

from custom_components.cosyvoice.api.audio import wav_header


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
