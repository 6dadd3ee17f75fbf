"""Text still being written, read once from its writer and as often as needed after.

CosyVoice reads a streamed answer as it is written; if it cannot speak it, the
fallback must get the same words: those written so far, then the rest as they come.
The writer (an LLM's answer) can be read only once, and must not be cancelled with
CosyVoice's request, so one task reads it and keeps every piece.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable


class TextTap:
    """Reads a text stream in a task of its own; hands it to any number of readers."""

    def __init__(self, source: AsyncIterable[str]) -> None:
        """Start reading ``source`` now."""
        self._pieces: list[str] = []
        self._changed = asyncio.Event()
        self._ended = False
        self._error: BaseException | None = None
        self.started = asyncio.Event()
        """Set when the first piece arrives, or the text ends without one."""
        self._task = asyncio.create_task(self._read(source), name="cosyvoice-text-tap")

    async def _read(self, source: AsyncIterable[str]) -> None:
        try:
            async for piece in source:
                self._pieces.append(piece)
                self._wake()
        except Exception as err:  # noqa: BLE001 - the readers get it, in order
            self._error = err
        finally:
            self._ended = True
            self._wake()

    def _wake(self) -> None:
        self.started.set()
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def pieces(self) -> AsyncGenerator[str]:
        """Every piece from the first, then each new one as it is written."""
        index = 0
        while True:
            changed = self._changed
            while index < len(self._pieces):
                yield self._pieces[index]
                index += 1
            if self._ended:
                if self._error is not None:
                    raise self._error
                return
            await changed.wait()

    async def close(self) -> None:
        """Stop reading: the request is over."""
        if not self._task.done():
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
