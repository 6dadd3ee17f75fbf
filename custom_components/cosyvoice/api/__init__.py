"""Async client for Alibaba Cloud DashScope CosyVoice text-to-speech.

Free of Home Assistant: it takes an aiohttp session and could be published on its own.
What a user of the library needs is exported here; the integration imports nothing
else (the modules behind it are free to change).
"""

from .audio import (
    EXTENSIONS,
    FORMATS,
    OPUS_SAMPLE_RATES,
    SAMPLE_RATES,
    AudioFormat,
    wav_header,
)
from .client import CosyVoiceClient
from .connection import Timeouts
from .credentials import VERSION
from .custom_voices import (
    MAX_PREVIEW_TEXT_CHARS,
    MAX_VOICE_NAME_CHARS,
    MAX_VOICE_PROMPT_CHARS,
    CustomVoice,
    VoiceStatus,
    default_target_model,
    parse_custom_voice_id,
)
from .endpoints import REGION_CN, REGION_CUSTOM, REGION_INTL, Endpoint
from .enrollment import (
    DesignedVoice,
    VoiceEnrollment,
    VoiceNotFoundError,
    VoiceNotReadyError,
    VoiceRefusedError,
)
from .errors import (
    ERROR_KINDS,
    AccountError,
    AuthenticationError,
    CannotConnectError,
    ConnectionDroppedError,
    ConnectivityError,
    ContentFilteredError,
    CosyVoiceError,
    InvalidOptionError,
    InvalidRequestError,
    InvalidTextError,
    PoolClosedError,
    PoolTimeoutError,
    ProtocolError,
    RateLimitedError,
    ServiceUnavailableError,
    SynthesisTimeoutError,
    TaskFailedError,
    TextTooLongError,
    falls_back,
)
from .hints import HINT_LANGUAGES
from .keep_ready import KeepReady, KeepReadySettings
from .models import DEFAULT_MODEL, MODELS
from .options import (
    OPTION_TABLE,
    OptionRule,
    SynthesisOptions,
    default_voice,
    options_from,
    voice_for_model,
)
from .options import (
    RULES as OPTION_RULES,
)
from .pool import ConnectionPool, PoolSettings
from .request_record import SynthesisResult
from .retry import NO_RETRY, RetryPolicy
from .router import ROUTE_CHOICES, RouteChoice, RoutingSettings, http_serves
from .samples import MAX_SAMPLE_BYTES, InvalidVoiceSampleError, check_voice_sample
from .speech_text import TextCleaner, clean_text
from .ssml import is_ssml, spoken_text
from .task import SynthesisTask
from .text import billed_length
from .text_stream import StreamingSettings
from .voices import (
    display_name,
    find_voice,
    languages_for_model,
    normalize_language,
    picker_voices,
    speaks_chinese,
    voices_for_language,
    voices_for_model,
)
from .wording import InvalidWordingError, as_lines

__all__ = [
    "DEFAULT_MODEL",
    "ERROR_KINDS",
    "EXTENSIONS",
    "FORMATS",
    "HINT_LANGUAGES",
    "MAX_PREVIEW_TEXT_CHARS",
    "MAX_SAMPLE_BYTES",
    "MAX_VOICE_NAME_CHARS",
    "MAX_VOICE_PROMPT_CHARS",
    "MODELS",
    "NO_RETRY",
    "OPTION_RULES",
    "OPTION_TABLE",
    "OPUS_SAMPLE_RATES",
    "REGION_CN",
    "REGION_CUSTOM",
    "REGION_INTL",
    "ROUTE_CHOICES",
    "SAMPLE_RATES",
    "VERSION",
    "AccountError",
    "AudioFormat",
    "AuthenticationError",
    "CannotConnectError",
    "ConnectionDroppedError",
    "ConnectionPool",
    "ConnectivityError",
    "ContentFilteredError",
    "CosyVoiceClient",
    "CosyVoiceError",
    "CustomVoice",
    "DesignedVoice",
    "Endpoint",
    "InvalidOptionError",
    "InvalidRequestError",
    "InvalidTextError",
    "InvalidVoiceSampleError",
    "InvalidWordingError",
    "KeepReady",
    "KeepReadySettings",
    "OptionRule",
    "PoolClosedError",
    "PoolSettings",
    "PoolTimeoutError",
    "ProtocolError",
    "RateLimitedError",
    "RetryPolicy",
    "RouteChoice",
    "RoutingSettings",
    "ServiceUnavailableError",
    "StreamingSettings",
    "SynthesisOptions",
    "SynthesisResult",
    "SynthesisTask",
    "SynthesisTimeoutError",
    "TaskFailedError",
    "TextCleaner",
    "TextTooLongError",
    "Timeouts",
    "VoiceEnrollment",
    "VoiceNotFoundError",
    "VoiceNotReadyError",
    "VoiceRefusedError",
    "VoiceStatus",
    "as_lines",
    "billed_length",
    "check_voice_sample",
    "clean_text",
    "default_target_model",
    "default_voice",
    "display_name",
    "falls_back",
    "find_voice",
    "http_serves",
    "is_ssml",
    "languages_for_model",
    "normalize_language",
    "options_from",
    "parse_custom_voice_id",
    "picker_voices",
    "speaks_chinese",
    "spoken_text",
    "voice_for_model",
    "voices_for_language",
    "voices_for_model",
    "wav_header",
]
