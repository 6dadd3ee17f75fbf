"""Voice samples made in the test (WAV, MP3, M4A) and a loopback server that serves them."""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import av
import numpy as np
from aiohttp import web

from devtools.emulator.audio import Mp3Encoder


def tone(rate: int, seconds: float, amplitude: int = 8000) -> np.ndarray:
    """A 220 Hz tone as int16 samples (amplitude 0: silence)."""
    t = np.arange(round(rate * seconds)) / rate
    return (np.sin(2 * np.pi * 220 * t) * amplitude).astype(np.int16)


def wav_sample(
    rate: int = 16000,
    seconds: float = 6.0,
    *,
    amplitude: int = 8000,
    channels: int = 1,
    width: int = 2,
) -> bytes:
    """A WAV file of a tone; ``width`` 1 makes it 8-bit, ``channels`` 2 stereo."""
    samples = tone(rate, seconds, amplitude)
    if width == 1:
        frames = ((samples >> 8) + 128).astype(np.uint8).tobytes()
    else:
        frames = samples.astype("<i2").tobytes()
    if channels > 1:
        size = width
        frames = b"".join(
            frames[i : i + size] * channels for i in range(0, len(frames), size)
        )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def mp3_sample(rate: int = 24000, seconds: float = 7.0) -> bytes:
    """Raw MPEG Layer III frames of a tone, from the emulator's own encoder."""
    encoder = Mp3Encoder(rate)
    return encoder.encode(tone(rate, seconds)) + encoder.flush()


def aac_m4a_sample(rate: int = 44100, seconds: float = 7.0) -> bytes:
    """A real M4A (AAC in the ipod muxer) made by PyAV, for a second opinion."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        samples = tone(rate, seconds).astype(np.float32) / 32768
        frame = av.AudioFrame.from_ndarray(
            samples.reshape(1, -1), format="fltp", layout="mono"
        )
        frame.sample_rate = rate
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def m4a_sample(
    rate: int = 16000,
    seconds: float = 10.0,
    *,
    timescale: int | None = None,
    entry: bytes = b"mp4a",
    mdhd_version: int = 0,
) -> bytes:
    """A minimal ISO-BMFF file: ftyp, moov/trak/mdia (mdhd, hdlr, stsd with one entry), mdat.

    The ``mdat`` holds no real AAC: the emulator only reads the headers.
    """
    timescale = timescale or rate
    duration = round(seconds * timescale)
    if mdhd_version == 1:
        times = struct.pack(">QQIQ", 0, 0, timescale, duration)
    else:
        times = struct.pack(">IIII", 0, 0, timescale, duration)
    mdhd = _box(b"mdhd", bytes([mdhd_version, 0, 0, 0]), times, b"\x55\xc4\0\0")
    hdlr = _box(b"hdlr", bytes(8), b"soun", bytes(12), b"SoundHandler\0")
    sample_entry = _box(
        entry,
        bytes(6),  # reserved
        struct.pack(">H", 1),  # data_reference_index
        bytes(8),  # version, revision, vendor
        struct.pack(">HHHH", 1, 16, 0, 0),  # channels, sample size, ids
        struct.pack(">I", rate << 16),  # 16.16 sample rate
    )
    stsd = _box(b"stsd", bytes(4), struct.pack(">I", 1), sample_entry)
    stbl = _box(b"stbl", stsd)
    minf = _box(b"minf", stbl)
    mdia = _box(b"mdia", mdhd, hdlr, minf)
    moov = _box(b"moov", _box(b"trak", mdia))
    ftyp = _box(b"ftyp", b"M4A ", struct.pack(">I", 0), b"M4A isommp42")
    return ftyp + moov + _box(b"mdat", bytes(64))


class SampleServer:
    """Serves registered bytes under ``http://127.0.0.1:<port>/<name>``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.statuses: dict[str, int] = {}
        self.requests = 0
        self.origin = ""

    def url(self, name: str, data: bytes | None = None, status: int = 200) -> str:
        """Register ``data`` (or an error ``status``) at ``name``; return its URL."""
        if data is not None:
            self.files[name] = data
        self.statuses[name] = status
        return f"{self.origin}/{name}"

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests += 1
        name = request.match_info["name"]
        status = self.statuses.get(name, 404)
        if status != 200 or name not in self.files:
            return web.Response(status=status if status != 200 else 404)
        return web.Response(body=self.files[name], content_type="audio/x-anything")


@asynccontextmanager
async def sample_server() -> AsyncIterator[SampleServer]:
    """A started :class:`SampleServer` on a free 127.0.0.1 port."""
    server = SampleServer()
    app = web.Application()
    app.router.add_get("/{name}", server._serve)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.origin = f"http://{host}:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()
