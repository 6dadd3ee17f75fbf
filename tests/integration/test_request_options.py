"""A call's TTS options resolved into synthesis options: any JSON is used or refused."""

from __future__ import annotations

from typing import Any

from homeassistant.components.tts import ATTR_PREFERRED_FORMAT
from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.cosyvoice.api import (
    EXTENSIONS,
    OPUS_SAMPLE_RATES,
    InvalidOptionError,
)
from custom_components.cosyvoice.option_table import DEFAULT_PROFILE, PER_MESSAGE
from custom_components.cosyvoice.request_options import (
    NATIVE_FORMATS,
    default_options,
    resolve,
)
from tests.strategies import json_values

DEFAULTS = default_options(DEFAULT_PROFILE)
_KEYS = (*PER_MESSAGE, ATTR_PREFERRED_FORMAT, "preferred_sample_rate", "unknown")
# Values a person or an automation may write, near the right ones and far from them.
_values = (
    st.sampled_from(["mp3", "WAV", "ogg", "flac", "opus", "cosyvoice-v2", "longwan"])
    | st.sampled_from([0, 8000, 16000, 48000, "22050", 0.5, 2, "1.5", 1e400, -1e400])
    | st.integers()
    | st.just(float("nan"))
    | json_values
)


def test_the_entity_defaults_resolve_to_themselves() -> None:
    resolved = resolve(DEFAULTS, DEFAULTS)
    assert resolved.options.model == DEFAULTS["model"]
    assert resolved.options.voice == DEFAULTS["voice"]
    assert resolved.extension == DEFAULTS[ATTR_PREFERRED_FORMAT]


@given(st.dictionaries(st.sampled_from(_KEYS), _values, max_size=4))
@example({"volume": 10**400})  # found by fuzzing: OverflowError
@example({"rate": -(10**309)})
def test_any_options_resolve_or_are_refused_by_name(overrides: dict[str, Any]) -> None:
    """Options of any JSON resolve to a request CosyVoice can make, or are refused."""
    options = {**DEFAULTS, **overrides}
    try:
        resolved = resolve(options, DEFAULTS)
    except InvalidOptionError as err:
        refused: str | None = err.option
    else:
        refused = None
    if refused is not None:
        assert refused in (*PER_MESSAGE, "voice", "model", "format")
        return
    synthesis = resolved.options
    assert resolved.extension in (*EXTENSIONS.values(), *NATIVE_FORMATS)
    assert NATIVE_FORMATS.get(resolved.extension, synthesis.format) == synthesis.format
    if synthesis.format == "opus":
        assert synthesis.sample_rate in OPUS_SAMPLE_RATES
