"""Every synthesis option in one table, and the validated options of a request.

:data:`OPTION_TABLE` holds, for each option, its type, default, range or choices, the
models that take it, its name on the wire and whether one message may change it.
Validation (:class:`SynthesisOptions`), the wire parameters (:func:`wire_parameters`),
loose input from users (:func:`options_from`) and the integration's forms all read it:
a new option is one row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal, cast

from .audio import FORMATS, OPUS_SAMPLE_RATES, SAMPLE_RATES, AudioFormat
from .custom_voices import is_cloned_voice_id, parse_custom_voice_id
from .errors import InvalidOptionError
from .hints import HINT_LANGUAGES
from .models import DEFAULT_MODEL, MODELS, ModelInfo
from .voices import DEFAULT_VOICE, find_voice
from .wording import Words, check_pronunciations, hot_fix, words_from

Route = Literal["websocket", "http"]
"""The two APIs that speak a request."""
Sent = Literal["always", "when_set", "never"]


@dataclass(frozen=True, slots=True)
class OptionRule:
    """One synthesis option: what it takes, who takes it, what the service calls it."""

    name: str
    kind: type[Any]
    """bool, int, float, str, tuple (of text) or dict (word → text, kept as pairs)."""
    default: Any
    """None: unset unless given, and then not sent."""
    low: float | None = None
    high: float | None = None
    step: float | None = None
    """The smallest change worth making (a form's slider step)."""
    choices: tuple[Any, ...] = ()
    labelled: bool = False
    """Its choices are words a UI translates, not ids or numbers."""
    max_length: int | None = None
    models: Callable[[ModelInfo], bool] | None = None
    """Only models for which this holds take a value that asks for something."""
    says: str | None = None
    """What a message calls it, where its name would puzzle (enable_ssml: SSML)."""
    ws_name: str | None = None
    """Its name in run-task's ``parameters``; None: the option's own name."""
    http_name: str | None = None
    """Its name in the HTTP API's ``input``; None: the option's own name."""
    sent: Sent = "when_set"
    """Always, only when set (not None, false or empty), or never a parameter."""
    per_call: bool = False
    """One message may change it (an option of ``tts.speak``)."""
    profile: bool = False
    """A voice profile's setting, asked for in its form."""
    check: Callable[[Any], None] | None = None
    """A further check of a value of the right type (raises InvalidOptionError)."""

    def wire_name(self, route: Route) -> str:
        """What the service calls it on ``route``."""
        name = self.ws_name if route == "websocket" else self.http_name
        return name or self.name

    def coerce(self, value: Any) -> Any:
        """A value from loose input (a form, YAML, JSON) as the option takes it.

        Numbers may come as text, whole numbers as 50.0; empty text is no value.
        Raises :class:`InvalidOptionError` when it cannot be read as such.
        """
        if self.default is None and (value is None or value == ""):
            return None
        if value is None and self.kind in (bool, tuple, dict):
            return self.default  # left out: a switch, a list or words as usual
        if self.kind is int:
            return _whole(self.name, value)
        if self.kind is float:
            return _number(self.name, value)
        if self.kind is str:
            text = "" if value is None else str(value).strip()
            return text or (None if self.default is None else text)
        if self.kind is tuple and isinstance(value, list | tuple):
            return tuple(value)
        if self.kind is tuple and isinstance(value, str):
            return (value.strip(),) if value.strip() else ()
        if self.kind is dict:
            return words_from(self.name, value)
        return value


OPTION_TABLE: Final[tuple[OptionRule, ...]] = (
    OptionRule(
        "model",
        str,
        DEFAULT_MODEL,
        choices=tuple(MODELS),
        sent="never",
        per_call=True,
        profile=True,
    ),
    OptionRule("voice", str, "longanyang", sent="always", per_call=True, profile=True),
    OptionRule(
        "format",
        str,
        "mp3",
        choices=FORMATS,
        labelled=True,
        sent="always",
        per_call=True,
        profile=True,
    ),
    OptionRule(
        "sample_rate",
        int,
        22050,
        choices=SAMPLE_RATES,
        sent="always",
        per_call=True,
        profile=True,
    ),
    OptionRule(
        "volume",
        int,
        50,
        low=0,
        high=100,
        step=1,
        sent="always",
        per_call=True,
        profile=True,
    ),
    OptionRule(
        "rate",
        float,
        1.0,
        low=0.5,
        high=2.0,
        step=0.05,
        sent="always",
        per_call=True,
        profile=True,
    ),
    OptionRule(
        "pitch",
        float,
        1.0,
        low=0.5,
        high=2.0,
        step=0.05,
        sent="always",
        per_call=True,
        profile=True,
    ),
    OptionRule("enable_ssml", bool, False, models=lambda info: info.ssml, says="SSML"),
    OptionRule("bit_rate", int, None, low=6, high=510),
    OptionRule("clean_text", bool, True, sent="never", per_call=True, profile=True),
    OptionRule(
        "pronunciations",
        dict,
        (),
        sent="never",
        per_call=True,
        profile=True,
        check=check_pronunciations,
    ),
    OptionRule("replacements", dict, (), sent="never", per_call=True, profile=True),
    OptionRule(
        "language_hints",
        tuple,
        (),
        choices=HINT_LANGUAGES,
        labelled=True,
        models=lambda info: info.extras,
        per_call=True,
        profile=True,
    ),
    OptionRule("message_language", str, None, sent="never"),
    OptionRule(
        "instruction",
        str,
        None,
        max_length=100,
        models=lambda info: info.extras,
        per_call=True,
        profile=True,
    ),
    OptionRule(
        "seed",
        int,
        None,
        low=0,
        high=65535,
        models=lambda info: info.extras,
        per_call=True,
        profile=True,
    ),
    OptionRule(
        "enable_markdown_filter",
        bool,
        False,
        models=lambda info: info.hot_fix,
        says="the Markdown filter",
    ),
)
"""Every option, in the order forms show them and errors are found."""

RULES: Final[dict[str, OptionRule]] = {rule.name: rule for rule in OPTION_TABLE}
"""The table's rows by option name."""


@dataclass(frozen=True, slots=True)
class SynthesisOptions:
    """Model, voice, audio format and prosody of a synthesis request.

    Validated when built against :data:`OPTION_TABLE`: an invalid value raises
    :class:`InvalidOptionError` naming the option, so nothing invalid is ever sent.
    The fields' defaults are the table's.
    """

    model: str = RULES["model"].default
    voice: str = RULES["voice"].default
    format: AudioFormat = RULES["format"].default
    sample_rate: int = RULES["sample_rate"].default
    volume: int = RULES["volume"].default
    rate: float = RULES["rate"].default
    pitch: float = RULES["pitch"].default
    enable_ssml: bool = RULES["enable_ssml"].default
    bit_rate: int | None = RULES["bit_rate"].default
    clean_text: bool = RULES["clean_text"].default
    """Markdown, links, code and emoji are taken out before the text is sent."""
    pronunciations: Words = RULES["pronunciations"].default
    """Chinese word → pinyin with tone digits."""
    replacements: Words = RULES["replacements"].default
    """Word → the text said instead."""
    language_hints: tuple[str, ...] = RULES["language_hints"].default
    """Pinned: the language every message is in. Else found per message."""
    message_language: str | None = RULES["message_language"].default
    """The language the caller says the message is in (a BCP 47 tag)."""
    instruction: str | None = RULES["instruction"].default
    seed: int | None = RULES["seed"].default
    enable_markdown_filter: bool = RULES["enable_markdown_filter"].default
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Further documented run-task parameters, passed through as they are."""

    def __post_init__(self) -> None:
        """Check every option by its row, then how they go together, voice last.

        The voice comes last so a caller choosing it afterwards (the profile flow)
        learns about every other option first.
        """
        info = self.model_info
        for rule in OPTION_TABLE:
            if rule.name != "voice":
                _check(rule, getattr(self, rule.name), info)
        _check_extra(self.extra)
        for combination in _COMBINATIONS:
            combination(self, info)
        _check_voice(self.voice, self.model, info)

    @property
    def model_info(self) -> ModelInfo:
        """Capabilities of the chosen model."""
        info = MODELS.get(self.model) if isinstance(self.model, str) else None
        if info is None:
            raise InvalidOptionError(
                "model",
                f"unknown model {self.model!r}; use one of {', '.join(MODELS)}",
            )
        return info


def _check(rule: OptionRule, value: Any, info: ModelInfo) -> None:
    """One option against its row: type, choices, range, length, models."""
    if value is None and rule.default is None:
        return
    _check_type(rule, value)
    chosen = value if rule.kind is tuple else (value,)
    if rule.choices and any(one not in rule.choices for one in chosen):
        shown = ", ".join(map(str, rule.choices))
        raise InvalidOptionError(
            rule.name, f"{rule.name} {value!r} is not one of {shown}"
        )
    if rule.check is not None:
        rule.check(value)
    if rule.low is not None and rule.high is not None:
        _check_range(rule, value)
    if rule.max_length is not None and len(value) > rule.max_length:
        raise InvalidOptionError(
            rule.name, f"{rule.name} is longer than {rule.max_length} characters"
        )
    if value and rule.models is not None and not rule.models(info):
        raise InvalidOptionError(
            rule.name, f"{info.name} does not take {rule.says or rule.name}"
        )


_KIND_WORDS: Final[dict[type[Any], str]] = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text",
    tuple: "a tuple of text",
    dict: "word = text pairs",
}


def _check_type(rule: OptionRule, value: Any) -> None:
    # Options also come from users as JSON: a value of the wrong type is refused like
    # a wrong value, never sent or left to crash.
    if rule.kind is float:
        fits = isinstance(value, int | float) and not isinstance(value, bool)
    elif rule.kind is int:
        fits = isinstance(value, int) and not isinstance(value, bool)
    elif rule.kind is tuple:
        fits = isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    elif rule.kind is dict:
        fits = isinstance(value, tuple) and all(
            isinstance(pair, tuple)
            and len(pair) == 2
            and all(isinstance(side, str) and side for side in pair)
            for pair in value
        )
    else:
        fits = isinstance(value, rule.kind)
    if not fits:
        raise InvalidOptionError(
            rule.name, f"{rule.name} must be {_KIND_WORDS[rule.kind]}, not {value!r}"
        )


def _check_range(rule: OptionRule, value: float) -> None:
    low, high = cast("float", rule.low), cast("float", rule.high)
    # The comparison refuses NaN and the infinities too; math.isfinite would raise
    # OverflowError on a whole number too large for a float.
    if not low <= value <= high:
        raise InvalidOptionError(
            rule.name,
            f"{rule.name} must be {_KIND_WORDS[rule.kind]} from {low:g} to {high:g}, "
            f"not {value!r}",
        )


def _check_extra(extra: object) -> None:
    if not isinstance(extra, dict) or not all(isinstance(key, str) for key in extra):
        raise InvalidOptionError("extra", "extra must map parameter names to values")


def _opus_needs_a_model_that_makes_it(
    options: SynthesisOptions, info: ModelInfo
) -> None:
    if options.format == "opus" and not info.opus:
        raise InvalidOptionError("format", f"{options.model} cannot produce opus")


def _opus_has_its_own_rates(options: SynthesisOptions, _info: ModelInfo) -> None:
    if options.format == "opus" and options.sample_rate not in OPUS_SAMPLE_RATES:
        raise InvalidOptionError(
            "sample_rate",
            f"opus is made at {', '.join(map(str, sorted(OPUS_SAMPLE_RATES)))} Hz "
            f"only, not {options.sample_rate}",
        )


def _bit_rate_is_for_opus(options: SynthesisOptions, _info: ModelInfo) -> None:
    if options.bit_rate is not None and options.format != "opus":
        raise InvalidOptionError("bit_rate", "bit_rate applies to opus only")


_COMBINATIONS: Final = (
    _opus_needs_a_model_that_makes_it,
    _opus_has_its_own_rates,
    _bit_rate_is_for_opus,
)
"""Rules that no single row can state: options that depend on each other."""


def _check_voice(voice: object, model: str, info: ModelInfo) -> None:
    if not isinstance(voice, str):
        raise InvalidOptionError("voice", f"voice must be text, not {voice!r}")
    if not voice:
        raise InvalidOptionError("voice", "voice is empty")
    if is_cloned_voice_id(voice, model):
        return
    if (made := parse_custom_voice_id(voice)) is not None:
        kind = "designed" if made.designed else "cloned"
        raise InvalidOptionError(
            "voice",
            f"the voice {voice!r} was {kind} for {made.model} and speaks only "
            f"with that model, not with {model}",
        )
    found = find_voice(voice)
    if found is None:
        raise InvalidOptionError(
            "voice",
            f"unknown voice {voice!r}: neither a system voice nor a voice "
            f"designed or cloned for {model}",
        )
    if not info.system_voices:
        raise InvalidOptionError(
            "voice",
            f"{model} speaks only cloned or designed voices, "
            f"not the system voice {voice!r}",
        )
    if info.family not in found.families:
        raise InvalidOptionError(
            "voice", f"voice {voice!r} does not belong to model {model}"
        )


def wire_parameters(options: SynthesisOptions, route: Route) -> dict[str, Any]:
    """The options as the service names them on ``route``, then ``extra``."""
    parameters: dict[str, Any] = {}
    for rule in OPTION_TABLE:
        value = getattr(options, rule.name)
        if rule.sent == "always" or (rule.sent == "when_set" and _is_set(value)):
            parameters[rule.wire_name(route)] = (
                list(value) if isinstance(value, tuple) else value
            )
    # The home's words, where the model applies them itself; never with SSML, which
    # says its own (<phoneme>, <sub>).
    words = options.pronunciations, options.replacements
    if options.model_info.hot_fix and any(words) and not options.enable_ssml:
        parameters["hot_fix"] = hot_fix(*words)
    parameters.update(options.extra)
    return parameters


def _is_set(value: object) -> bool:
    # Not "value not in (...)": 0 == False, and a seed of 0 is a seed.
    return not (value is None or value is False or value in ((), ""))


def options_from(values: Mapping[str, Any]) -> SynthesisOptions:
    """Options from loose input: the table's options in ``values``, read by their rows.

    Keys that are no option are left out; an option left out takes its default.
    """
    names = {f.name for f in fields(SynthesisOptions)}
    return SynthesisOptions(
        **{
            name: RULES[name].coerce(value)
            for name, value in values.items()
            if name in RULES and name in names
        }
    )


def _number(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise InvalidOptionError(name, f"{name} must be a number, not {value!r}")
    try:
        return float(cast("str", value))
    except (TypeError, ValueError, OverflowError):  # Overflow: a whole number > 1e308
        raise InvalidOptionError(
            name, f"{name} must be a number, not {value!r}"
        ) from None


def _whole(name: str, value: object) -> int:
    number = _number(name, value)
    if not math.isfinite(number) or number != int(number):
        raise InvalidOptionError(name, f"{name} must be a whole number, not {value!r}")
    return int(number)


def voice_for_model(model: str, voice: str) -> str | None:
    """``voice`` if ``model`` speaks it, else the model's default voice (if any).

    A model speaks the system voices of its family and the voices cloned or designed
    for it. An unknown model is left for :class:`SynthesisOptions` to refuse.
    """
    try:
        SynthesisOptions(model=model, voice=voice)
    except InvalidOptionError as err:
        if err.option == "voice":
            return default_voice(model)
    return voice


def default_voice(model: str) -> str | None:
    """The model's default system voice; None for cloned-only or unknown models."""
    info = MODELS.get(model) if isinstance(model, str) else None
    return None if info is None else DEFAULT_VOICE.get(info.family)
