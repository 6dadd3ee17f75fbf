"""Strict checks that audio is one valid stream, read by parsers other than the client's.

A player forgives a lot (ffmpeg decodes a torn MP3 frame or an Ogg page with a bad
checksum and says nothing), so "it decodes" proves little: these walk every unit.
"""

from __future__ import annotations

import io
import wave

import av
from mutagen.mp3 import HeaderNotFoundError, MPEGFrame
from mutagen.ogg import OggPage


def assert_one_stream(fmt: str, data: bytes) -> None:
    """Fail unless ``data`` is one well-formed stream of ``fmt``, whole units only."""
    if fmt == "pcm":
        assert len(data) % 2 == 0, "half a sample"
    elif fmt == "wav":
        _check_wav(data)
    elif fmt == "mp3":
        _check_mp3(data)
    else:
        _check_ogg(data)


def _check_wav(data: bytes) -> None:
    assert data.startswith(b"RIFF"), "no RIFF header"
    assert data.count(b"WAVEfmt ") == 1, "a second WAV header inside the samples"
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
    assert (len(data) - 44) % 2 == 0, "half a sample"


def _check_mp3(data: bytes) -> None:
    """Every byte belongs to a whole MPEG frame, back to back, to the very end."""
    stream = io.BytesIO(data)
    frames = 0
    while stream.tell() < len(data):
        start = stream.tell()
        try:
            MPEGFrame(stream)
        except HeaderNotFoundError as err:
            raise AssertionError(f"no MPEG frame at byte {start}: {err}") from None
        frames += 1
        stream.seek(start + _mp3_length(data[start : start + 4]))
    assert stream.tell() == len(data), f"the last frame is cut short ({frames} frames)"


def _mp3_length(header: bytes) -> int:
    # mutagen reads the length but keeps it to itself: layer III, as CosyVoice sends.
    stream = io.BytesIO(header + bytes(2000))
    frame = MPEGFrame(stream)
    size = 1152 if frame.version == 1 else 576
    return size // 8 * frame.bitrate // frame.sample_rate + frame.padding


def _check_ogg(data: bytes) -> None:
    """Pages with good checksums, in chained streams each whole.

    Each stream: its first page marked BOS, its last EOS, no sequence number missing;
    no serial number used by two streams (RFC 3533).
    """
    stream = io.BytesIO(data)
    links: list[int] = []
    expected: dict[int, int] = {}
    while stream.tell() < len(data):
        start = stream.tell()
        page = OggPage(stream)
        raw = data[start : stream.tell()]
        assert page.write() == raw, f"bad page at byte {start} (checksum or size)"
        if page.first:
            assert page.serial not in links, f"serial {page.serial} used twice"
            assert not links or links[-1] not in expected, (
                "a stream began before the one before it ended"
            )
            links.append(page.serial)
            expected[page.serial] = 0
        assert page.serial == links[-1], "pages of two streams mixed"
        assert page.sequence == expected[page.serial], "a page is missing"
        expected[page.serial] += 1
        if page.last:
            del expected[page.serial]
    assert not expected, "a stream was left without its end-of-stream page"


def decoded_seconds(fmt: str, data: bytes, sample_rate: int) -> float:
    """How long ``data`` plays, decoded (PCM: counted)."""
    if fmt == "pcm":
        return len(data) / 2 / sample_rate
    samples = 0
    rate = sample_rate
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(audio=0):
            samples += frame.samples
            rate = frame.sample_rate
    return samples / rate
