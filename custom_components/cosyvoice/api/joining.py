"""The audio of one request's tasks joined into one stream that stays valid.

A request may take several tasks: text over the per-task limit, a stream of text with
long pauses, or a task cut by a dropped connection and resumed on a new one. Each task's
audio is a stream of its own (protocol notes §2.6: only its first frame holds the
header). Joined, they must play as one:

- only whole units go out (a 16-bit sample, an MPEG frame, an Ogg page): the notes
  promise no frame size, so a frame may end inside one, and a task cut there must not
  leave half a unit in the stream;
- a later task's WAV header and ID3 tag are dropped;
- Ogg Opus tasks are chained streams (RFC 7845): a cut one is closed with an
  end-of-stream page, and a later one whose serial number was used before gets a new one.

Bytes that do not parse as the format says pass unchanged: the joiner never holds
audio it cannot read.
"""

from __future__ import annotations

import struct
from typing import Final

from .audio import AudioFormat

_OGG_HEADER: Final = struct.Struct("<4sBBqIII B")
_OGG_BOS: Final = 0x02
_OGG_EOS: Final = 0x04
_NO_GRANULE: Final = -1
"""No packet ends on the page (RFC 3533)."""
_MAX_WAV_HEADER: Final = 4096
"""CosyVoice's is 44 bytes; a few extra chunks would still fit."""


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return tuple(table)


_CRC_TABLE: Final = _crc_table()


def ogg_crc(page: bytes) -> int:
    """The checksum of an Ogg page whose own checksum field is zero (RFC 3533)."""
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


def ogg_page_size(data: bytes, start: int = 0) -> int | None:
    """The length of the Ogg page at ``start``; None if it is not all there yet.

    Raises ValueError where no page starts.
    """
    if len(data) - start < 27:
        if not b"OggS".startswith(data[start : start + 4]):
            raise ValueError("not an Ogg page")
        return None
    if data[start : start + 4] != b"OggS":
        raise ValueError("not an Ogg page")
    segments = data[start + 26]
    if len(data) - start < 27 + segments:
        return None
    size = 27 + segments + sum(data[start + 27 : start + 27 + segments])
    return size if len(data) - start >= size else None


def _ogg_page(flags: int, granule: int, serial: int, sequence: int) -> bytes:
    """A page without packets (an end-of-stream mark)."""
    page = bytearray(
        _OGG_HEADER.pack(b"OggS", 0, flags, granule, serial, sequence, 0, 0)
    )
    page[22:26] = ogg_crc(bytes(page)).to_bytes(4, "little")
    return bytes(page)


# MPEG audio layer III: kbit/s by index, for MPEG-1 and for MPEG-2 and 2.5.
_MP3_BIT_RATES: Final = (
    (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
)
_MP3_SAMPLE_RATES: Final = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000)}
_MP3_SAMPLE_RATES_25: Final = (11025, 12000, 8000)


def mp3_frame_size(header: bytes) -> int:
    """The length of the MPEG layer III frame whose 4-byte header this is.

    Raises ValueError for anything else (free bit rate, other layers, no sync).
    """
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        raise ValueError("no MPEG frame sync")
    version, layer = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    rate_index, sample_index = header[2] >> 4, (header[2] >> 2) & 3
    if version == 1 or layer != 1 or rate_index in (0, 15) or sample_index == 3:
        raise ValueError("not an MPEG layer III frame")
    mpeg1 = version == 3
    bit_rate = _MP3_BIT_RATES[0 if mpeg1 else 1][rate_index] * 1000
    sample_rate = _MP3_SAMPLE_RATES.get(version, _MP3_SAMPLE_RATES_25)[sample_index]
    padding = (header[2] >> 1) & 1
    return (144 if mpeg1 else 72) * bit_rate // sample_rate + padding


def _wav_header_size(data: bytes) -> int | None:
    """The length of the RIFF header ``data`` starts with: 0 if none, None if unknown yet.

    The header ends where the ``data`` chunk's samples begin; chunks before it (``LIST``
    and the like) belong to it.
    """
    if not data.startswith(b"RIFF"):
        return 0 if len(data) >= 4 or not b"RIFF".startswith(data) else None
    offset = 12
    while offset + 8 <= len(data):
        if data[offset : offset + 4] == b"data":
            return offset + 8
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)
    # A header that never reaches its samples must not hold the audio back.
    return 0 if len(data) > _MAX_WAV_HEADER else None


def _id3_size(data: bytes) -> int | None:
    """The length of the ID3v2 tag ``data`` starts with: 0 if none, None if unknown yet."""
    if not data.startswith(b"ID3"):
        return 0 if len(data) >= 3 or not b"ID3".startswith(data) else None
    if len(data) < 10:
        return None
    size = 0
    for byte in data[6:10]:
        size = size << 7 | byte & 0x7F
    return 10 + size + (10 if data[5] & 0x10 else 0)


