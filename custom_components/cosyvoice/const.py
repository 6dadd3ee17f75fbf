"""Constants of the CosyVoice integration: config keys and option keys.

The synthesis options' rules are the client's (:data:`.api.OPTION_TABLE`); the
settings' forms and defaults are in :mod:`.option_table`.
"""

from __future__ import annotations

from typing import Final

from .api import REGION_CN, REGION_CUSTOM, REGION_INTL

DOMAIN: Final = "cosyvoice"
MANUFACTURER: Final = "Alibaba Cloud"

# Config entry data (set by the user, reauth and reconfigure steps).
CONF_REGION: Final = "region"
CONF_WORKSPACE_ID: Final = "workspace_id"
CONF_WS_URL: Final = "ws_url"
CONF_HTTP_URL: Final = "http_url"

REGIONS: Final = (REGION_CN, REGION_INTL, REGION_CUSTOM)
"""The two DashScope regions, and a custom endpoint (asked for in a step of its own)."""

# Synthesis options the glue treats specially. Every synthesis option is a row of
# the client's table (api.OPTION_TABLE), where its rules are; these are only names.
CONF_MODEL: Final = "model"
CONF_VOICE: Final = "voice"
CONF_FORMAT: Final = "format"
CONF_SAMPLE_RATE: Final = "sample_rate"

# A voice profile's fallback: another TTS entity that speaks what CosyVoice cannot.
CONF_FALLBACK_ENGINE: Final = "fallback_engine"
CONF_FALLBACK_AFTER: Final = "fallback_after"
FALLBACK_AFTER_RANGE: Final = (0.5, 30.0)
"""Seconds without first audio after which the fallback speaks instead."""
NO_FALLBACK_DEADLINE: Final = 10.0
"""Without a fallback, a message that has made no audio by then fails, clearly."""

# A voice profile's routing and the account's pool (see option_table).
CONF_LONG_TEXT_THRESHOLD: Final = "long_text_threshold"
CONF_ROUTE: Final = "route"
CONF_POOL_SIZE: Final = "pool_size"
CONF_KEEP_READY: Final = "keep_ready"

MAX_POOL_SIZE: Final = 16
MAX_KEEP_READY: Final = 4

# Formats a media player can play as a file. Raw PCM has no container, so Home
# Assistant could neither serve nor convert it; it stays a client-only format.
HA_FORMATS: Final = ("mp3", "wav", "opus")

EVENT_SPEECH_FAILED: Final = "cosyvoice_speech_failed"
"""Fired for every message CosyVoice did not speak (see reactions.react)."""
