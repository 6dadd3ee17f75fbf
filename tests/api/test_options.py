"""Options are validated when built, before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.cosyvoice.api import InvalidOptionError, SynthesisOptions
from custom_components.cosyvoice.api.options import default_voice


def test_defaults_are_valid() -> None:
    options = SynthesisOptions()
    assert (options.model, options.voice, options.format, options.sample_rate) == (
        "cosyvoice-v3-flash",
        "longanyang",
        "mp3",
        22050,
    )
    assert options.model_info.http


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "cosyvoice-v1", "voice": "longxiaochun", "format": "wav"},
        {
            "model": "cosyvoice-v2",
            "voice": "longxiaochun_v2",
            "format": "opus",
            "sample_rate": 48000,
            "bit_rate": 64,
        },
        {
            "model": "cosyvoice-v3-plus",
            "voice": "longanhuan",
            "volume": 0,
            "rate": 0.5,
            "pitch": 2,
        },
        {
            "model": "cosyvoice-v3-flash",
            "voice": "longanyang",
            "volume": 100,
            "rate": 2.0,
            "pitch": 0.5,
            "seed": 65535,
            "language_hints": ("en",),
            "instruction": "你说话的情感是happy。",
        },
        {"model": "cosyvoice-v3.5-plus", "voice": "cosyvoice-v3.5-plus-myvoice-abc123"},
        {"model": "qwen-audio-3.1-tts-flash", "voice": "longanhuan_v3.1"},
        {"sample_rate": 8000, "format": "pcm"},
        {"sample_rate": 44100, "format": "mp3", "enable_ssml": True},
    ],
)
def test_valid_combinations(kwargs: dict[str, Any]) -> None:
    SynthesisOptions(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "option", "fragment"),
    [
        ({"model": "cosyvoice-v9"}, "model", "unknown model"),
        ({"voice": ""}, "voice", "empty"),
        ({"voice": "nobody"}, "voice", "unknown voice"),
        ({"model": "cosyvoice-v1", "voice": "longanyang"}, "voice", "does not belong"),
        ({"voice": "longwan"}, "voice", "does not belong"),
        (
            {"model": "cosyvoice-v3.5-flash", "voice": "longanyang"},
            "voice",
            "only cloned",
        ),
        ({"voice": "cosyvoice-v2-mine-abc"}, "voice", "unknown voice"),
        ({"format": "flac"}, "format", "flac"),
        (
            {
                "model": "cosyvoice-v1",
                "voice": "longwan",
                "format": "opus",
                "sample_rate": 24000,
            },
            "format",
            "opus",
        ),
        ({"sample_rate": 11025}, "sample_rate", "11025"),
        ({"format": "opus", "sample_rate": 22050}, "sample_rate", "opus"),
        ({"volume": 101}, "volume", "0 to 100"),
        ({"volume": -1}, "volume", "0 to 100"),
        ({"volume": 50.5}, "volume", "whole number"),
        ({"volume": True}, "volume", "whole number"),
        ({"rate": 0.4}, "rate", "0.5 to 2"),
        ({"rate": float("nan")}, "rate", "nan"),
        ({"pitch": 2.01}, "pitch", "0.5 to 2"),
        ({"pitch": "1"}, "pitch", "number"),
        ({"bit_rate": 32}, "bit_rate", "opus only"),
        (
            {"format": "opus", "sample_rate": 16000, "bit_rate": 5},
            "bit_rate",
            "6 to 510",
        ),
        ({"seed": 70000}, "seed", "0 to 65535"),
        (
            {"model": "cosyvoice-v1", "voice": "longwan", "seed": 1},
            "seed",
            "does not take",
        ),
        (
            {"model": "cosyvoice-v1", "voice": "longwan", "language_hints": ("zh",)},
            "language_hints",
            "does not take",
        ),
        ({"instruction": "x" * 101}, "instruction", "100"),
        (
            {"model": "cosyvoice-v1", "voice": "longwan", "enable_ssml": True},
            "enable_ssml",
            "SSML",
        ),
    ],
)
def test_invalid_options_name_the_option(
    kwargs: dict[str, Any], option: str, fragment: str
) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        SynthesisOptions(**kwargs)
    assert caught.value.option == option
    assert fragment in str(caught.value)


def test_options_are_immutable_and_comparable() -> None:
    options = SynthesisOptions()
    with pytest.raises(AttributeError):
        options.volume = 10  # type: ignore[misc]
    assert options == SynthesisOptions()
    assert hash(options) == hash(SynthesisOptions())


def test_default_voice() -> None:
    assert default_voice("cosyvoice-v1") == "longxiaochun"
    assert default_voice("cosyvoice-v3-flash") == "longanyang"
    assert default_voice("cosyvoice-v3.5-plus") is None
    assert default_voice("nope") is None
