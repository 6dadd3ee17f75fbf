"""The emulator's sample sniffing (devtools.emulator.samples) on edge cases of each format."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import pytest

from devtools.emulator.audio import make_encoder
from devtools.emulator.samples import (
    NO_SPEECH,
    UNSUPPORTED,
    SampleError,
    check_sample,
    sniff,
)

from .voice_samples import m4a_sample, mp3_sample, tone, wav_sample


def test_wav() -> None:
    info = sniff(wav_sample(22050, 6.5))
    assert (info.format, info.sample_rate, info.duration_s) == ("wav", 22050, 6.5)
    assert info.rms is not None
    assert 5000 < info.rms < 6000  # 8000 / sqrt(2)


def test_streamed_wav_with_unknown_sizes() -> None:
    """The emulator's own streamed WAV says 0xFFFFFFFF: the bytes present count."""
    encoder = make_encoder("wav", 16000)
    data = encoder.encode(tone(16000, 5.5)) + encoder.flush()
    assert data[40:44] == b"\xff\xff\xff\xff"
    assert sniff(data).duration_s == 5.5


def test_wav_extensible_pcm_and_extra_chunks() -> None:
    samples = tone(16000, 6.0).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, 16000, 32000, 2, 16, 22, 16, 4)
    fmt += struct.pack("<H", 1) + bytes(14)  # sub-format GUID: PCM
    chunks = (
        b"LIST" + struct.pack("<I", 5) + b"INFOx\0"  # odd size, padded
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"data" + struct.pack("<I", len(samples)) + samples
    )  # fmt: skip
    data = b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks
    assert sniff(data).duration_s == 6.0


def test_wav_float_is_unsupported() -> None:
    data = bytearray(wav_sample())
    data[20:22] = struct.pack("<H", 3)  # IEEE float
    with pytest.raises(SampleError, match="16-bit PCM"):
        sniff(bytes(data))


def test_wav_without_data_chunk() -> None:
    with pytest.raises(SampleError) as failed:
        sniff(wav_sample()[:36])
    assert failed.value.message == UNSUPPORTED


def test_stereo_only_the_first_channel_counts() -> None:
    loud = tone(16000, 6.0)
    frames = np.stack([np.zeros_like(loud), loud], axis=1).astype("<i2").tobytes()
    header = wav_sample(16000, 6.0, channels=2)[:44]
    with pytest.raises(SampleError, match=NO_SPEECH):
        check_sample(header + frames)


def test_mp3_frames_are_summed() -> None:
    info = sniff(mp3_sample(24000, 7.0))
    assert (info.format, info.sample_rate, info.rms) == ("mp3", 24000, None)
    assert 7.0 <= info.duration_s <= 7.0 + 3 * 576 / 24000  # encoder delay, padding


def test_mp3_with_id3_and_xing_header() -> None:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=44100, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            tone(44100, 8.0).reshape(1, -1), format="s16p", layout="mono"
        )
        frame.sample_rate = 44100
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = buffer.getvalue()
    assert data[:3] == b"ID3"
    assert b"Info" in data[:2000] or b"Xing" in data[:2000]
    info = sniff(data + b"TAG" + bytes(125))  # an ID3v1 tag at the end
    assert info.sample_rate == 44100
    # The Xing/Info frame is not audio: only the encoder's delay is extra.
    assert 8.0 <= info.duration_s < 8.0 + 2 * 1152 / 44100


def test_a_lone_sync_word_is_not_mp3() -> None:
    with pytest.raises(SampleError):
        sniff(b"\xff\xfb\x90\x00" + bytes(100))


def test_m4a_headers() -> None:
    info = sniff(m4a_sample(44100, 12.5, timescale=1000, mdhd_version=1))
    assert (info.format, info.sample_rate, info.duration_s) == ("m4a", 44100, 12.5)


def test_m4a_with_a_64_bit_box() -> None:
    data = m4a_sample(16000, 10.0)
    moov_at = data.index(b"moov") - 4
    size = struct.unpack_from(">I", data, moov_at)[0]
    large = (
        struct.pack(">I4sQ", 1, b"moov", size + 8) + data[moov_at + 8 : moov_at + size]
    )
    data = data[:moov_at] + large + data[moov_at + size :]
    assert sniff(data).duration_s == 10.0


def test_m4a_without_moov() -> None:
    with pytest.raises(SampleError) as failed:
        sniff(m4a_sample()[:32])
    assert failed.value.message == UNSUPPORTED
