"""One validated, immutable set of synthesis options, used by every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .audio import FORMATS, OPUS_SAMPLE_RATES, SAMPLE_RATES, AudioFormat
from .custom_voices import is_cloned_voice_id
from .errors import InvalidOptionError
from .models import DEFAULT_MODEL, MODELS, ModelInfo
from .voices import DEFAULT_VOICE, find_voice

MAX_INSTRUCTION_CHARS = 100


@dataclass(frozen=True, slots=True)
class SynthesisOptions:
    """Model, voice, audio format and prosody of a synthesis request.

    Validated when built: an invalid value raises :class:`InvalidOptionError` naming
    the option, so nothing invalid is ever sent.
    """

    model: str = DEFAULT_MODEL
    voice: str = "longanyang"
    format: AudioFormat = "mp3"
    sample_rate: int = 22050
    volume: int = 50
    """0 (mute) to 100."""
    rate: float = 1.0
    """Speech rate, 0.5 to 2."""
    pitch: float = 1.0
    """Pitch multiplier, 0.5 to 2."""
    bit_rate: int | None = None
    """Opus only: kbit/s, 6 to 510."""
    language_hints: tuple[str, ...] = ()
    instruction: str | None = None
    seed: int | None = None
    enable_ssml: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Further documented run-task parameters, passed through as they are."""

    def __post_init__(self) -> None:
        """Check every field against the model's documented capabilities."""
        info = self.model_info
        # The fields are typed, but options also come from users as JSON: a value of
        # the wrong type is refused like a wrong value, never sent or left to crash.
        if not isinstance(self.enable_ssml, bool):
            raise InvalidOptionError("enable_ssml", "enable_ssml must be true or false")
        if not isinstance(self.language_hints, tuple) or not all(
            isinstance(hint, str) for hint in self.language_hints
        ):
            raise InvalidOptionError(
                "language_hints", "language_hints must be a tuple of language codes"
            )
        if self.instruction is not None and not isinstance(self.instruction, str):
            raise InvalidOptionError("instruction", "instruction must be text")
        if not isinstance(self.extra, dict) or not all(
            isinstance(key, str) for key in self.extra
        ):
            raise InvalidOptionError(
                "extra", "extra must map parameter names to values"
            )
        if self.format not in FORMATS:
            raise InvalidOptionError(
                "format", f"format {self.format!r} is not one of {', '.join(FORMATS)}"
            )
        if self.format == "opus" and not info.opus:
            raise InvalidOptionError("format", f"{self.model} cannot produce opus")
        if (
            not isinstance(self.sample_rate, int)
            or isinstance(self.sample_rate, bool)
            or self.sample_rate not in SAMPLE_RATES
        ):
            raise InvalidOptionError(
                "sample_rate",
                f"sample rate {self.sample_rate!r} is not one of "
                f"{', '.join(map(str, SAMPLE_RATES))}",
            )
        if self.format == "opus" and self.sample_rate not in OPUS_SAMPLE_RATES:
            raise InvalidOptionError(
                "sample_rate",
                f"opus is made at {', '.join(map(str, sorted(OPUS_SAMPLE_RATES)))} Hz "
                f"only, not {self.sample_rate}",
            )
        _check_range("volume", self.volume, 0, 100, integer=True)
        _check_range("rate", self.rate, 0.5, 2.0)
        _check_range("pitch", self.pitch, 0.5, 2.0)
        if self.bit_rate is not None:
            if self.format != "opus":
                raise InvalidOptionError("bit_rate", "bit_rate applies to opus only")
            _check_range("bit_rate", self.bit_rate, 6, 510, integer=True)
        if self.seed is not None:
            _check_range("seed", self.seed, 0, 65535, integer=True)
        if not info.extras:
            for name in ("language_hints", "instruction", "seed"):
                if getattr(self, name):
                    raise InvalidOptionError(name, f"{self.model} does not take {name}")
        if (
            self.instruction is not None
            and len(self.instruction) > MAX_INSTRUCTION_CHARS
        ):
            raise InvalidOptionError(
                "instruction",
                f"instruction is longer than {MAX_INSTRUCTION_CHARS} characters",
            )
        if self.enable_ssml and not info.ssml:
            raise InvalidOptionError(
                "enable_ssml", f"{self.model} does not accept SSML"
            )
        # Last, so a caller choosing the voice afterwards (the options flow) learns
        # about every other option first.
        self._check_voice(info)

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

    def _check_voice(self, info: ModelInfo) -> None:
        if not isinstance(self.voice, str):
            raise InvalidOptionError("voice", f"voice must be text, not {self.voice!r}")
        if not self.voice:
            raise InvalidOptionError("voice", "voice is empty")
        if is_cloned_voice_id(self.voice, self.model):
            return
        voice = find_voice(self.voice)
        if voice is None:
            raise InvalidOptionError(
                "voice",
                f"unknown voice {self.voice!r}: neither a system voice nor a voice "
                f"cloned for {self.model}",
            )
        if not info.system_voices:
            raise InvalidOptionError(
                "voice",
                f"{self.model} speaks only cloned or designed voices, "
                f"not the system voice {self.voice!r}",
            )
        if info.family not in voice.families:
            raise InvalidOptionError(
                "voice", f"voice {self.voice!r} does not belong to model {self.model}"
            )


def _check_range(
    option: str, value: object, low: float, high: float, *, integer: bool = False
) -> None:
    kinds: tuple[type[int | float], ...] = (int,) if integer else (int, float)
    number = value if isinstance(value, kinds) and not isinstance(value, bool) else None
    # The comparison refuses NaN and the infinities too; math.isfinite would raise
    # OverflowError on a whole number too large for a float.
    if number is None or not low <= number <= high:
        kind = "a whole number" if integer else "a number"
        raise InvalidOptionError(
            option, f"{option} must be {kind} from {low:g} to {high:g}, not {value!r}"
        )


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
