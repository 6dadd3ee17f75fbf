"""Options are validated when built, before anything is sent."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.cosyvoice.api import InvalidOptionError, SynthesisOptions
from custom_components.cosyvoice.api.audio import FORMATS, SAMPLE_RATES
from custom_components.cosyvoice.api.models import MODELS
from custom_components.cosyvoice.api.options import default_voice, voice_for_model
from custom_components.cosyvoice.api.voices import VOICES
from tests.strategies import JSON_SCALARS, json_values


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
        ({"voice": "nobody"}, "voice", "designed or cloned for"),
        ({"model": "cosyvoice-v1", "voice": "longanyang"}, "voice", "does not belong"),
        ({"voice": "longwan"}, "voice", "does not belong"),
        (
            {"model": "cosyvoice-v3.5-flash", "voice": "longanyang"},
            "voice",
            "only cloned",
        ),
        ({"voice": "cosyvoice-v2-mine-abc"}, "voice", "cloned for cosyvoice-v2"),
        (
            {"voice": "cosyvoice-v3.5-plus-vd-grandma-abc"},
            "voice",
            "designed for cosyvoice-v3.5-plus and speaks only with that model",
        ),
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


# --- Property-based: options of any value and type --------------------------------------

_FIELDS = {field.name for field in fields(SynthesisOptions)}
# A good value of each field, so a few wrong ones are checked among right ones.
_GOOD: dict[str, st.SearchStrategy[Any]] = {
    "model": st.sampled_from(sorted(MODELS)),
    "voice": st.sampled_from([*sorted(VOICES)[:20], "longanyang", "longxiaochun_v2"]),
    "format": st.sampled_from(FORMATS),
    "sample_rate": st.sampled_from(SAMPLE_RATES),
    "volume": st.integers(0, 100),
    "rate": st.floats(0.5, 2.0),
    "pitch": st.floats(0.5, 2.0),
    "bit_rate": st.none() | st.integers(6, 510),
    "language_hints": st.lists(st.sampled_from(["zh", "en", "ja"]), max_size=2).map(
        tuple
    ),
    "instruction": st.none() | st.text(max_size=20),
    "seed": st.none() | st.integers(0, 65535),
    "enable_ssml": st.booleans(),
    "extra": st.dictionaries(st.text(max_size=8), JSON_SCALARS, max_size=2),
}
_ANYTHING = (
    JSON_SCALARS
    | st.integers(-(10**400), 10**400)
    | st.lists(JSON_SCALARS, max_size=2)
    | st.tuples(JSON_SCALARS)
    | st.dictionaries(JSON_SCALARS, JSON_SCALARS, max_size=2)
    | st.binary(max_size=4)
    | st.just(object())
)
_options = st.fixed_dictionaries(
    {}, optional={name: value | _ANYTHING for name, value in _GOOD.items()}
)


@given(_options)
@example({"model": []})  # found by fuzzing: TypeError (unhashable)
@example({"volume": 10**400})  # found by fuzzing: OverflowError
@example({"instruction": 5})  # found by fuzzing: TypeError
@example({"voice": 5})  # found by fuzzing: AttributeError
@example({"language_hints": 5})  # found by fuzzing: accepted, then sent as it was
def test_options_of_any_value_are_valid_or_refused(kwargs: dict[str, Any]) -> None:
    """Options are built only of well-typed values; anything else is refused by name."""
    try:
        options = SynthesisOptions(**kwargs)
    except InvalidOptionError as err:
        refused: str | None = err.option
    else:
        refused = None
    if refused is not None:
        assert refused in _FIELDS
        return
    assert options.model in MODELS
    assert isinstance(options.voice, str)
    assert options.voice
    assert options.format in FORMATS
    assert type(options.sample_rate) is int
    assert options.sample_rate in SAMPLE_RATES
    assert type(options.volume) is int
    for number in (options.rate, options.pitch):
        assert type(number) in (int, float)
        assert math.isfinite(number)
    assert options.bit_rate is None or type(options.bit_rate) is int
    assert options.seed is None or type(options.seed) is int
    assert isinstance(options.language_hints, tuple)
    assert all(isinstance(hint, str) for hint in options.language_hints)
    assert options.instruction is None or isinstance(options.instruction, str)
    assert type(options.enable_ssml) is bool
    assert isinstance(options.extra, dict)
    assert all(isinstance(key, str) for key in options.extra)


@given(
    _GOOD["model"] | json_values, _GOOD["voice"] | st.text(max_size=30) | json_values
)
@example([], "longanyang")  # found by fuzzing: TypeError (unhashable)
def test_voice_for_model_gives_a_voice_the_model_speaks(model: Any, voice: Any) -> None:
    """voice_for_model never raises; a voice it picks instead is one the model speaks."""
    chosen = voice_for_model(model, voice)
    if chosen is not voice:  # an unknown model is left for SynthesisOptions to refuse
        assert chosen == default_voice(model)
        if chosen is not None:
            SynthesisOptions(model=model, voice=chosen)
