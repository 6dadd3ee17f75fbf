"""From Home Assistant's TTS options to one validated :class:`SynthesisOptions`.

Home Assistant merges an entity's ``default_options`` with the caller's options, then
hands over the result, so every option arrives with a value: the configured one or
the caller's. Of the player's ``preferred_*`` options only ``preferred_format`` is
claimed (see :data:`.tts.SUPPORTED_OPTIONS`): CosyVoice makes MP3, WAV and Ogg Opus
itself, which spares Home Assistant a transcode. Rates, channels, sample widths and
bitrates are not claimed, so Home Assistant converts when a player asks for them: since
2026.11 it trusts a claimed option to be delivered exactly, and CosyVoice makes mono
16-bit audio at six rates only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from homeassistant.components.tts import ATTR_PREFERRED_FORMAT

from .api import (
    EXTENSIONS,
    OPTION_RULES,
    OPUS_SAMPLE_RATES,
    AudioFormat,
    InvalidOptionError,
    SynthesisOptions,
    options_from,
    voice_for_model,
)
from .const import (
    CONF_FORMAT,
    CONF_MODEL,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    HA_FORMATS,
)
from .option_table import PER_MESSAGE
from .runtime import option

# Home Assistant's names for the formats CosyVoice makes natively.
NATIVE_FORMATS: Final[dict[str, AudioFormat]] = {
    "mp3": "mp3",
    "wav": "wav",
    "ogg": "opus",
    "oga": "opus",
    "opus": "opus",
}


@dataclass(frozen=True, slots=True)
class ResolvedRequest:
    """What to ask CosyVoice for, and the extension to give Home Assistant."""

    options: SynthesisOptions
    extension: str


def default_options(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The entity's ``default_options``: every profile value that shapes the audio.

    All of them are here, not only read from the profile, because Home Assistant keys
    its audio cache on these options: changing one must not replay stale audio.
    """
    # An option with no value (no instruction) is left out: each voice speaks as it does.
    defaults = {
        key: value
        for key in PER_MESSAGE
        if (value := option(profile, key)) not in (None, "", [], {})
    }
    fmt = cast("AudioFormat", defaults[CONF_FORMAT])
    return {**defaults, ATTR_PREFERRED_FORMAT: EXTENSIONS[fmt]}


def resolve(
    options: Mapping[str, Any],
    defaults: Mapping[str, Any],
    language: str | None = None,
) -> ResolvedRequest:
    """Build the synthesis options of one call.

    The format is the player's ``preferred_format`` when CosyVoice makes it, else the
    ``format`` option (Home Assistant then converts). Opus is made at the nearest rate
    libopus has. A per-call model
    whose family does not know the configured voice gets its own default voice.
    ``language``: the message's, as Home Assistant gives it (the service's hint).
    Raises :class:`InvalidOptionError` naming the bad option.
    """
    preferred = str(options.get(ATTR_PREFERRED_FORMAT) or "").lower()
    # Checked even when the preferred format wins: a wrong one is an error, not ignored.
    configured = _format(options.get(CONF_FORMAT))
    fmt = NATIVE_FORMATS.get(preferred) or configured
    values = {key: options.get(key) for key in PER_MESSAGE}
    values[CONF_FORMAT] = fmt
    if fmt == "opus":
        rate = OPTION_RULES[CONF_SAMPLE_RATE].coerce(options.get(CONF_SAMPLE_RATE))
        values[CONF_SAMPLE_RATE] = _opus_rate(rate)
    model, voice = str(values[CONF_MODEL]), str(values[CONF_VOICE] or "")
    if model != defaults.get(CONF_MODEL) and voice == defaults.get(CONF_VOICE):
        values[CONF_VOICE] = voice_for_model(model, voice) or voice
    # The language Home Assistant says the message is in: the service's hint.
    synthesis = options_from({**values, "message_language": language})
    extension = preferred if NATIVE_FORMATS.get(preferred) == fmt else EXTENSIONS[fmt]
    return ResolvedRequest(synthesis, extension)


def _format(value: object) -> AudioFormat:
    fmt = str(value).lower()
    if fmt not in HA_FORMATS:
        raise InvalidOptionError(
            CONF_FORMAT, f"format {value!r} is not one of {', '.join(HA_FORMATS)}"
        )
    return cast("AudioFormat", fmt)


def _opus_rate(wanted: int) -> int:
    """The Opus rate closest to ``wanted``, not below it when possible."""
    rates = sorted(OPUS_SAMPLE_RATES)
    return next((rate for rate in rates if rate >= wanted), rates[-1])
