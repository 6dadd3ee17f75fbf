"""The emulator's own table of models and the system voices each accepts.

Kept as data and kept apart from the client's table on purpose: the emulator
must not inherit the client's assumptions. Sources are the protocol doc §3.1
and §6.1 (third-party transcriptions of the official voice list, so partial).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True, slots=True)
class VoiceFamily:
    """The system voices shared by the models of one generation."""

    suffixes: tuple[str, ...] = ()
    """Any voice id ending in one of these belongs to the family."""
    names: frozenset[str] = frozenset()
    """Voice ids without such a suffix that belong to it too."""
    opus: bool = True
    """Whether the family's models can produce Ogg Opus."""

    def has_voice(self, voice: str) -> bool:
        """Whether ``voice`` is one of this family's system voices."""
        return voice in self.names or voice.endswith(self.suffixes)


_V1 = VoiceFamily(
    names=_names(
        """
        longwan longcheng longhua longxiaochun longxiaoxia longxiaocheng
        longxiaobai longlaotie longshu longshuo longjing longmiao longyue
        longyuan longfei longjielidou longtong longxiang loongstella loongbella
        """
    ),
    opus=False,
)

# Voices the doc lists for cosyvoice-v2 that v3-flash/-plus accept as well (†).
_V2_AND_V3 = _names(
    """
    longhuhu longanqin longanya longanling longanzhi longanrou longyichen
    longwanjun longlaobo longlaoyi longsanshu longanli longanlang longanwen
    longanyun longyingmu longyingxun longyingjing longyingtao longyingling
    longanran longanxuan longyingxiao longjiqi longhouge longanyue longshange
    longdaiyu
    """
)

_V2 = VoiceFamily(
    suffixes=("_v2",),
    names=_V2_AND_V3
    | _names(
        """
        longanshuo longbaizhi longyingcui longyingda longyingyan longyingtian
        longyingbing longanchong longanping longjixin longanmin longgaoseng
        longanpei longwangwang longpaopao longshanshan longniuniu
        """
    ),
)

_V3 = VoiceFamily(
    suffixes=("_v3",),
    names=_V2_AND_V3 | {"longanyang", "longanhuan"},
)

# cosyvoice-v3.5 speaks only cloned or designed voices (doc §3.1).
_V35 = VoiceFamily()

_QWEN_AUDIO = VoiceFamily(
    suffixes=("_v3.6", "_v3.1"),
    names=frozenset({"longanlingxin", "longanlufeng"}),
)

MODELS: dict[str, VoiceFamily] = {
    "cosyvoice-v1": _V1,
    "cosyvoice-v2": _V2,
    "cosyvoice-v3-flash": _V3,
    "cosyvoice-v3-plus": _V3,
    # Only in 2025 price lists, probably the old name of v3-flash (doc §9.6).
    "cosyvoice-v3": _V3,
    "cosyvoice-v3.5-flash": _V35,
    "cosyvoice-v3.5-plus": _V35,
    "qwen-audio-3.0-tts-flash": _QWEN_AUDIO,
    "qwen-audio-3.0-tts-plus": _QWEN_AUDIO,
    "qwen-audio-3.1-tts-flash": _QWEN_AUDIO,
}

# The part of a custom voice id after "<target_model>-": "<prefix>-<unique>" for a
# cloned voice, "vd-<prefix>-<unique>" for a designed one.
_CUSTOM_TAIL = re.compile(r"(?:vd-)?[A-Za-z0-9_]{1,10}-[A-Za-z0-9]+")


def is_known_model(model: str) -> bool:
    """Whether the emulator serves ``model``."""
    return model in MODELS


# Models the HTTP SpeechSynthesizer endpoint does not serve (doc §3.1, §7.1).
WEBSOCKET_ONLY_MODELS = frozenset({"cosyvoice-v1"})


def supports_http(model: str) -> bool:
    """Whether the HTTP SpeechSynthesizer endpoint serves ``model`` (a known one)."""
    return model not in WEBSOCKET_ONLY_MODELS


def supports_opus(model: str) -> bool:
    """Whether ``model`` can produce Ogg Opus (every model but cosyvoice-v1)."""
    return MODELS[model].opus


def cloned_voice_model(voice: str) -> str | None:
    """Return the target model of a custom (cloned or designed) voice id, or None.

    Only the shape is read: whether such a voice exists is the enrollment
    store's business (:mod:`.enrollment`).
    """
    # Longest name first, so "cosyvoice-v3-plus-x-1" is not read as v3's.
    for model in sorted(MODELS, key=len, reverse=True):
        prefix = f"{model}-"
        if voice.startswith(prefix) and _CUSTOM_TAIL.fullmatch(voice[len(prefix) :]):
            return model
    return None


def is_system_voice(voice: str, model: str) -> bool:
    """Whether ``voice`` is one of ``model``'s system voices (never a custom id)."""
    return cloned_voice_model(voice) is None and MODELS[model].has_voice(voice)
