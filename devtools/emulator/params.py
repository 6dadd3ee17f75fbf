"""Validation of a run-task's, or an HTTP request's, model, voice and parameters.

Protocol doc §2.2, §3 and §7.1. The HTTP endpoint shares the WebSocket side's
rules: :func:`parse_http_request` feeds its options through :func:`parse_run_task`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import voices
from .audio import FORMATS, OPUS_SAMPLE_RATES, SAMPLE_RATES, ToneSynth
from .enrollment import VoiceRecord, VoiceStore
from .speech_params import SpeechParamError, check_speech_params
from .text import billed_characters, strip_ssml

INVALID_PARAMETER = "InvalidParameter"
MODEL_NOT_FOUND = "ModelNotFound"
DEFAULT_FORMAT = "mp3"
DEFAULT_SAMPLE_RATE = 22050
DEFAULT_OPUS_KBPS = 32

TEXT_IS_NULL = "Parameter invalid: text is null"
SSML_SINGLE_TEXT = "Text request limit violated, expected 1."
SSML_UNSUPPORTED = "SSML text is not supported at the moment!"
VOICE_MISMATCH = "[tts:]Engine return error code: 418"
# The HTTP endpoint's spelling of the same error (doc §7.1, seen by a third party).
HTTP_VOICE_MISMATCH = "[cosyvoice:]Engine return error code: 418"
# What the gateway says to a model the HTTP endpoint does not serve (doc §5.3).
URL_ERROR = "url error, please check url！"
MAX_CHARS_PER_TEXT = 20_000
MAX_CHARS_PER_TASK = 200_000


def voice_not_ready(voice: str, status: str) -> str:
    """The message for a custom voice of the key that is not OK (yet)."""
    return f"voice {voice} is not ready (status {status})"


def text_too_long(billed: int) -> str:
    """The message for one text over :data:`MAX_CHARS_PER_TEXT` billed characters."""
    return (
        f"Text too long: {billed} characters in one request, "
        f"the limit is {MAX_CHARS_PER_TEXT}."
    )


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

    def synth(self, ms_per_char: float) -> ToneSynth:
        """The tone voice these parameters describe (WebSocket and HTTP alike)."""
        return ToneSynth(
            self.sample_rate,
            ms_per_char=ms_per_char,
            rate=self.rate,
            pitch=self.pitch,
            volume=self.volume,
        )


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


def _check_voice(
    voice: str, model: str, custom: VoiceStore | None
) -> VoiceRecord | None:
    """A system voice of ``model`` (None), or an OK custom voice made for it by this key."""
    record = custom.get(voice) if custom is not None else None
    if record is None:
        # Unknown here, another key's, or a system voice of another model.
        if not voices.is_system_voice(voice, model):
            raise TaskError(VOICE_MISMATCH)
        return None
    if record.target_model != model:
        raise TaskError(VOICE_MISMATCH)
    status = record.status
    if status != "OK":
        raise TaskError(voice_not_ready(voice, status))
    return record


def parse_run_task(
    payload: dict[str, Any],
    custom_voices: VoiceStore | None = None,
    *,
    http: bool = False,
) -> TaskParams:
    """Validate a run-task payload whose envelope is already known to be sound.

    ``custom_voices`` is the calling key's store: only its voices are usable.
    ``http``: the options of an HTTP request (its own list of languages).
    """
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
        raise TaskError(f"Model not found ({model})!", code=MODEL_NOT_FOUND)
    text_type = params.get("text_type", "PlainText")
    if text_type not in ("PlainText", "SSML"):
        raise TaskError(f"Parameter invalid: text_type {text_type!r} is not supported.")
    fmt, sample_rate = _audio_format(params, model)
    custom_voice = _check_voice(voice, model, custom_voices)
    volume = _number(params, "volume", 50, 0, 100)
    bit_rate = _number(params, "bit_rate", DEFAULT_OPUS_KBPS, 6, 510)
    enable_ssml = _flag(params, "enable_ssml")
    try:
        check_speech_params(params, model, custom_voice, http=http)
    except SpeechParamError as exc:
        raise TaskError(str(exc)) from None
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


@dataclass(frozen=True, slots=True)
class HttpTask:
    """A validated HTTP SpeechSynthesizer request."""

    params: TaskParams
    text: str
    """``input.text`` as received."""
    spoken: str
    """The text to synthesise: SSML tags removed when ``enable_ssml`` is set."""


def http_options(body: dict[str, Any]) -> dict[str, Any]:
    """The synthesis options of an HTTP body: ``parameters`` overlaid with ``input``.

    The official example puts every option in ``input``; some clients use
    ``parameters`` (doc §7.1). ``input`` wins; ``text`` is not an option.
    """
    parameters = body.get("parameters")
    task_input = body.get("input")
    options = dict(parameters) if isinstance(parameters, dict) else {}
    if isinstance(task_input, dict):
        options.update((k, v) for k, v in task_input.items() if k != "text")
    return options


def parse_http_request(
    body: dict[str, Any], custom_voices: VoiceStore | None = None
) -> HttpTask:
    """Validate the JSON body of ``POST …/services/audio/tts/SpeechSynthesizer``.

    Order: model present, input present, parameters an object, a model without
    HTTP (URL_ERROR), then the run-task checks (voice, model known, format,
    sample rate, voice/model 418, ranges), then the text.
    """
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise TaskError(
            'Required parameter "model" missing from request.',
            code="BadRequest.EmptyModel",
        )
    task_input = body.get("input")
    if not isinstance(task_input, dict):
        raise TaskError(
            'Required parameter "input" missing from request.',
            code="BadRequest.EmptyInput",
        )
    if body.get("parameters") is not None and not isinstance(body["parameters"], dict):
        raise TaskError("Parameter invalid: parameters must be an object.")
    if voices.is_known_model(model) and not voices.supports_http(model):
        raise TaskError(URL_ERROR)
    params = parse_run_task(
        {"model": model, "input": {}, "parameters": http_options(body)},
        custom_voices,
        http=True,
    )
    text = task_input.get("text")
    if not isinstance(text, str):
        raise TaskError(TEXT_IS_NULL)
    spoken = strip_ssml(text) if params.ssml else text
    if not spoken.strip():
        # Nothing to say would make an empty file; the service rejects it.
        raise TaskError(TEXT_IS_NULL)
    billed = billed_characters(spoken)
    if billed > MAX_CHARS_PER_TEXT:
        raise TaskError(text_too_long(billed))
    return HttpTask(params=params, text=text, spoken=spoken)
