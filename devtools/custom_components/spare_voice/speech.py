"""What the spare voice says: ``espeak-ng`` in a subprocess, else a tone.

Both are WAV, mono 16-bit. The subprocess runs under asyncio, so the event loop
never waits on it.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import shutil
import struct
from typing import Final

# Looked up once, at import (Home Assistant imports custom integrations in an
# executor), not in the event loop at every message.
ESPEAK: Final = shutil.which("espeak-ng")
SPOKEN: Final = "spare_voice_spoken"
"""``hass.data`` key: what the entity was asked to say (see ``spare_voice.spoken``)."""
LIMIT: Final = 30.0
"""Seconds espeak-ng may take; a fallback must never hold a message for good."""
ESPEAK_VOICES: Final = {
    "en": "en",
    "zh": "cmn",
    "zh-HK": "yue",
    "ja": "ja",
    "ko": "ko",
    "fr": "fr",
    "de": "de",
    "ru": "ru",
}
"""The languages CosyVoice speaks, as espeak-ng names its voices."""
TONE_RATE: Final = 16000
TONE_HZ: Final = 400
TONE_SECONDS_PER_CHAR: Final = 0.06
TONE_MAX_SECONDS: Final = 10.0


def speaker() -> str:
    """What speaks: ``espeak-ng`` or ``tone``."""
    return "espeak-ng" if ESPEAK else "tone"


async def speak(text: str, language: str) -> bytes:
    """The message as a WAV file."""
    if ESPEAK is None:
        return tone(len(text))
    return await _espeak(ESPEAK, text, ESPEAK_VOICES.get(language, "en"))


async def _espeak(program: str, text: str, voice: str) -> bytes:
    # The text goes in on stdin: no argument length limit, and a message that
    # starts with "-" is not read as an option.
    process = await asyncio.create_subprocess_exec(
        program,
        "-v",
        voice,
        "-b",
        "1",  # UTF-8 input
        "--stdin",
        "--stdout",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(LIMIT):
            out, _ = await process.communicate(text.encode())
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    if process.returncode != 0 or not out.startswith(b"RIFF"):
        raise RuntimeError(f"espeak-ng failed with exit code {process.returncode}")
    return fixed_wav(out)


def fixed_wav(data: bytes) -> bytes:
    """The WAV with its true sizes.

    Writing to a pipe, espeak-ng cannot go back to fill them in and leaves about
    2 GB; Home Assistant 2026.11 reads such a size as a stream of unknown length.
    """
    at = data.find(b"data", 12)
    if at < 0:
        return data
    header = bytearray(data[: at + 8])
    struct.pack_into("<I", header, 4, len(data) - 8)
    struct.pack_into("<I", header, at + 4, len(data) - at - 8)
    return bytes(header) + data[at + 8 :]


def tone(characters: int) -> bytes:
    """A soft tone, 60 ms a character (at most 10 s): heard, and clearly no voice."""
    seconds = min(TONE_MAX_SECONDS, max(1, characters) * TONE_SECONDS_PER_CHAR)
    # One period repeated: no per-sample work in the event loop.
    period = array.array(
        "h",
        (
            round(6000 * math.sin(2 * math.pi * i / (TONE_RATE // TONE_HZ)))
            for i in range(TONE_RATE // TONE_HZ)
        ),
    ).tobytes()
    frames = period * round(seconds * TONE_HZ)
    return _wav_header(len(frames)) + frames


def _wav_header(size: int) -> bytes:
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, TONE_RATE, TONE_RATE * 2, 2, 16)
        + b"data"
        + struct.pack("<I", size)
    )
