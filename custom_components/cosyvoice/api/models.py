"""What each CosyVoice model can do: the facts the client validates options against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Capabilities of one synthesis model."""

    name: str
    """Wire name, e.g. ``cosyvoice-v3-flash``."""
    family: str
    """Voice family: models of one family share their system voices."""
    ssml: bool
    """Accepts SSML (``enable_ssml``)."""
    opus: bool
    """Can produce Ogg Opus (and takes ``bit_rate``)."""
    http: bool
    """Also served by the HTTP SpeechSynthesizer API (not only WebSocket)."""
    system_voices: bool = True
    """False for models that only speak cloned or designed voices."""
    extras: bool = True
    """Takes seed, language_hints and instruction (everything newer than v1)."""
    clones: bool = False
    """Voices can be cloned for it from a recording (§6.2)."""
    designs: bool = False
    """Voices can be designed for it from a description (§6.2)."""
    hot_fix: bool = False
    """Takes ``hot_fix`` (pronunciations and replacements) and
    ``enable_markdown_filter``: documented for v3-flash alone."""


FAMILY_V1 = "v1"
FAMILY_V2 = "v2"
FAMILY_V3 = "v3"
FAMILY_V35 = "v3.5"
FAMILY_QWEN_AUDIO = "qwen-audio"

MODELS: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo(
            "cosyvoice-v1", FAMILY_V1, ssml=False, opus=False, http=False, extras=False
        ),
        ModelInfo(
            "cosyvoice-v2", FAMILY_V2, ssml=True, opus=True, http=True, clones=True
        ),
        ModelInfo(
            "cosyvoice-v3-flash",
            FAMILY_V3,
            ssml=True,
            opus=True,
            http=True,
            clones=True,
            designs=True,
            hot_fix=True,
        ),
        ModelInfo(
            "cosyvoice-v3-plus",
            FAMILY_V3,
            ssml=True,
            opus=True,
            http=True,
            clones=True,
            designs=True,
        ),
        # Only in 2025 pricing pages; most likely the old name of v3-flash.
        ModelInfo("cosyvoice-v3", FAMILY_V3, ssml=True, opus=True, http=True),
        ModelInfo(
            "cosyvoice-v3.5-flash",
            FAMILY_V35,
            ssml=True,
            opus=True,
            http=True,
            system_voices=False,
            clones=True,
            designs=True,
        ),
        ModelInfo(
            "cosyvoice-v3.5-plus",
            FAMILY_V35,
            ssml=True,
            opus=True,
            http=True,
            system_voices=False,
            clones=True,
            designs=True,
        ),
        ModelInfo(
            "qwen-audio-3.0-tts-flash",
            FAMILY_QWEN_AUDIO,
            ssml=True,
            opus=True,
            http=True,
        ),
        ModelInfo(
            "qwen-audio-3.0-tts-plus",
            FAMILY_QWEN_AUDIO,
            ssml=True,
            opus=True,
            http=True,
        ),
        ModelInfo(
            "qwen-audio-3.1-tts-flash",
            FAMILY_QWEN_AUDIO,
            ssml=True,
            opus=True,
            http=True,
        ),
    )
}

DEFAULT_MODEL = "cosyvoice-v3-flash"
