"""A bare WebSocket client speaking raw JSON frames, to drive the emulator in tests.

Deliberately not the project's client: the emulator is checked against the
protocol as documented, not against another implementation of it.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import av
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import TEST_API_KEY

Message = dict[str, Any] | bytes

DEFAULT_PARAMS: dict[str, Any] = {
    "text_type": "PlainText",
    "voice": "longanyang",
    "format": "pcm",
    "sample_rate": 22050,
    "volume": 50,
    "rate": 1.0,
    "pitch": 1.0,
}


@asynccontextmanager
async def open_ws(
    url: str, key: str | None = TEST_API_KEY, **headers: str
) -> AsyncIterator[Wire]:
    """Connect with ``Authorization: Bearer <key>`` (no header if key is None)."""
    all_headers = dict(headers)
    if key is not None:
        all_headers["Authorization"] = f"Bearer {key}"
    async with connect(
        url,
        additional_headers=all_headers,
        proxy=None,
        open_timeout=5,
        close_timeout=1,
        ping_interval=None,
        compression=None,
    ) as ws:
        yield Wire(ws)


@dataclass
class TaskResult:
    """Everything received for one task, in order."""

    messages: list[Message] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The JSON events only."""
        return [m for m in self.messages if isinstance(m, dict)]

    @property
    def frames(self) -> list[bytes]:
        """The binary frames only."""
        return [m for m in self.messages if isinstance(m, bytes)]

    @property
    def audio(self) -> bytes:
        """All audio bytes."""
        return b"".join(self.frames)

    @property
    def last(self) -> dict[str, Any]:
        """The final event (task-finished or task-failed)."""
        return self.events[-1]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """result-generated events with ``payload.output.type == kind``."""
        return [
            e
            for e in self.events
            if e["header"]["event"] == "result-generated"
            and e["payload"]["output"].get("type") == kind
        ]


class Wire:
    """Raw protocol frames over one WebSocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.task_id = ""

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def run_task(
        self,
        *,
        model: str = "cosyvoice-v3-flash",
        task_id: str | None = None,
        task_input: dict[str, Any] | None = None,
        **params: Any,
    ) -> str:
        """Send run-task; parameters are DEFAULT_PARAMS updated with ``params``."""
        self.task_id = task_id or uuid.uuid4().hex
        await self.send(
            {
                "header": {
                    "action": "run-task",
                    "task_id": self.task_id,
                    "streaming": "duplex",
                },
                "payload": {
                    "task_group": "audio",
                    "task": "tts",
                    "function": "SpeechSynthesizer",
                    "model": model,
                    "parameters": {**DEFAULT_PARAMS, **params},
                    "input": task_input if task_input is not None else {},
                },
            }
        )
        return self.task_id

    async def start(self, **kwargs: Any) -> str:
        """run-task and wait for task-started."""
        task_id = await self.run_task(**kwargs)
        event = await self.recv()
        assert isinstance(event, dict), event
        assert event["header"]["event"] == "task-started", event
        return task_id

    async def continue_task(
        self, text: str | None = None, *, task_id: str | None = None, **extra: Any
    ) -> None:
        task_input: dict[str, Any] = dict(extra)
        if text is not None:
            task_input["text"] = text
        await self.send(
            {
                "header": {
                    "action": "continue-task",
                    "task_id": task_id or self.task_id,
                    "streaming": "duplex",
                },
                "payload": {"input": task_input},
            }
        )

    async def finish_task(
        self, *, task_id: str | None = None, directive: str | None = None
    ) -> None:
        task_input = {"directive": directive} if directive else {}
        await self.send(
            {
                "header": {
                    "action": "finish-task",
                    "task_id": task_id or self.task_id,
                    "streaming": "duplex",
                },
                "payload": {"input": task_input},
            }
        )

    async def recv(self, timeout: float = 5.0) -> Message:
        async with asyncio.timeout(timeout):
            message = await self.ws.recv()
        if isinstance(message, bytes):
            return message
        return json.loads(message)  # type: ignore[no-any-return]

    async def collect(self, timeout: float = 10.0) -> TaskResult:
        """Receive until task-finished or task-failed."""
        result = TaskResult()
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv(timeout)
                result.messages.append(message)
                if isinstance(message, dict) and message["header"]["event"] in (
                    "task-finished",
                    "task-failed",
                ):
                    return result

    async def speak(self, *texts: str, **params: Any) -> TaskResult:
        """A whole task: run-task, each text, finish-task, collect."""
        await self.start(**params)
        for text in texts:
            await self.continue_task(text)
        await self.finish_task()
        return await self.collect()

    async def expect_closed(self, timeout: float = 5.0) -> ConnectionClosed:
        """Wait for the server to close the socket; return how it closed."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.ws.recv()
        except ConnectionClosed as exc:
            return exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def quiet(self, seconds: float) -> bool:
        """Whether nothing arrives for ``seconds``."""
        try:
            await self.recv(timeout=seconds)
        except TimeoutError:
            return True
        return False


async def eventually(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    """Wait until ``predicate()`` holds (server-side bookkeeping lags the client)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def decode(audio: bytes) -> tuple[int, int]:
    """Decode a container stream with PyAV; return (sample rate, sample count)."""
    samples = 0
    rate = 0
    with av.open(io.BytesIO(audio)) as container:
        for frame in container.decode(audio=0):
            samples += frame.samples
            rate = frame.sample_rate
    return rate, samples


def opus_input_rate(audio: bytes) -> int:
    """The input sample rate stored in an Ogg Opus stream's OpusHead."""
    start = audio.index(b"OpusHead")
    return int.from_bytes(audio[start + 12 : start + 16], "little")
