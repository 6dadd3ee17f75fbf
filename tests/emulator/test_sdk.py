"""The official dashscope SDK against the emulator: proof it speaks the real protocol."""

from __future__ import annotations

import asyncio
import threading

import dashscope
import pytest
from dashscope.audio.tts_v2 import AudioFormat, ResultCallback, SpeechSynthesizer

from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY


class _Collector(ResultCallback):  # type: ignore[misc]
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.events: list[str] = []
        self.completed = threading.Event()
        self.errors: list[str] = []

    def on_data(self, data: bytes) -> None:
        self.frames.append(bytes(data))

    def on_event(self, message: str) -> None:
        self.events.append(message)

    def on_complete(self) -> None:
        self.completed.set()

    def on_error(self, message: str) -> None:
        self.errors.append(message)


def _closing_cleanly(synthesizer: SpeechSynthesizer) -> SpeechSynthesizer:
    """Make the SDK's own close() leave no thread behind.

    The SDK closes its websocket-client socket from the caller's thread while
    the reader thread sits in epoll on it; about half the time the socket is
    closed under the reader, which then waits forever (a client-library race,
    nothing to do with the protocol). Instead, send the close frame and let the
    reader thread take the server's reply, tear down and end by itself.
    """

    def close() -> None:
        app = synthesizer.ws
        sock = getattr(app, "sock", None)
        if sock is not None and sock.connected:
            sock.send_close()
            synthesizer.thread.join(5)
            sock.shutdown()  # send_close() made the reader's teardown skip this
        if app is not None:
            app.close()

    synthesizer.close = close
    return synthesizer


async def _finish(synthesizer: SpeechSynthesizer) -> None:
    """Close (if the SDK has not) and make sure its thread has ended."""
    await asyncio.to_thread(synthesizer.close)
    thread = getattr(synthesizer, "thread", None)
    if thread is not None:
        await asyncio.to_thread(thread.join, 5)
        assert not thread.is_alive()


@pytest.mark.sdk
async def test_official_sdk(
    emulator: DashScopeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashscope, "api_key", TEST_API_KEY)

    # call(): run-task (enable_ssml forced on) → one continue-task → finish-task.
    synthesizer = _closing_cleanly(
        SpeechSynthesizer(
            model="cosyvoice-v3-flash",
            voice="longanyang",
            format=AudioFormat.PCM_22050HZ_MONO_16BIT,
            url=emulator.ws_url,
        )
    )
    try:
        audio = await asyncio.to_thread(
            synthesizer.call, "今天天气怎么样？Hello world."
        )
    finally:
        await _finish(synthesizer)
    record = emulator.tasks[-1]
    assert audio == record.audio
    assert len(audio) == 2 * round(27 * 20.0 * 22050 / 1000)
    assert record.state == "finished"
    assert record.parameters["enable_ssml"] is True
    assert record.task_id == synthesizer.get_last_request_id()

    # streaming_call ×2 + streaming_complete with a callback.
    collector = _Collector()
    streaming = _closing_cleanly(
        SpeechSynthesizer(
            model="cosyvoice-v2",
            voice="longxiaochun_v2",
            format=AudioFormat.MP3_24000HZ_MONO_256KBPS,
            callback=collector,
            url=emulator.ws_url,
        )
    )
    try:
        await asyncio.to_thread(streaming.streaming_call, "床前明月光，")
        await asyncio.to_thread(streaming.streaming_call, "疑是地上霜。")
        await asyncio.to_thread(streaming.streaming_complete, 10_000)
    finally:
        await _finish(streaming)
    record = emulator.tasks[-1]
    assert collector.completed.is_set()
    assert collector.errors == []
    assert b"".join(collector.frames) == record.audio
    assert record.texts == ["床前明月光，", "疑是地上霜。"]
    assert record.characters == 22
    assert (record.format, record.sample_rate) == ("mp3", 24000)
    assert any('"sentence-end"' in event for event in collector.events)
    assert emulator.connections_opened == 2
