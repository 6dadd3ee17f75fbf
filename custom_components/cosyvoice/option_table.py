"""Every setting of a form: key, default, how a form asks for it, where it goes.

A voice profile (a ``tts`` subentry: model, voice, audio, prosody, routing) and the
account (the entry's options: its connection pool) each have their settings. The
synthesis options come from the client's table (:data:`.api.OPTION_TABLE`): their
defaults, ranges, choices and whether one message may change them are read there,
never restated. Routing and the pool are the client's settings dataclasses. The
forms, the values they store, the TTS entity's supported and default options, and
:func:`.runtime.option` are all built from this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.helpers.selector import (
    BooleanSelector,
    EntityFilterSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
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
    OPTION_TABLE,
    ROUTE_CHOICES,
    KeepReadySettings,
    OptionRule,
    PoolSettings,
    RoutingSettings,
    as_lines,
)
from .const import (
    CONF_FALLBACK_AFTER,
    CONF_FALLBACK_ENGINE,
    CONF_FORMAT,
    CONF_KEEP_READY,
    CONF_LONG_TEXT_THRESHOLD,
    CONF_POOL_SIZE,
    CONF_ROUTE,
    CONF_VOICE,
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
    selector: Callable[[tuple[str, ...]], Selector[Any]]
    """The form field, built anew for every form; given the entities a picker leaves
    out (the profile's own)."""
    show: Callable[[Any], Any] = lambda value: value
    """From a stored value to what the form field shows."""

    optional: bool = False
    """A form may leave it out: its default is then taken."""

    @property
    def required(self) -> bool:
        """A form must fill it: not free text, which may stay empty, nor optional."""
        return not self.optional and bool(self.default != "")


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


_ROUTING: Final = RoutingSettings()
_POOL: Final = PoolSettings()
_KEEP_READY: Final = KeepReadySettings()

_FORM_CHOICES: Final[dict[str, tuple[str, ...]]] = {CONF_FORMAT: HA_FORMATS}
"""Choices a form narrows: Home Assistant can serve no raw PCM (it has no container)."""


class _TtsPicker(EntitySelector):
    """A picker of TTS entities whose choice the form's own check judges.

    The picker leaves the profile's own engine out; a value sent otherwise (typed, or
    through the API) reaches the form's check, which says in the user's language what
    is wrong with it, instead of voluptuous' untranslated refusal.
    """

    def __call__(self, data: Any) -> str:
        return str(data)


def _tts_picker(leave_out: tuple[str, ...]) -> EntitySelector:
    """Another TTS entity: any engine but the profile's own (one hop, never itself)."""
    config = EntitySelectorConfig(filter=EntityFilterSelectorConfig(domain="tts"))
    if leave_out:
        config["exclude_entities"] = list(leave_out)
    return _TtsPicker(config)


def _synthesis_selector(rule: OptionRule) -> Selector[Any]:
    """The form field of a synthesis option, from its row."""
    if rule.kind is bool:
        return BooleanSelector()
    if rule.kind is dict:
        return TextSelector(TextSelectorConfig(multiline=True))
    if rule.choices:
        choices = _FORM_CHOICES.get(rule.name, tuple(map(str, rule.choices)))
        return _select(list(choices), rule.name if rule.labelled else None)
    if rule.low is not None and rule.high is not None and rule.step is not None:
        return _slider(rule.low, rule.high, rule.step)
    if rule.low is not None and rule.high is not None:
        return _box(rule.low, rule.high)
    if rule.kind is str:
        return TextSelector(TextSelectorConfig(multiline=True))
    raise ValueError(f"no form field for the option {rule.name}")


def _stored(rule: OptionRule, value: Any) -> Any:
    """A form's value as a profile stores it: read by the row, no value as "".

    Words (pronunciations) are kept as a mapping, a language as a list.
    """
    value = rule.coerce(value)
    if rule.kind is dict:
        return dict(value)
    if rule.kind is tuple:
        return list(value)
    return "" if value is None and rule.kind is str else value


def _shown(rule: OptionRule) -> Callable[[Any], Any]:
    """How a form field shows a stored value."""
    if rule.kind is dict:
        return lambda value: as_lines(value or {})
    if rule.kind is tuple:
        # One language is pinned, or none (each message's own).
        return lambda value: next(iter(value or ()), None)
    return str if rule.choices else lambda value: value


def _synthesis_spec(rule: OptionRule) -> OptionSpec:
    return OptionSpec(
        rule.name,
        _stored(rule, rule.default),
        lambda value: _stored(rule, value),
        lambda _: _synthesis_selector(rule),
        show=_shown(rule),
        # No value is a choice (no seed, each message's own language, no words), and
        # a switch left out keeps its default.
        optional=rule.default is None or rule.kind in (bool, tuple, dict),
    )


PROFILE_SETTINGS: Final[tuple[OptionSpec, ...]] = (
    *(
        _synthesis_spec(rule)
        for rule in OPTION_TABLE
        if rule.profile and rule.name != CONF_VOICE
    ),
    OptionSpec(
        CONF_LONG_TEXT_THRESHOLD,
        _ROUTING.long_text_threshold,
        int,
        lambda _: _box(0, 200_000),
    ),
    OptionSpec(
        CONF_ROUTE,
        _ROUTING.route,
        str,
        lambda _: _select(list(ROUTE_CHOICES), CONF_ROUTE),
    ),
    OptionSpec(
        CONF_FALLBACK_ENGINE,
        "",
        lambda value: str(value or "").strip(),
        _tts_picker,
    ),
    OptionSpec(
        CONF_FALLBACK_AFTER,
        3.0,
        float,
        # No bounds here: a value out of range gets the form's own translated error.
        lambda _: NumberSelector(
            NumberSelectorConfig(
                step=0.5, mode=NumberSelectorMode.BOX, unit_of_measurement="s"
            )
        ),
        optional=True,
    ),
)
"""A voice profile's settings page, in order. The voice has a page of its own."""

ACCOUNT_SETTINGS: Final[tuple[OptionSpec, ...]] = (
    OptionSpec(
        CONF_POOL_SIZE,
        _POOL.max_connections,
        int,
        lambda _: _box(1, MAX_POOL_SIZE),
    ),
    OptionSpec(
        CONF_KEEP_READY,
        _KEEP_READY.connections,
        int,
        lambda _: _box(0, MAX_KEEP_READY),
    ),
)
"""The entry's options: what every profile of the account shares."""

DEFAULT_PROFILE: Final[dict[str, Any]] = {
    **{spec.key: spec.default for spec in PROFILE_SETTINGS},
    CONF_VOICE: next(r.default for r in OPTION_TABLE if r.name == CONF_VOICE),
}
"""A new voice profile: the client's defaults."""

DEFAULTS: Final[dict[str, Any]] = {
    **DEFAULT_PROFILE,
    **{spec.key: spec.default for spec in ACCOUNT_SETTINGS},
}
"""Every setting's default, of a profile or of the account."""

PER_MESSAGE: Final[tuple[str, ...]] = tuple(
    rule.name for rule in OPTION_TABLE if rule.per_call
)
"""Synthesis options that a single message may change (``tts.speak`` options)."""
