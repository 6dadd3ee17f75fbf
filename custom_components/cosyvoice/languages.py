"""The language tags the TTS entity offers Home Assistant for each model."""

from __future__ import annotations

from typing import Final

from homeassistant.util.language import matches

from .api.voices import languages_for_model

# CosyVoice's language codes (see api/voices.py) as the tags Home Assistant's
# pipelines and voice picker use. Mandarin voices serve every Mandarin locale;
# Cantonese is ``yue`` and Hong Kong Chinese.
_HA_TAGS: Final[dict[str, tuple[str, ...]]] = {
    "zh": ("zh", "zh-CN", "zh-Hans", "zh-TW", "zh-SG"),
    "yue": ("yue", "zh-HK"),
    "en": ("en", "en-US", "en-GB", "en-AU", "en-CA", "en-IN"),
    "ja": ("ja", "ja-JP"),
    "ko": ("ko", "ko-KR"),
    "fr": ("fr", "fr-FR"),
    "de": ("de", "de-DE"),
    "ru": ("ru", "ru-RU"),
}
FALLBACK_LANGUAGE: Final = "zh-CN"


def supported_languages(model: str) -> list[str]:
    """Every tag the model's voices speak, sorted; unknown codes stay as they are."""
    tags = {
        tag
        for code in languages_for_model(model)
        for tag in _HA_TAGS.get(code, (code,))
    }
    return sorted(tags)


def default_language(
    supported: list[str], hass_language: str, country: str | None
) -> str:
    """Home Assistant's own language when the model speaks it, else Mandarin."""
    for candidate in (hass_language, FALLBACK_LANGUAGE):
        if found := matches(candidate, supported, country):
            return found[0]
    return supported[0] if supported else FALLBACK_LANGUAGE
