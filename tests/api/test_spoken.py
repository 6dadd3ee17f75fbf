"""What reaches the service, as the emulator (which follows the docs) receives it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from custom_components.cosyvoice.api import (
    CosyVoiceClient,
    StreamingSettings,
    SynthesisOptions,
    billed_length,
)
from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY

ANSWER = [
    "## Tonight\n\nThe **front",
    " door** is `locked`",
    ". 🔒\n\n- Lights: *off*\n- See",
    " [the app](https://example.com/x).\n",
]
WORDS = {
    "pronunciations": (("重庆", "chong2 qing4"),),
    "replacements": (("HA", "Home Assistant"),),
}


async def _written(pieces: list[str]) -> AsyncIterator[str]:
    for piece in pieces:
        await asyncio.sleep(0.05)  # a writer still at work: the duplex path
        yield piece


def _wire_text(emulator: DashScopeEmulator) -> str:
    return "".join(text for task in emulator.tasks for text in task.texts)


async def test_a_streamed_answer_reaches_the_service_as_words(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    options = SynthesisOptions(format="pcm", message_language="en-US", seed=7)
    audio = b"".join([c async for c in client.stream_text(_written(ANSWER), options)])
    assert audio
    sent = _wire_text(emulator)
    assert " ".join(sent.split()) == (
        "Tonight. The front door is locked. Lights: off. See the app."
    )
    (task,) = emulator.tasks
    assert task.parameters["language_hints"] == ["en"]
    assert task.parameters["seed"] == 7


@pytest.mark.parametrize(
    ("before", "after", "first_sent"),
    [
        # A word held back in case an emoji or a pause mark follows it.
        ("Hello there, and welcome", " home.", "Hello there, and welcome"),
        ("今天天气很好，我们", "出去走走吧。", "今天天气很好，我们"),
        # An open emphasis is never spoken as markup, pause or not.
        ("It is **very", " warm** now.", "It is"),
    ],
)
async def test_a_writer_that_stops_is_heard_up_to_where_it_stopped(
    client: CosyVoiceClient,
    emulator: DashScopeEmulator,
    before: str,
    after: str,
    first_sent: str,
) -> None:
    """What it wrote is spoken while it thinks; the rest when it goes on."""
    heard = asyncio.Event()

    async def writer() -> AsyncIterator[str]:
        yield before
        await asyncio.wait_for(heard.wait(), 10)  # only audio lets it go on
        yield after

    settings = StreamingSettings(pause=0.05, idle_finish=0.3)
    options = SynthesisOptions(format="pcm")
    async for _ in client.stream_text(writer(), options, settings):
        heard.set()
    (task,) = emulator.tasks
    assert task.texts[0] == first_sent
    assert "".join(task.texts) == (before + after).replace("**", "")


async def test_a_whole_answer_is_cleaned_and_billed_as_words(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    result = await client.synthesize("".join(ANSWER), SynthesisOptions(format="pcm"))
    assert " ".join(_wire_text(emulator).split()) == (
        "Tonight. The front door is locked. Lights: off. See the app."
    )
    # Billed for the words alone: the markup, the address and the emoji cost nothing.
    assert result.characters < billed_length("".join(ANSWER)) - 40


async def test_cleaning_can_be_switched_off(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    await client.synthesize("**Bold** move", SynthesisOptions(clean_text=False))
    assert _wire_text(emulator) == "**Bold** move"


async def test_v3_flash_gets_the_homes_words_as_hot_fix(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    options = SynthesisOptions(format="pcm", **WORDS)  # type: ignore[arg-type]
    await client.synthesize("HA: 到重庆了。", options)
    (task,) = emulator.tasks
    assert task.texts == ["HA: 到重庆了。"]
    assert task.parameters["hot_fix"] == {
        "pronunciation": [{"重庆": "chong2 qing4"}],
        "replace": [{"HA": "Home Assistant"}],
    }


async def test_v2_gets_them_in_the_text_and_as_phonemes_for_its_own_voice(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    voice = emulator.add_voice(TEST_API_KEY, "cosyvoice-v2", "grandma")
    options = SynthesisOptions(
        model="cosyvoice-v2",
        voice=voice,
        format="pcm",
        **WORDS,  # type: ignore[arg-type]
    )
    await client.synthesize("HA: 到重庆了。", options)
    (task,) = emulator.tasks
    assert "hot_fix" not in task.parameters
    assert task.parameters["enable_ssml"] is True
    assert task.texts == [
        '<speak>Home Assistant: 到<phoneme alphabet="py" ph="chong2 qing4">'
        "重庆</phoneme>了。</speak>"
    ]


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_v2_system_voice_gets_the_replacements_only(
    client: CosyVoiceClient, emulator: DashScopeEmulator, streamed: bool
) -> None:
    """No SSML for a voice the list does not mark as taking it, nor for a stream."""
    options = SynthesisOptions(
        model="cosyvoice-v2",
        voice="longxiaochun_v2",
        format="pcm",
        **WORDS,  # type: ignore[arg-type]
    )
    text = ["H", "A: 到重", "庆了。", " HA"]
    if streamed:
        chunks = client.stream_text(_written(text), options)
        assert b"".join([chunk async for chunk in chunks])
    else:
        await client.synthesize("".join(text), options)
    assert _wire_text(emulator) == "Home Assistant: 到重庆了。 Home Assistant"
    assert all("enable_ssml" not in task.parameters for task in emulator.tasks)


@pytest.mark.parametrize(
    ("language", "text", "hint"),
    [
        ("zh-Hans", "Take out the trash.", "en"),
        ("en-US", "该倒垃圾了。", "zh"),
        ("zh-CN", "该倒垃圾了。", "zh"),
        ("fr-FR", "Sortez les poubelles.", "fr"),
        ("es-ES", "Saca la basura.", None),
    ],
)
async def test_the_message_language_becomes_the_hint(
    client: CosyVoiceClient,
    emulator: DashScopeEmulator,
    language: str,
    text: str,
    hint: str | None,
) -> None:
    await client.synthesize(text, SynthesisOptions(message_language=language))
    assert emulator.tasks[-1].parameters.get("language_hints") == (
        None if hint is None else [hint]
    )


async def test_a_pinned_language_wins_and_v1_gets_none(
    client: CosyVoiceClient, emulator: DashScopeEmulator
) -> None:
    pinned = SynthesisOptions(language_hints=("zh",), message_language="en")
    await client.synthesize("Hello", pinned)
    assert emulator.tasks[-1].parameters["language_hints"] == ["zh"]
    v1 = SynthesisOptions(model="cosyvoice-v1", voice="longwan", message_language="en")
    await client.synthesize("Hello", v1)
    assert "language_hints" not in emulator.tasks[-1].parameters
