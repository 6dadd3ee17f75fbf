"""Streamed text read once from its writer, and as often as needed after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from custom_components.cosyvoice.text_tap import TextTap


async def test_every_reader_gets_every_piece_from_the_first() -> None:
    more = asyncio.Event()

    async def writer() -> AsyncIterator[str]:
        yield "one "
        await more.wait()
        yield "two"

    tap = TextTap(writer())
    first = tap.pieces()
    assert await anext(first) == "one "
    await tap.started.wait()
    more.set()
    assert [p async for p in first] == ["two"]
    assert [p async for p in tap.pieces()] == ["one ", "two"]
    await tap.close()


async def test_a_writer_that_fails_fails_its_readers_after_what_it_wrote() -> None:
    async def writer() -> AsyncIterator[str]:
        yield "one "
        raise RuntimeError("the answer broke off")

    tap = TextTap(writer())
    reader = tap.pieces()
    assert await anext(reader) == "one "
    with pytest.raises(RuntimeError, match="broke off"):
        await anext(reader)
    await tap.close()


async def test_closing_stops_reading_a_writer_still_writing() -> None:
    never = asyncio.Event()

    async def writer() -> AsyncIterator[str]:
        yield "one "
        await never.wait()
        yield "never"

    tap = TextTap(writer())
    await tap.started.wait()
    await tap.close()
    assert [p async for p in tap.pieces()] == ["one "]
