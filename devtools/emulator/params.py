"""Validation of a run-task's model, voice and parameters (protocol doc §2.2, §3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import voices
from .audio import FORMATS, OPUS_SAMPLE_RATES, SAMPLE_RATES

INVALID_PARAMETER = "InvalidParameter"
DEFAULT_FORMAT = "mp3"
DEFAULT_SAMPLE_RATE = 22050
DEFAULT_OPUS_KBPS = 32


class TaskError(Exception):
    """A reason to answer with task-failed: ``code`` and ``message`` go on the wire."""

    def __init__(self, message: str, code: str = INVALID_PARAMETER) -> None:
        """Keep the wire ``error_code`` and ``error_message``."""
        super().__init__(message)
        self.code = code
        self.message = message


def missing(field: str) -> TaskError:
    """The error for a required payload field that is absent."""
    return TaskError(
        f"Missing required parameter '{field}'! Please follow the protocol!"
    )


@dataclass(frozen=True, slots=True)
class TaskParams:
    """A validated run-task: what the synthesis worker needs."""

    model: str
    voice: str
    format: str
    sample_rate: int
    volume: int = 50
    rate: float = 1.0
    pitch: float = 1.0
    bit_rate_kbps: int = DEFAULT_OPUS_KBPS
    enable_ssml: bool = False
    """Only one continue-task is allowed."""
    ssml: bool = False
    """Text is SSML (``enable_ssml`` or ``text_type`` SSML): tags are not billed."""
    word_timestamps: bool = False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(
    params: dict[str, Any], name: str, default: float, low: float, high: float
) -> float:
    value = params.get(name, default)
    if not _is_number(value) or not low <= value <= high:
        raise TaskError(
            f"Parameter invalid: {name} must be a number between {low:g} and {high:g}."
        )
    return float(value)


def _flag(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if not isinstance(value, bool):
        raise TaskError(f"Parameter invalid: {name} must be a boolean.")
    return value


def _audio_format(params: dict[str, Any], model: str) -> tuple[str, int]:
    fmt = params.get("format", DEFAULT_FORMAT)
    # The SDK sends "Default"/0 when the user picks nothing: mp3 at 22050 Hz.
    if fmt == "Default":
        fmt = DEFAULT_FORMAT
    if fmt not in FORMATS:
        raise TaskError(f"Parameter invalid: format {fmt!r} is not supported.")
    rate = params.get("sample_rate", 0)
    if not isinstance(rate, int) or isinstance(rate, bool):
        raise TaskError("Parameter invalid: sample_rate must be an integer.")
    if rate == 0:
        rate = DEFAULT_SAMPLE_RATE
    if rate not in SAMPLE_RATES:
        raise TaskError(f"Parameter invalid: sample_rate {rate} is not supported.")
    if fmt == "opus":
        if not voices.supports_opus(model):
            raise TaskError(
                f"Parameter invalid: format opus is not supported by {model}."
            )
        if rate not in OPUS_SAMPLE_RATES:
            raise TaskError(
                f"Parameter invalid: sample_rate {rate} is not supported for opus."
            )
    return fmt, rate


def parse_run_task(payload: dict[str, Any]) -> TaskParams:
    """Validate a run-task payload whose envelope is already known to be sound."""
    model = payload.get("model")
    if not isinstance(model, str) or not model:
        raise missing("payload.model")
    if "input" not in payload:
        raise missing("payload.input")
    params = payload.get("parameters")
    if not isinstance(params, dict):
        params = {}
    voice = params.get("voice")
    if not isinstance(voice, str) or not voice:
        raise TaskError("Request voice is invalid!")
    if not voices.is_known_model(model):
        raise TaskError(f"Model not found ({model})!", code="ModelNotFound")
    text_type = params.get("text_type", "PlainText")
    if text_type not in ("PlainText", "SSML"):
        raise TaskError(f"Parameter invalid: text_type {text_type!r} is not supported.")
    fmt, sample_rate = _audio_format(params, model)
    if not voices.voice_matches_model(voice, model):
        raise TaskError("[tts:]Engine return error code: 418")
    volume = _number(params, "volume", 50, 0, 100)
    bit_rate = _number(params, "bit_rate", DEFAULT_OPUS_KBPS, 6, 510)
    enable_ssml = _flag(params, "enable_ssml")
    return TaskParams(
        model=model,
        voice=voice,
        format=fmt,
        sample_rate=sample_rate,
        volume=round(volume),
        rate=_number(params, "rate", 1.0, 0.5, 2.0),
        pitch=_number(params, "pitch", 1.0, 0.5, 2.0),
        bit_rate_kbps=round(bit_rate),
        enable_ssml=enable_ssml,
        ssml=enable_ssml or text_type == "SSML",
        word_timestamps=_flag(params, "word_timestamp_enabled"),
    )
