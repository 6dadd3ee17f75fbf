"""Joining tasks' audio: one valid stream in every format, however a task broke off.

The streams are made by the emulator's encoders (real PCM, WAV, MP3 and Ogg Opus),
and checked by parsers other than the joiner's own (``audio_checks``).
"""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api.audio import AudioFormat, wav_header
from custom_components.cosyvoice.api.joining import AudioJoiner, joined
from devtools.emulator.audio import Chunker, ToneSynth, make_encoder

from .audio_checks import assert_one_stream, decoded_seconds

RATE = 24000
FORMATS: list[AudioFormat] = ["pcm", "wav", "mp3", "opus"]
MS_PER_CHAR = 20.0


def _frames(fmt: AudioFormat, text: str) -> list[bytes]:
    """One task's audio as the emulator sends it: a frame per 100 ms."""
    encoder = make_encoder(fmt, RATE)
    synth = ToneSynth(RATE, ms_per_char=MS_PER_CHAR)
    chunker = Chunker(RATE // 10)
    pieces = [chunk for char in text for chunk in chunker.push(synth.render(char))]
    frames = [encoder.encode(piece) for piece in [*pieces, chunker.drain()]]
    return [frame for frame in [*frames, encoder.flush()] if frame]


def _seconds(text: str) -> float:
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text) * MS_PER_CHAR / 1000


FIRST = "今天天气很好。我们出去走走吧。"
SECOND = "公园里的花都开了。"


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_whole_tasks_join_into_one_stream(fmt: AudioFormat) -> None:
    first, second = b"".join(_frames(fmt, FIRST)), b"".join(_frames(fmt, SECOND))
    audio = joined(fmt, [first, second])
    assert_one_stream(fmt, audio)
    seconds = decoded_seconds(fmt, audio, RATE)
    assert seconds == pytest.approx(_seconds(FIRST + SECOND), abs=0.1)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("share", [0.0, 0.01, 0.33, 0.5, 0.77, 0.999])
def test_a_task_cut_anywhere_leaves_a_valid_stream(
    fmt: AudioFormat, share: float
) -> None:
    # The frames are fed in awkward pieces, as a service that cuts them anywhere would.
    first, second = b"".join(_frames(fmt, FIRST)), b"".join(_frames(fmt, SECOND))
    cut_at = int(len(first) * share)
    joiner = AudioJoiner(fmt)
    joiner.start_task()
    out = b"".join(joiner.feed(piece) for piece in _pieces(first[:cut_at], 77))
    heard = out + joiner.cut()
    joiner.start_task()
    out = b"".join(joiner.feed(piece) for piece in _pieces(second, 101))
    audio = heard + out + joiner.end_task()
    assert_one_stream(fmt, audio)
    # Only what was cut short is missing; the second task plays whole.
    seconds = decoded_seconds(fmt, audio, RATE)
    assert seconds <= _seconds(FIRST) * share + _seconds(SECOND) + 0.1
    assert seconds >= _seconds(SECOND) - 0.05
    if fmt == "pcm":
        assert audio == first[: cut_at - cut_at % 2] + second


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_task_in_small_pieces_passes_unchanged(fmt: AudioFormat) -> None:
    data = b"".join(_frames(fmt, FIRST))
    joiner = AudioJoiner(fmt)
    joiner.start_task()
    out = b"".join(joiner.feed(piece) for piece in _pieces(data, 13))
    assert out + joiner.end_task() == data


def test_a_later_wav_task_loses_its_header() -> None:
    pcm = bytes(range(200))
    joiner = AudioJoiner("wav")
    joiner.start_task()
    stream = wav_header(RATE) + pcm
    first = b"".join(joiner.feed(stream[i : i + 7]) for i in range(0, len(stream), 7))
    assert first == stream
    # A header with another chunk before "data" is all header.
    extra = wav_header(RATE)[:36] + b"LIST" + (4).to_bytes(4, "little") + b"abcd"
    extra += b"data" + (0xFFFFFFFF).to_bytes(4, "little")
    joiner.start_task()
    assert joiner.feed(extra + pcm) + joiner.end_task() == pcm


def test_a_first_wav_task_cut_inside_its_header_leaves_the_next_one_its_own() -> None:
    joiner = AudioJoiner("wav")
    joiner.start_task()
    assert joiner.feed(wav_header(RATE)[:20]) == b""
    assert joiner.cut() == b""
    joiner.start_task()
    assert joiner.feed(wav_header(RATE) + b"\x01\x00") == wav_header(RATE) + b"\x01\x00"


def test_wav_without_a_header_passes() -> None:
    joiner = AudioJoiner("wav")
    joiner.start_task()
    assert joiner.feed(b"RI") == b""
    assert joiner.feed(b"FX") == b"RIFX"
    # A RIFF header whose chunks never reach "data" does not hold the audio for long.
    broken = wav_header(RATE)[:36] + b"LIST" + (10**6).to_bytes(4, "little")
    joiner.start_task()
    assert joiner.feed(broken) == b""
    assert joiner.feed(bytes(5000)) == broken + bytes(5000)


def test_a_later_mp3_tasks_id3_tag_is_dropped() -> None:
    tag = b"ID3\x04\x00\x00" + bytes([0, 0, 0, 5]) + b"12345"
    frames = b"".join(_frames("mp3", SECOND))
    joiner = AudioJoiner("mp3")
    joiner.start_task()
    first = joiner.feed(tag[:4]) + joiner.feed(tag[4:] + frames) + joiner.end_task()
    assert first == tag + frames
    joiner.start_task()
    assert joiner.feed(tag + frames) + joiner.end_task() == frames


def test_ogg_streams_keep_serial_numbers_of_their_own() -> None:
    # The emulator's encoder is bit-exact: every task's stream has serial number 0.
    first, second = b"".join(_frames("opus", FIRST)), b"".join(_frames("opus", SECOND))
    audio = joined("opus", [first, second, second])
    assert_one_stream("opus", audio)
    assert audio.startswith(first)


@pytest.mark.parametrize("fmt", ["mp3", "opus"])
def test_what_does_not_parse_passes_unchanged(fmt: AudioFormat) -> None:
    frames = b"".join(_frames(fmt, SECOND))
    joiner = AudioJoiner(fmt)
    joiner.start_task()
    garbled = frames[:50] + b"garbage" + frames[50:]
    out = joiner.feed(frames[:50]) + joiner.feed(b"garbage" + frames[50:])
    assert out + joiner.end_task() == garbled
