"""``scripts/develop``'s Assist: an agent that writes its answers slowly, in Markdown.

The stand-in agent (``devtools/custom_components/streaming_agent``) answers as a
language model does, a few characters at a time, and an Assist pipeline, *Streamed
answers*, has the first voice profile speak it while it is written: what an LLM
writes reaches CosyVoice as words (the emulator's log shows each text as the service
gets it). Added once; a developer who removes them keeps them removed until the
configuration folder is new.

The browser's Assist dialog speaks no typed request, so ``python -m
devtools.develop_assist [TEXT]`` asks as a voice satellite does: it runs the pipeline
to its speech and fetches the audio while the answer is still being written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from devtools.hass_runner import ROOT, HassApi
from devtools.hass_socket import HassSocket

AGENT = ROOT / "devtools" / "custom_components" / "streaming_agent"
AGENT_ENTITY = "conversation.streaming_agent"
PIPELINE = "Streamed answers"
SPEAKER = "tts.cosyvoice"


async def add_streamed_answers(api: HassApi, socket: HassSocket) -> bool:
    """Add the agent and the pipeline unless the agent is there; True if added."""
    if await api.entries("streaming_agent"):
        return False
    result = await api.add_entry("streaming_agent", {})
    if result.get("type") != "create_entry":
        raise RuntimeError(f"the streaming agent was not added: {result}")
    await api.wait_for_entity(AGENT_ENTITY)
    await socket.command("assist_pipeline/pipeline/create", **_pipeline())
    return True


def _pipeline() -> dict[str, Any]:
    """The agent answers in English, the first voice profile speaks it."""
    return {
        "name": PIPELINE,
        "language": "en",
        "conversation_engine": AGENT_ENTITY,
        "conversation_language": "*",
        "stt_engine": None,
        "stt_language": None,
        "tts_engine": SPEAKER,
        "tts_language": "en",
        "tts_voice": None,
        "wake_word_entity": None,
        "wake_word_id": None,
    }


async def ask(url: str, text: str, out: Path) -> int:
    """Run the pipeline as a satellite does; write the audio to ``out``."""
    async with aiohttp.ClientSession() as session:
        api = HassApi(session, url)
        await api.login("dev", "cosyvoice-dev")
        async with HassSocket(session, url, api.access_token) as socket:
            pipelines = await socket.command("assist_pipeline/pipeline/list")
            ids = [p["id"] for p in pipelines["pipelines"] if p["name"] == PIPELINE]
            if not ids:
                print(f"No Assist pipeline {PIPELINE!r}: start scripts/develop first.")
                return 1
            started = time.monotonic()
            audio, first = await _run(socket, session, url, ids[0], text)
    await asyncio.to_thread(out.write_bytes, audio)
    print(
        f"{len(audio)} bytes of speech in {out}; the first after {first - started:.2f} s."
    )
    print("The emulator's log shows what reached the service: `task … text '…'`.")
    return 0


async def _run(
    socket: HassSocket,
    session: aiohttp.ClientSession,
    url: str,
    pipeline: str,
    text: str,
) -> tuple[bytes, float]:
    """The run's speech and when its first bytes came, fetched while it is written.

    The socket stays open to the run's end: Home Assistant stops a run whose
    socket closes.
    """
    fetch: asyncio.Task[tuple[bytes, float]] | None = None
    events = socket.events(
        "assist_pipeline/run",
        start_stage="intent",
        end_stage="tts",
        input={"text": text},
        pipeline=pipeline,
    )
    try:
        async for event in events:
            data = event.get("data") or {}
            output = data.get("tts_output") or {}
            if fetch is None and output.get("url"):
                fetch = asyncio.create_task(_fetch(session, url + output["url"]))
            if event["type"] == "error":
                raise RuntimeError(str(data.get("message")))
            if event["type"] == "run-end":
                break
    finally:
        await events.aclose()
    if fetch is None:
        raise RuntimeError("the pipeline ended without speech")
    return await fetch


async def _fetch(session: aiohttp.ClientSession, url: str) -> tuple[bytes, float]:
    """What a speaker gets from the URL, and when its first bytes came."""
    async with session.get(url) as response:
        response.raise_for_status()
        first = await response.content.readany()
        at = time.monotonic()
        return first + await response.read(), at


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m devtools.develop_assist [--url URL] [TEXT]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text", nargs="?", default="What's the weather tonight?")
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", type=Path, default=Path("answer.mp3"))
    args = parser.parse_args(argv)
    return asyncio.run(ask(args.url.rstrip("/"), args.text, args.out))


if __name__ == "__main__":
    sys.exit(main())
