"""Unit tests of the emulator's pure parts: billing, splitting, voices, faults."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.emulator import EmulatorConfig, Fault
from devtools.emulator.audio import Chunker
from devtools.emulator.config import FaultKind, handshake_message
from devtools.emulator.faults import FaultPlan
from devtools.emulator.text import (
    SentenceSplitter,
    billed_characters,
    has_ssml_markup,
    is_han,
    strip_ssml,
)
from devtools.emulator.voices import cloned_voice_model, is_system_voice


@pytest.mark.parametrize(
    ("text", "billed"),
    [
        ("你好", 4),
        ("中A文123", 8),
        ("中文。", 5),
        ("中 文。", 6),
        ("漢字", 4),  # traditional
        ("こんにちは", 5),  # kana count 1
        ("한국어", 3),  # hangul counts 1
        ("𠀀", 2),  # extension B
        ("", 0),
    ],
)
def test_billing(text: str, billed: int) -> None:
    assert billed_characters(text) == billed


def test_is_han() -> None:
    assert is_han("中")
    assert not is_han("a")
    assert not is_han("。")


def test_strip_ssml() -> None:
    assert strip_ssml("<speak>你好<break time='1s'/>&lt;&amp;</speak>") == "你好<&"
    assert strip_ssml("plain text") == "plain text"
    assert has_ssml_markup("<speak>x</speak>")
    assert not has_ssml_markup("1 < 2")


def test_splitter_buffers_and_drains() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hello") == []
    assert splitter.feed(" world. And") == ["Hello world."]
    assert splitter.feed("?!") == [" And?!"]
    assert splitter.feed("\n\n") == []
    assert splitter.drain() == []
    assert splitter.feed("e.g. this") == ["e.g."]
    assert splitter.drain() == [" this"]
    assert splitter.drain() == []


@pytest.mark.parametrize(
    ("voice", "model"),
    [
        ("cosyvoice-v3-plus-abc-123", "cosyvoice-v3-plus"),
        ("cosyvoice-v3-myvoice-0a1b", "cosyvoice-v3"),
        ("cosyvoice-v3.5-flash-x-1", "cosyvoice-v3.5-flash"),
        ("cosyvoice-v3.5-plus-vd-x-0a1b", "cosyvoice-v3.5-plus"),
        ("longanyang", None),
        ("cosyvoice-v3-flash-toolongprefix-1", None),
    ],
)
def test_cloned_voice_model(voice: str, model: str | None) -> None:
    assert cloned_voice_model(voice) == model


def test_is_system_voice() -> None:
    assert is_system_voice("longwan", "cosyvoice-v1")
    assert not is_system_voice("longwan_v2", "cosyvoice-v1")
    assert is_system_voice("loongeva_v3.6", "qwen-audio-3.0-tts-flash")
    assert not is_system_voice("loongeva_v3.6", "cosyvoice-v3-flash")
    # Custom voices are never system voices, whatever the model.
    assert not is_system_voice("cosyvoice-v3-plus-abc-1", "cosyvoice-v3-flash")
    assert not is_system_voice("cosyvoice-v3-flash-abc-1", "cosyvoice-v3-flash")


def test_fault_constructors() -> None:
    assert Fault.handshake(429) == Fault(
        FaultKind.HANDSHAKE, status=429, code="Throttling.RateQuota"
    )
    assert Fault.handshake(418).code == "InternalError"
    assert Fault.handshake(401).is_handshake
    assert not Fault.hang().is_handshake
    assert Fault.drop(after_audio=True).after_audio
    with pytest.raises(AttributeError):
        Fault.hang().status = 1  # type: ignore[misc]
    assert handshake_message("Odd") == "Request failed: Odd."


def test_fault_plan_queues_per_kind() -> None:
    plan = FaultPlan(EmulatorConfig())
    plan.add(Fault.hang(), times=2)
    plan.add(Fault.handshake(500))
    assert plan.next_handshake() == Fault.handshake(500)
    assert plan.next_handshake() is None
    assert plan.next_task() == Fault.hang()
    assert plan.next_task() == Fault.hang()
    assert plan.next_task() is None


def test_fault_plan_reseeds_when_the_seed_changes() -> None:
    config = EmulatorConfig(random_fault_rate=0.5, random_seed=1)
    plan = FaultPlan(config)
    first = [plan.next_task() for _ in range(20)]
    config.random_seed = 2
    second = [plan.next_task() for _ in range(20)]
    config.random_seed = 1
    again = [plan.next_task() for _ in range(20)]
    assert first == again != second
    assert any(f is None for f in first)
    assert any(f is not None for f in first)


def test_chunker() -> None:
    chunker = Chunker(4)
    assert chunker.push(np.arange(3, dtype=np.int16)) == []
    chunks = chunker.push(np.arange(3, 10, dtype=np.int16))
    assert [c.tolist() for c in chunks] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert chunker.drain().tolist() == [8, 9]
    assert chunker.drain().tolist() == []
