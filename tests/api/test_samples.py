"""Voice samples checked before they are uploaded."""

from __future__ import annotations

import struct
import time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.cosyvoice.api import (
    InvalidVoiceSampleError,
    check_voice_sample,
)
from custom_components.cosyvoice.api.samples import MAX_SAMPLE_BYTES
from tests.voice_samples import m4a_sample, mp3_sample, wav_sample


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (wav_sample(6.0), ("wav", 16000, 6.0)),
        (wav_sample(12.0, 48000), ("wav", 48000, 12.0)),
        (mp3_sample(10.0), ("mp3", 44100, 10.0)),
        (m4a_sample(20.0, 48000), ("m4a", 48000, 20.0)),
        (m4a_sample(45.0, 24000, version=1), ("m4a", 24000, 45.0)),
        (m4a_sample(8.0, large=True), ("m4a", 44100, 8.0)),
    ],
    ids=["wav", "wav 48k", "mp3", "m4a", "m4a 64-bit times", "m4a 64-bit box size"],
)
def test_good_samples_are_measured(
    data: bytes, expected: tuple[str, int, float]
) -> None:
    sample = check_voice_sample(data)
    assert (sample.format, sample.sample_rate) == expected[:2]
    assert sample.seconds == pytest.approx(expected[2], abs=0.05)


def _mpeg_layer_2() -> bytes:
    """MPEG-1 Layer II (MP2) frames: MPEG audio, but not the Layer III cloning takes."""
    header = bytes([0xFF, 0xFD, 0x90, 0x64])
    return (header + bytes(413)) * 300


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (wav_sample(3.0), "5 to 60 s"),
        (wav_sample(61.0, 16000), "5 to 60 s"),
        (wav_sample(8.0, 8000), "16000 Hz"),
        (wav_sample(8.0, silent=True), "silent"),
        (mp3_sample(2.0), "5 to 60 s"),
        (m4a_sample(90.0), "5 to 60 s"),
        (b"<html>not audio</html>", "not WAV, MP3 or M4A"),
        (b"", "not WAV, MP3 or M4A"),
        (b"RIFF\x00\x00\x00\x00WAVE", "no format chunk"),
        (b"\x00" * (10 * 1024 * 1024 + 1), "at most 10 MB"),
        (_mpeg_layer_2(), "not WAV, MP3 or M4A"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00" + _mpeg_layer_2(), "no audio frames"),
        (m4a_sample(8.0)[:16] + struct.pack(">I4s", 4, b"moov"), "no audio track"),
    ],
    ids=[
        "short",
        "long",
        "8 kHz",
        "silent",
        "short mp3",
        "long m4a",
        "html",
        "empty",
        "wav without fmt",
        "too big",
        "mp2",
        "mp2 with an ID3 tag",
        "m4a box shorter than its header",
    ],
)
def test_bad_samples_say_why(data: bytes, words: str) -> None:
    with pytest.raises(InvalidVoiceSampleError, match=words) as raised:
        check_voice_sample(data)
    assert raised.value.caller_error
    assert raised.value.kind == "invalid_voice_sample"


def test_8_bit_wav_is_refused() -> None:
    data = bytearray(wav_sample(6.0))
    data[34] = 8  # bits per sample in the fmt chunk
    with pytest.raises(InvalidVoiceSampleError, match="16-bit PCM"):
        check_voice_sample(bytes(data))


# --- Property-based: damaged and hostile files -------------------------------------------

_VALID = (wav_sample(5.2), wav_sample(0.01), mp3_sample(6.0), m4a_sample(10.0))


@st.composite
def _damaged(draw: st.DrawFn) -> bytes:
    """A valid sample after a few cuts, flipped bytes, copied headers and wild sizes."""
    data = bytearray(draw(st.sampled_from(_VALID)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        match draw(st.sampled_from(["cut", "flip", "copy", "size"])):
            case "cut":
                del data[at:]
            case "flip":
                data[at : at + 1] = draw(st.binary(min_size=1, max_size=1))
            case "copy":  # a header (RIFF, fmt, ID3, ftyp, moov...) once more
                data[at:at] = data[: draw(st.integers(4, 64))]
            case "size":  # a chunk or box size field, or anything 4 bytes long
                size = draw(st.sampled_from([0, 1, 7, 8, 16, 2**31, 2**32 - 1]))
                endian = draw(st.sampled_from("<>"))
                data[at : at + 4] = struct.pack(f"{endian}I", size)
    return bytes(data)


def _with_mdhd_cut_short() -> bytes:
    # Found by fuzzing: a track header box (mdhd) too short for its fields raised
    # struct.error, or IndexError when empty, instead of a typed error.
    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(body), kind) + body

    track = box(b"trak", box(b"mdia", box(b"mdhd", b"\x00\x00")))
    return box(b"ftyp", b"M4A \x00\x00\x00\x00") + box(b"moov", track)


@given(_damaged() | st.binary(max_size=2000))
@example(_with_mdhd_cut_short())
@example(_with_mdhd_cut_short()[:-2])  # an mdhd with no body at all, at the very end
def test_any_bytes_are_measured_or_refused(data: bytes) -> None:
    """Any bytes are a sample measured within the limits, or refused as invalid."""
    try:
        sample = check_voice_sample(data)
    except InvalidVoiceSampleError:
        return
    assert sample.format in ("wav", "mp3", "m4a")
    assert sample.sample_rate >= 16000
    assert 5.0 <= sample.seconds <= 60.0


def test_a_cut_short_track_header_is_refused() -> None:
    with pytest.raises(InvalidVoiceSampleError, match="cut short"):
        check_voice_sample(_with_mdhd_cut_short())


def _hostile(kind: str) -> bytes:
    n = MAX_SAMPLE_BYTES
    if kind == "wav":  # a chunk header every 8 bytes
        return (b"RIFF\0\0\0\0WAVE" + b"junk\0\0\0\0" * (n // 8))[:n]
    if kind == "m4a":  # a box header every 8 bytes
        ftyp = struct.pack(">I4s", 16, b"ftyp") + bytes(8)
        return (ftyp + struct.pack(">I4s", 8, b"free") * (n // 8))[:n]
    frame = bytes([0xFF, 0xF3, 0x10, 0x00]) + bytes(22)  # MPEG-2, 8 kbit/s: 26 bytes
    return frame * (n // len(frame))


@pytest.mark.parametrize("kind", ["wav", "m4a", "mp3"])
def test_the_largest_hostile_samples_are_refused_quickly(kind: str) -> None:
    # Every loop steps at least 8 bytes: about 0.4 s for 10 MB here, linear in size.
    data = _hostile(kind)
    started = time.perf_counter()
    with pytest.raises(InvalidVoiceSampleError):
        check_voice_sample(data)
    assert time.perf_counter() - started < 5.0