class AudioJoiner:
    """Joins the audio of a request's tasks, one task after another, into one stream.

    Call :meth:`start_task` before a task's first chunk, :meth:`feed` with each chunk,
    then :meth:`end_task` when the task finished, or :meth:`cut` when it broke off;
    each returns the bytes ready to go out.
    """

    def __init__(self, fmt: AudioFormat) -> None:
        """Nothing joined yet."""
        self._format = fmt
        self._begun = False
        """Audio went out: a later task's header must not."""
        self._pending = b""
        self._head = False
        self._framed = True
        self._serials: set[int] = set()
        self._link: set[int] = set()
        self._renamed: dict[int, int] = {}
        self._last_page: tuple[int, int, bool] | None = None
        """Serial, sequence number and end-of-stream flag of the task's last page."""

    def start_task(self) -> None:
        """The next task's audio begins."""
        self._pending = b""
        self._head = self._format in ("wav", "mp3")
        self._framed = True
        self._serials |= self._link
        self._link = set()
        self._renamed = {}
        self._last_page = None

    def feed(self, chunk: bytes) -> bytes:
        """The whole units that ``chunk`` completes."""
        data = self._pending + chunk
        self._pending = b""
        if self._head:
            data = self._after_head(data)
        if self._framed and data:
            try:
                end = self._whole(data)
            except ValueError:
                self._framed = False
            else:
                self._pending, data = data[end:], data[:end]
                if self._format == "opus":
                    data = self._pages(data)
        self._begun = self._begun or bool(data)
        return data

    def end_task(self) -> bytes:
        """The task ended as the service meant: whatever it sent goes out."""
        rest, self._pending = self._pending, b""
        self._head = False
        self._begun = self._begun or bool(rest)
        return rest

    def cut(self) -> bytes:
        """The task broke off: its unfinished unit is dropped, an Ogg stream closed."""
        self._pending = b""
        self._head = False
        if self._last_page is None or self._last_page[2]:
            return b""
        serial, sequence, _ = self._last_page
        self._last_page = (serial, sequence + 1, True)
        return _ogg_page(_OGG_EOS, _NO_GRANULE, serial, sequence + 1)

    def _after_head(self, data: bytes) -> bytes:
        """``data`` past the task's header, which only the stream's first task keeps.

        While the header is still incomplete, all of ``data`` stays pending.
        """
        size = (_wav_header_size if self._format == "wav" else _id3_size)(data)
        if size is None or len(data) < size:
            self._pending = data
            return b""
        self._head = False
        return data if not self._begun else data[size:]

    def _whole(self, data: bytes) -> int:
        """Where the last whole unit in ``data`` ends; ValueError if it does not parse."""
        if self._format in ("pcm", "wav"):
            return len(data) - len(data) % 2
        end = 0
        while end < len(data):
            size: int | None
            if self._format == "opus":
                size = ogg_page_size(data, end)
            elif len(data) - end < 4:
                size = None
            else:
                size = mp3_frame_size(data[end : end + 4])
                size = size if end + size <= len(data) else None
            if size is None:
                break
            end += size
        return end

    def _pages(self, data: bytes) -> bytes:
        """Whole Ogg pages, under a serial number no earlier task used."""
        out = bytearray()
        start = 0
        while start < len(data):
            size = ogg_page_size(data, start) or len(data) - start
            page = bytearray(data[start : start + size])
            start += size
            _, _, flags, _, serial, sequence, _, _ = _OGG_HEADER.unpack_from(page)
            if flags & _OGG_BOS and serial in self._serials:
                self._renamed[serial] = _unused(self._serials | self._link)
            if serial in self._renamed:
                serial = self._renamed[serial]
                page[14:18] = serial.to_bytes(4, "little")
                page[22:26] = bytes(4)
                page[22:26] = ogg_crc(bytes(page)).to_bytes(4, "little")
            self._link.add(serial)
            self._last_page = (serial, sequence, bool(flags & _OGG_EOS))
            out += page
        return bytes(out)


def _unused(serials: set[int]) -> int:
    serial = (max(serials) + 1) & 0xFFFFFFFF if serials else 0
    while serial in serials:
        serial = (serial + 1) & 0xFFFFFFFF
    return serial


def joined(fmt: AudioFormat, files: list[bytes]) -> bytes:
    """Whole task files (each as the service sent it) as one stream."""
    joiner = AudioJoiner(fmt)
    parts = []
    for data in files:
        joiner.start_task()
        parts += [joiner.feed(data), joiner.end_task()]
    return b"".join(parts)
