"""Every setting in one table: key, default, how a form asks for it, where it goes.

A voice profile (a ``tts`` subentry: model, voice, audio, prosody, routing) and the
account (the entry's options: its connection pool) each have their settings. The
defaults are the client's own (its settings dataclasses); the forms, the values they
store, the TTS entity's supported and default options, and :func:`.runtime.option`
are all built from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    Selector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .api import (
    MODELS,
    ROUTE_CHOICES,
    SAMPLE_RATES,
    KeepReadySettings,
    PoolSettings,
    RoutingSettings,
    SynthesisOptions,
)
from .const import (
    CONF_FORMAT,
    CONF_INSTRUCTION,
    CONF_KEEP_READY,
    CONF_LONG_TEXT_THRESHOLD,
    CONF_MODEL,
    CONF_PITCH,
    CONF_POOL_SIZE,
    CONF_RATE,
    CONF_ROUTE,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    HA_FORMATS,
    MAX_KEEP_READY,
    MAX_POOL_SIZE,
)


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One setting: of a voice profile's settings page, or of the account's options."""

    key: str
    default: Any
    """The client's default, used while the entry has no value."""
    parse: Callable[[Any], Any]
    """From the form's value (a select gives text) to what the client takes."""
    selector: Callable[[], Selector[Any]]
    """The form field; built anew for every form."""
    per_message: bool
    """Also a ``tts.speak`` option, part of the entity's default options."""
    show: Callable[[Any], Any] = lambda value: value
    """From a stored value to what the form field shows."""

    @property
    def required(self) -> bool:
        """A form must fill it: everything but free text, which may stay empty."""
        return bool(self.default != "")


def _select(options: list[str], key: str | None = None) -> SelectSelector:
    config = SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
    if key is not None:
        config["translation_key"] = key
    return SelectSelector(config)


def _slider(low: float, high: float, step: float) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=low, max=high, step=step, mode=NumberSelectorMode.SLIDER
        )
    )


def _box(low: float, high: float) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=low, max=high, step=1, mode=NumberSelectorMode.BOX)
    )


_SYNTHESIS: Final = SynthesisOptions()
_ROUTING: Final = RoutingSettings()
_POOL: Final = PoolSettings()
_KEEP_READY: Final = KeepReadySettings()

PROFILE_SETTINGS: Final[tuple[OptionSpec, ...]] = (
    OptionSpec(CONF_MODEL, _SYNTHESIS.model, str, lambda: _select(list(MODELS)), True),
    OptionSpec(
        CONF_FORMAT,
        _SYNTHESIS.format,
        str,
        lambda: _select(list(HA_FORMATS), CONF_FORMAT),
        True,
    ),
    OptionSpec(
        CONF_SAMPLE_RATE,
        _SYNTHESIS.sample_rate,
        int,
        lambda: _select([str(rate) for rate in SAMPLE_RATES]),
        True,
        show=str,
    ),
    OptionSpec(CONF_VOLUME, _SYNTHESIS.volume, int, lambda: _slider(0, 100, 1), True),
    OptionSpec(
        CONF_RATE, _SYNTHESIS.rate, float, lambda: _slider(0.5, 2.0, 0.05), True
    ),
    OptionSpec(
        CONF_PITCH, _SYNTHESIS.pitch, float, lambda: _slider(0.5, 2.0, 0.05), True
    ),
    OptionSpec(
        CONF_INSTRUCTION,
        "",
        lambda value: str(value or "").strip(),
        lambda: TextSelector(TextSelectorConfig(multiline=True)),
        True,
    ),
    OptionSpec(
        CONF_LONG_TEXT_THRESHOLD,
        _ROUTING.long_text_threshold,
        int,
        lambda: _box(0, 200_000),
        False,
    ),
    OptionSpec(
        CONF_ROUTE,
        _ROUTING.route,
        str,
        lambda: _select(list(ROUTE_CHOICES), CONF_ROUTE),
        False,
    ),
)
"""A voice profile's settings page, in order. The voice has a page of its own."""

ACCOUNT_SETTINGS: Final[tuple[OptionSpec, ...]] = (
    OptionSpec(
        CONF_POOL_SIZE,
        _POOL.max_connections,
        int,
        lambda: _box(1, MAX_POOL_SIZE),
        False,
    ),
    OptionSpec(
        CONF_KEEP_READY,
        _KEEP_READY.connections,
        int,
        lambda: _box(0, MAX_KEEP_READY),
        False,
    ),
)
"""The entry's options: what every profile of the account shares."""

DEFAULT_PROFILE: Final[dict[str, Any]] = {
    **{spec.key: spec.default for spec in PROFILE_SETTINGS},
    CONF_VOICE: _SYNTHESIS.voice,
}
"""A new voice profile: the client's defaults."""

DEFAULTS: Final[dict[str, Any]] = {
    **DEFAULT_PROFILE,
    **{spec.key: spec.default for spec in ACCOUNT_SETTINGS},
}
"""Every setting's default, of a profile or of the account."""

PER_MESSAGE: Final[tuple[str, ...]] = (
    *(spec.key for spec in PROFILE_SETTINGS if spec.per_message),
    CONF_VOICE,
)
"""Profile settings that a single message may change too."""
