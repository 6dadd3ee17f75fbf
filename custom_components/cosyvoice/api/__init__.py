"""Async client for Alibaba Cloud DashScope CosyVoice text-to-speech.

Free of Home Assistant: it takes an aiohttp session and could be published on its own.
"""

from .audio import EXTENSIONS, FORMATS, SAMPLE_RATES, AudioFormat, wav_header
from .client import CosyVoiceClient, SynthesisResult
from .connection import Connection, Timeouts
from .credentials import VERSION
from .endpoints import REGION_CN, REGION_CUSTOM, REGION_INTL, Endpoint
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
)
from .models import DEFAULT_MODEL, MODELS, ModelInfo
from .options import SynthesisOptions
from .pool import ConnectionPool, PoolSettings
from .retry import NO_RETRY, RetryPolicy
from .router import RoutingSettings
from .stats import ClientStats
from .task import SynthesisTask, TaskState
from .text import billed_length
from .text_stream import StreamingSettings, TextBatcher

__all__ = [
    "DEFAULT_MODEL",
    "ERROR_KINDS",
    "EXTENSIONS",
    "FORMATS",
    "MODELS",
    "NO_RETRY",
    "REGION_CN",
    "REGION_CUSTOM",
    "REGION_INTL",
    "SAMPLE_RATES",
    "VERSION",
    "AccountError",
    "AudioFormat",
    "AuthenticationError",
    "CannotConnectError",
    "ClientStats",
    "Connection",
    "ConnectionDroppedError",
    "ConnectionPool",
    "ConnectivityError",
    "ContentFilteredError",
    "CosyVoiceClient",
    "CosyVoiceError",
    "Endpoint",
    "InvalidOptionError",
    "InvalidRequestError",
    "InvalidTextError",
    "ModelInfo",
    "PoolClosedError",
    "PoolSettings",
    "PoolTimeoutError",
    "ProtocolError",
    "RateLimitedError",
    "RetryPolicy",
    "RoutingSettings",
    "ServiceUnavailableError",
    "StreamingSettings",
    "SynthesisOptions",
    "SynthesisResult",
    "SynthesisTask",
    "SynthesisTimeoutError",
    "TaskFailedError",
    "TaskState",
    "TextBatcher",
    "TextTooLongError",
    "Timeouts",
    "billed_length",
    "wav_header",
]
