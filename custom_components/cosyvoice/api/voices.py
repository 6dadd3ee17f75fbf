"""System voices of the CosyVoice / Qwen-Audio-TTS models, and small lookups on them.

Pure data. Source: ``dashscope-protocol.md`` §6.1 (third-party transcriptions of
https://help.aliyun.com/zh/model-studio/cosyvoice-voice-list, which could not be
read in full), so the tables may be incomplete. Where the doc gives only a gender
for a voice, ``style`` falls back to the voice's category (e.g. "audiobook
narrator"). Voices of one model *family* (see :mod:`.models`) are accepted by every
model of that family. Each voice has two picker labels: romanised with an English
description, and Alibaba's own Chinese name and description (:mod:`.voice_names`),
for requests in Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from .models import (
    FAMILY_QWEN_AUDIO,
    FAMILY_V1,
    FAMILY_V2,
    FAMILY_V3,
    FAMILY_V35,
    MODELS,
)
from .voice_names import GENDER_ZH, ZH_BY_BASE, ZH_BY_ID

type Gender = Literal["female", "male", "child"]


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    """One system voice."""

    voice_id: str
    """Wire id, e.g. ``longxiaochun_v2``."""
    name: str
    """Label for a voice picker in any language but Chinese: romanised, e.g.
    ``Long Anyang · male, sunny``."""
    gender: Gender
    languages: tuple[str, ...]
    """Lowercase codes the voice speaks well: zh (Mandarin), en, ja, ko, yue."""
    families: frozenset[str]
    """Model families (``FAMILY_*``) whose models accept this voice."""
    style: str
    """Short English description."""
    name_zh: str
    """Label for a Chinese voice picker, as Alibaba lists it: ``龙安洋 · 阳光大男孩``."""


CLONE_LANGUAGES: tuple[str, ...] = ("zh", "en", "fr", "de", "ja", "ko", "ru")
"""Language hints accepted when cloning (§6.2); all a v3.5 model can speak."""

# Families, as table columns.
_V1 = frozenset({FAMILY_V1})
_V2 = frozenset({FAMILY_V2})
_V23 = frozenset({FAMILY_V2, FAMILY_V3})  # marked † in §6.1: v2 and v3-flash
_V3 = frozenset({FAMILY_V3})
_QA = frozenset({FAMILY_QWEN_AUDIO})

# Languages, as table columns. Regional dialect voices count as "zh".
_ZH = ("zh",)
_ZH_EN = ("zh", "en")
_YUE = ("yue",)
_EN = ("en",)
_JA = ("ja",)
_KO = ("ko",)

type _Row = tuple[str, frozenset[str], Gender, tuple[str, ...], str, str]
"""voice id, families, gender, languages, label word (ends the name), style."""

_ROWS_V1: tuple[_Row, ...] = (
    ("longwan", _V1, "female", _ZH, "assistant", "gentle, poised"),
    ("longcheng", _V1, "male", _ZH, "wise", "wise young man"),
    ("longhua", _V1, "female", _ZH, "sweet", "energetic, sweet"),
    ("longxiaochun", _V1, "female", _ZH_EN, "assistant", "knowledgeable, upbeat"),
    ("longxiaoxia", _V1, "female", _ZH, "authoritative", "calm, authoritative"),
    ("longxiaocheng", _V1, "male", _ZH_EN, "deep", "magnetic, deep"),
    ("longxiaobai", _V1, "female", _ZH, "newsreader", "calm newsreader"),
    ("longlaotie", _V1, "male", _ZH, "Northeastern", "blunt, Northeastern accent"),
    ("longshu", _V1, "male", _ZH, "calm", "calm young man"),
    ("longshuo", _V1, "male", _ZH, "capable", "erudite, capable"),
    ("longjing", _V1, "female", _ZH, "announcer", "classic announcer"),
    ("longmiao", _V1, "female", _ZH, "expressive", "expressive cadence"),
    ("longyue", _V1, "female", _ZH, "warm", "warm, magnetic"),
    ("longyuan", _V1, "female", _ZH, "soothing", "warm, soothing"),
    ("longfei", _V1, "male", _ZH, "passionate", "passionate, magnetic"),
    ("longjielidou", _V1, "child", _ZH_EN, "playful", "sunny, mischievous boy"),
    ("longtong", _V1, "female", _ZH, "lively", "energetic, lively"),
    ("longxiang", _V1, "male", _ZH, "steady", "calm, steady"),
    ("loongstella", _V1, "female", _ZH_EN, "brisk", "brisk, confident"),
    ("loongbella", _V1, "female", _ZH, "precise", "precise, capable"),
)

_ROWS_V2: tuple[_Row, ...] = (
    # Children
    ("longhuhu", _V23, "child", _ZH_EN, "kids", "innocent little girl"),
    ("longjielidou_v2", _V2, "child", _ZH_EN, "kids", "sunny, mischievous boy"),
    ("longling_v2", _V2, "child", _ZH_EN, "kids", "little girl"),
    ("longke_v2", _V2, "female", _ZH_EN, "kids", "for children's content"),
    ("longxian_v2", _V2, "female", _ZH_EN, "kids", "for children's content"),
    # Social companion
    ("longanqin", _V23, "female", _ZH_EN, "companion", "social companion"),
    ("longanya", _V23, "female", _ZH_EN, "companion", "social companion"),
    ("longanshuo", _V2, "male", _ZH_EN, "companion", "social companion"),
    ("longanling", _V23, "female", _ZH_EN, "companion", "social companion"),
    ("longanzhi", _V23, "male", _ZH_EN, "companion", "social companion"),
    ("longanrou", _V23, "female", _ZH_EN, "companion", "social companion"),
    ("longqiang_v2", _V2, "female", _ZH_EN, "companion", "social companion"),
    ("longhan_v2", _V2, "male", _ZH_EN, "companion", "warm, devoted"),
    ("longxing_v2", _V2, "female", _ZH_EN, "companion", "social companion"),
    ("longhua_v2", _V2, "female", _ZH_EN, "companion", "energetic, sweet"),
    ("longwan_v2", _V2, "female", _ZH_EN, "companion", "upbeat, knowledgeable"),
    ("longcheng_v2", _V2, "male", _ZH_EN, "companion", "wise young man"),
    ("longfeifei_v2", _V2, "female", _ZH_EN, "companion", "social companion"),
    ("longxiaocheng_v2", _V2, "male", _ZH_EN, "companion", "magnetic, deep"),
    ("longzhe_v2", _V2, "male", _ZH_EN, "companion", "social companion"),
    ("longyan_v2", _V2, "female", _ZH_EN, "companion", "social companion"),
    ("longtian_v2", _V2, "male", _ZH_EN, "companion", "social companion"),
    ("longze_v2", _V2, "male", _ZH_EN, "companion", "social companion"),
    ("longshao_v2", _V2, "male", _ZH_EN, "companion", "social companion"),
    ("longhao_v2", _V2, "male", _ZH_EN, "companion", "social companion"),
    ("kabuleshen_v2", _V2, "male", _ZH_EN, "singer", "singer"),
    # Audiobook
    ("longyichen", _V23, "male", _ZH_EN, "audiobook", "audiobook narrator"),
    ("longwanjun", _V23, "female", _ZH_EN, "audiobook", "audiobook narrator"),
    ("longlaobo", _V23, "male", _ZH_EN, "elderly", "elderly man, storyteller"),
    ("longlaoyi", _V23, "female", _ZH_EN, "elderly", "elderly woman, storyteller"),
    ("longbaizhi", _V2, "female", _ZH_EN, "audiobook", "audiobook narrator"),
    ("longsanshu", _V23, "male", _ZH_EN, "audiobook", "audiobook narrator"),
    ("longxiu_v2", _V2, "male", _ZH_EN, "audiobook", "audiobook narrator"),
    ("longmiao_v2", _V2, "female", _ZH_EN, "audiobook", "expressive cadence"),
    ("longyue_v2", _V2, "female", _ZH_EN, "audiobook", "warm, magnetic"),
    ("longnan_v2", _V2, "male", _ZH_EN, "audiobook", "audiobook narrator"),
    ("longyuan_v2", _V2, "female", _ZH_EN, "audiobook", "warm, soothing"),
    # Assistant
    ("longanli", _V23, "female", _ZH_EN, "assistant", "voice assistant"),
    ("longanlang", _V23, "male", _ZH_EN, "assistant", "voice assistant"),
    ("longanwen", _V23, "female", _ZH_EN, "assistant", "voice assistant"),
    ("longanyun", _V23, "male", _ZH_EN, "assistant", "voice assistant"),
    ("longyumi_v2", _V2, "female", _ZH_EN, "assistant", "voice assistant (YUMI)"),
    ("longxiaochun_v2", _V2, "female", _ZH_EN, "assistant", "knowledgeable, upbeat"),
    ("longxiaoxia_v2", _V2, "female", _ZH_EN, "assistant", "calm, authoritative"),
    # Customer service
    ("longyingmu", _V23, "female", _ZH_EN, "service", "customer service"),
    ("longyingxun", _V23, "male", _ZH_EN, "service", "customer service"),
    ("longyingcui", _V2, "male", _ZH_EN, "collections", "stern, debt collection"),
    ("longyingda", _V2, "female", _ZH_EN, "service", "customer service"),
    ("longyingjing", _V23, "female", _ZH_EN, "service", "customer service"),
    ("longyingyan", _V2, "female", _ZH_EN, "service", "customer service"),
    ("longyingtian", _V2, "female", _ZH_EN, "service", "customer service"),
    ("longyingbing", _V2, "female", _ZH_EN, "service", "customer service"),
    ("longyingtao", _V23, "female", _ZH_EN, "service", "customer service"),
    ("longyingling", _V23, "female", _ZH_EN, "service", "customer service"),
    # Live commerce, telesales
    ("longanran", _V23, "female", _ZH_EN, "live sales", "live-stream host"),
    ("longanxuan", _V23, "female", _ZH_EN, "live sales", "live-stream host"),
    ("longanchong", _V2, "male", _ZH_EN, "live sales", "live-stream host"),
    ("longanping", _V2, "female", _ZH_EN, "live sales", "live-stream host"),
    ("longyingxiao", _V23, "female", _ZH_EN, "telesales", "telesales"),
    # Short video
    ("longjiqi", _V23, "male", _ZH_EN, "robot", "robot character"),
    ("longhouge", _V23, "male", _ZH_EN, "Monkey King", "Monkey King character"),
    ("longjixin", _V2, "female", _ZH_EN, "short video", "short-video narrator"),
    ("longanyue", _V23, "male", _YUE, "Cantonese", "Cantonese"),
    ("longshange", _V23, "male", _ZH, "Shaanxi", "Shaanxi dialect"),
    ("longanmin", _V2, "female", _ZH, "Minnan", "Minnan accent"),
    ("longdaiyu", _V23, "female", _ZH_EN, "Daiyu", "Lin Daiyu character"),
    ("longgaoseng", _V2, "male", _ZH_EN, "monk", "eminent monk character"),
    # Education, kids' companion, kids' audiobook
    ("longanpei", _V2, "female", _ZH_EN, "teacher", "teacher"),
    ("longwangwang", _V2, "male", _ZH, "Taiwanese", "Taiwanese youth"),
    ("longpaopao", _V2, "child", _ZH_EN, "kids", "kids' companion"),
    ("longshanshan", _V2, "child", _ZH_EN, "kids' stories", "kids' audiobook"),
    ("longniuniu", _V2, "child", _ZH_EN, "kids' stories", "boy, kids' audiobook"),
    # Poetry
    ("longfei_v2", _V2, "male", _ZH_EN, "poetry", "passionate, magnetic"),
    ("libai_v2", _V2, "male", _ZH_EN, "poetry", "classical poetry reciter"),
    ("longjin_v2", _V2, "male", _ZH_EN, "poetry", "poetry reciter"),
    # News
    ("longshu_v2", _V2, "male", _ZH_EN, "news", "calm young man, news"),
    ("loongbella_v2", _V2, "female", _ZH_EN, "news", "precise, capable"),
    ("longshuo_v2", _V2, "male", _ZH_EN, "news", "erudite, capable"),
    ("longxiaobai_v2", _V2, "female", _ZH_EN, "news", "calm newsreader"),
    ("longjing_v2", _V2, "female", _ZH_EN, "news", "classic announcer"),
    ("loongstella_v2", _V2, "female", _ZH_EN, "news", "brisk, confident"),
    # Overseas (Beijing region only)
    ("loongyuuna_v2", _V2, "female", _JA, "Japanese", "Japanese"),
    ("loongyuuma_v2", _V2, "male", _JA, "Japanese", "Japanese"),
    ("loongjihun_v2", _V2, "male", _KO, "Korean", "Korean"),
    ("loongeva_v2", _V2, "female", _EN, "British", "British English"),
    ("loongluna_v2", _V2, "female", _EN, "British", "British English"),
    ("loongemily_v2", _V2, "female", _EN, "British", "British English"),
    ("loongbrian_v2", _V2, "male", _EN, "British", "British English"),
    ("loongluca_v2", _V2, "male", _EN, "British", "British English"),
    ("loongeric_v2", _V2, "male", _EN, "British", "British English"),
    ("loongabby_v2", _V2, "female", _EN, "American", "American English"),
    ("loongannie_v2", _V2, "female", _EN, "American", "American English"),
    ("loongava_v2", _V2, "female", _EN, "American", "American English"),
    ("loongbeth_v2", _V2, "female", _EN, "American", "American English"),
    ("loongbetty_v2", _V2, "female", _EN, "American", "American English"),
    ("loongcindy_v2", _V2, "female", _EN, "American", "American English"),
    ("loongcally_v2", _V2, "female", _EN, "American", "American English"),
    ("loongdonna_v2", _V2, "female", _EN, "American", "American English"),
    ("loongandy_v2", _V2, "male", _EN, "American", "American English"),
    ("loongdavid_v2", _V2, "male", _EN, "American", "American English"),
    ("loongkyong_v2", _V2, "female", _KO, "Korean", "Korean"),
    ("loongtomoka_v2", _V2, "female", _JA, "Japanese", "Japanese"),
    ("loongtomoya_v2", _V2, "male", _JA, "Japanese", "Japanese"),
)

# v3 voices without a description in the doc take the gender and style of their
# v2 namesake; languages follow v2's "zh+en unless noted".
_ROWS_V3: tuple[_Row, ...] = (
    ("longanyang", _V3, "male", _ZH_EN, "sunny", "sunny, boyish"),
    ("longanhuan", _V3, "female", _ZH_EN, "cheerful", "cheerful, energetic"),
    ("longanxuan_v3", _V3, "female", _ZH_EN, "live sales", "live-stream host"),
    ("longhuhu_v3", _V3, "child", _ZH_EN, "kids", "innocent little girl"),
    ("longpaopao_v3", _V3, "child", _ZH_EN, "kids", "kids' companion"),
    ("longjielidou_v3", _V3, "child", _ZH_EN, "kids", "sunny, mischievous boy"),
    ("longxian_v3", _V3, "female", _ZH_EN, "kids", "for children's content"),
    ("longling_v3", _V3, "child", _ZH_EN, "kids", "little girl"),
    ("longshanshan_v3", _V3, "child", _ZH_EN, "kids' stories", "kids' audiobook"),
    ("longniuniu_v3", _V3, "child", _ZH_EN, "kids' stories", "boy, kids' audiobook"),
    ("longjiaxin_v3", _V3, "female", _YUE, "Cantonese", "Cantonese"),
    ("longjiayi_v3", _V3, "female", _YUE, "Cantonese", "Cantonese"),
    ("longanyue_v3", _V3, "male", _YUE, "Cantonese", "Cantonese"),
    ("longlaotie_v3", _V3, "male", _ZH, "Northeastern", "blunt, Northeastern accent"),
    ("longshange_v3", _V3, "male", _ZH, "Shaanxi", "Shaanxi dialect"),
    ("longanmin_v3", _V3, "female", _ZH, "Minnan", "Minnan accent"),
    ("loongkyong_v3", _V3, "female", _KO, "Korean", "Korean"),
    ("loongriko_v3", _V3, "female", _JA, "Japanese", "Japanese"),
    ("loongtomoka_v3", _V3, "female", _JA, "Japanese", "Japanese"),
    ("longfei_v3", _V3, "male", _ZH_EN, "passionate", "passionate, magnetic"),
    ("longyingxiao_v3", _V3, "female", _ZH_EN, "telesales", "telesales"),
    ("longyingxun_v3", _V3, "male", _ZH_EN, "service", "customer service"),
    ("longyingjing_v3", _V3, "female", _ZH_EN, "service", "customer service"),
    ("longyingling_v3", _V3, "female", _ZH_EN, "service", "customer service"),
    ("longyingtao_v3", _V3, "female", _ZH_EN, "service", "customer service"),
    ("longxiaochun_v3", _V3, "female", _ZH_EN, "assistant", "knowledgeable, upbeat"),
    ("longxiaoxia_v3", _V3, "female", _ZH_EN, "assistant", "calm, authoritative"),
    ("longyumi_v3", _V3, "female", _ZH_EN, "assistant", "voice assistant (YUMI)"),
    ("longanyun_v3", _V3, "male", _ZH_EN, "assistant", "voice assistant"),
    ("longanwen_v3", _V3, "female", _ZH_EN, "assistant", "voice assistant"),
    ("longanli_v3", _V3, "female", _ZH_EN, "assistant", "voice assistant"),
    ("longanlang_v3", _V3, "male", _ZH_EN, "assistant", "voice assistant"),
    ("longyingmu_v3", _V3, "female", _ZH_EN, "service", "customer service"),
    ("longantai_v3", _V3, "female", _ZH_EN, "Taiwanese", "sweet, Taiwanese accent"),
    ("longhua_v3", _V3, "female", _ZH_EN, "sweet", "energetic, sweet"),
    ("longcheng_v3", _V3, "male", _ZH_EN, "wise", "wise young man"),
    ("longze_v3", _V3, "male", _ZH_EN, "companion", "social companion"),
    ("longzhe_v3", _V3, "male", _ZH_EN, "companion", "social companion"),
    # "Also seen"
    ("longwan_v3", _V3, "female", _ZH_EN, "companion", "upbeat, knowledgeable"),
    ("longshu_v3", _V3, "male", _ZH_EN, "news", "calm young man, news"),
    ("longyue_v3", _V3, "female", _ZH_EN, "audiobook", "warm, magnetic"),
    ("longmiao_v3", _V3, "female", _ZH_EN, "audiobook", "expressive cadence"),
    ("longsanshu_v3", _V3, "male", _ZH_EN, "audiobook", "audiobook narrator"),
    ("loongabby_v3", _V3, "female", _EN, "American", "American English"),
)

# Only examples are known for Qwen-Audio-TTS; genders of the last two are a guess
# from the names. All are treated as valid on every qwen-audio model.
_ROWS_QWEN_AUDIO: tuple[_Row, ...] = (
    ("longanhuan_v3.6", _QA, "female", _ZH_EN, "cheerful", "cheerful, energetic"),
    ("longanhuan_v3.1", _QA, "female", _ZH_EN, "cheerful", "cheerful, energetic"),
    ("longjielidou_v3.6", _QA, "child", _ZH_EN, "playful", "sunny, mischievous boy"),
    ("loongeva_v3.6", _QA, "female", _EN, "British", "British English"),
    ("longanlingxin", _QA, "female", _ZH_EN, "general", "general purpose"),
    ("longanlufeng", _QA, "male", _ZH_EN, "general", "general purpose"),
)

_ALL_ROWS: tuple[_Row, ...] = _ROWS_V1 + _ROWS_V2 + _ROWS_V3 + _ROWS_QWEN_AUDIO

_ROMAN_OVERRIDES: dict[str, str] = {"libai": "Li Bai"}

_VERSION_RE = re.compile(r"_v(\d+(?:\.\d+)?)$")


def _base_and_version(voice_id: str) -> tuple[str, str | None]:
    """``longhuhu_v3`` → (``longhuhu``, ``3``); ``longwan`` → (``longwan``, None)."""
    match = _VERSION_RE.search(voice_id)
    if match is None:
        return voice_id, None
    return voice_id[: match.start()], match.group(1)


def _romanised(base: str) -> str:
    """``longanyang`` → ``Long Anyang``, ``loongstella`` → ``Stella``."""
    if base in _ROMAN_OVERRIDES:
        return _ROMAN_OVERRIDES[base]
    if base.startswith("loong"):  # English / Japanese / Korean given names
        return base.removeprefix("loong").title()
    if base.startswith("long"):  # 龙 + given name
        return "Long " + base.removeprefix("long").title()
    return base.title()


def _display_names(voice_id: str, gender: Gender, label: str) -> tuple[str, str]:
    """``Long Xiaochun · female, assistant`` and ``龙小淳 · 知性积极女``.

    The Chinese name and description are those of Alibaba's voice list (see
    :mod:`.voice_names`); a voice it does not name keeps its romanised name there too.
    The version suffix is left out: a model's picker shows one variant of each voice
    (see :func:`voices_for_model`).
    """
    base, _version = _base_and_version(voice_id)
    roman = _romanised(base)
    name_zh, trait = ZH_BY_ID.get(voice_id) or ZH_BY_BASE.get(
        base, (roman, GENDER_ZH[gender])
    )
    return f"{roman} · {gender}, {label}", f"{name_zh} · {trait}"


def _build(rows: tuple[_Row, ...]) -> dict[str, VoiceInfo]:
    voices: dict[str, VoiceInfo] = {}
    for voice_id, families, gender, languages, label, style in rows:
        if voice_id in voices:
            raise ValueError(f"duplicate voice id {voice_id!r}")
        name, name_zh = _display_names(voice_id, gender, label)
        voices[voice_id] = VoiceInfo(
            voice_id=voice_id,
            name=name,
            gender=gender,
            languages=languages,
            families=families,
            style=style,
            name_zh=name_zh,
        )
    return voices


VOICES: dict[str, VoiceInfo] = _build(_ALL_ROWS)
"""Every known system voice, by voice id."""

DEFAULT_VOICE: dict[str, str] = {
    FAMILY_V1: "longxiaochun",
    FAMILY_V2: "longxiaochun_v2",
    FAMILY_V3: "longanyang",
    FAMILY_QWEN_AUDIO: "longanhuan_v3.6",
    # FAMILY_V35 has none: those models speak cloned/designed voices only.
}
"""Default voice of each model family that has system voices."""

_CANTONESE_SUBTAGS = frozenset({"yue", "hk", "mo"})
_LANGUAGE_ALIASES: dict[str, str] = {"cmn": "zh"}


def normalize_language(language: str) -> str:
    """Map a BCP-47-ish tag to a voice language code.

    ``zh``, ``zh-CN``, ``zh-Hans``, ``zh-TW``, ``cmn`` → ``zh``; ``yue``,
    ``zh-HK``, ``zh-yue``, ``zh-Hant-HK`` → ``yue``; ``en-US`` → ``en``.
    """
    subtags = language.strip().lower().replace("_", "-").split("-")
    primary = _LANGUAGE_ALIASES.get(subtags[0], subtags[0])
    if primary == "zh" and _CANTONESE_SUBTAGS.intersection(subtags[1:]):
        return "yue"
    return primary


def _family_of(model: str) -> str | None:
    info = MODELS.get(model)
    if info is None or not info.system_voices:
        return None
    return info.family


def _sorted(voices: list[VoiceInfo], family: str) -> list[VoiceInfo]:
    default = DEFAULT_VOICE.get(family)
    return sorted(
        voices,
        key=lambda v: (v.voice_id != default, v.name.casefold(), v.voice_id),
    )


_OWN_VERSION: dict[str, str] = {FAMILY_V2: "2", FAMILY_V3: "3"}
"""The voice-id suffix of the variants made for a family (``longhuhu_v3``)."""


def voices_for_model(model: str) -> list[VoiceInfo]:
    """System voices of ``model``, one variant of each: family default first, by name.

    v3 models accept both ``longhuhu`` and ``longhuhu_v3``; the picker shows only the
    variant made for the family. Variants that are all the family's own (Qwen-Audio's
    ``_v3.6`` and ``_v3.1``) stay, told apart by their version.
    ``[]`` for unknown models and for models without system voices (v3.5).
    """
    family = _family_of(model)
    if family is None:
        return []
    variants: dict[str, list[VoiceInfo]] = {}
    for voice in VOICES.values():
        if family in voice.families:
            variants.setdefault(_base_and_version(voice.voice_id)[0], []).append(voice)
    chosen: list[VoiceInfo] = []
    for group in variants.values():
        kept = [
            v
            for v in group
            if _base_and_version(v.voice_id)[1] == _OWN_VERSION.get(family)
        ] or group
        chosen += [_with_version(v) for v in kept] if len(kept) > 1 else kept
    return _sorted(chosen, family)


def _with_version(voice: VoiceInfo) -> VoiceInfo:
    """The voice with its version in the names, to tell it from a sibling variant."""
    version = _base_and_version(voice.voice_id)[1] or "1"

    def versioned(label: str) -> str:
        name, _, rest = label.partition(" · ")
        return f"{name} v{version} · {rest}"

    return replace(voice, name=versioned(voice.name), name_zh=versioned(voice.name_zh))


def speaks_chinese(language: str | None) -> bool:
    """Whether a request in ``language`` wants Chinese voice names (zh*, yue, cmn)."""
    return language is not None and normalize_language(language) in {"zh", "yue"}


def display_name(voice: VoiceInfo, language: str | None) -> str:
    """The voice's picker label for a request in ``language``: Chinese for Chinese."""
    return voice.name_zh if speaks_chinese(language) else voice.name


def voices_for_language(model: str, language: str) -> list[VoiceInfo]:
    """System voices of ``model`` that speak ``language`` (any BCP-47-ish tag)."""
    code = normalize_language(language)
    return [v for v in voices_for_model(model) if code in v.languages]


def picker_voices(
    model: str, configured: str, language: str | None = None
) -> list[tuple[str, VoiceInfo | None]]:
    """A voice picker's list: ``(voice id, info)``, the voice in use first if missing.

    The model's voices (for ``language``) are listed. The voice in use leads when the
    list leaves it out: a cloned or designed voice (``info`` is None: no catalogue knows it), or
    a variant of a system voice the list does not show; a system voice that does not
    speak ``language`` is not added.
    """
    voices = (
        voices_for_model(model)
        if language is None
        else voices_for_language(model, language)
    )
    listed: list[tuple[str, VoiceInfo | None]] = [(v.voice_id, v) for v in voices]
    if configured and all(v.voice_id != configured for v in voices):
        known = find_voice(configured)
        if (
            known is None
            or language is None
            or normalize_language(language) in known.languages
        ):
            listed.insert(0, (configured, known))
    return listed


def find_voice(voice_id: str) -> VoiceInfo | None:
    """Return the system voice with this id, or None (unknown, or a cloned voice)."""
    return VOICES.get(voice_id)


def languages_for_model(model: str) -> list[str]:
    """Languages ``model`` can speak with its system voices, sorted.

    Models without system voices (v3.5) return the cloning languages (§6.2);
    unknown models ``[]``.
    """
    info = MODELS.get(model)
    if info is None:
        return []
    if info.family == FAMILY_V35 or not info.system_voices:
        return list(CLONE_LANGUAGES)
    return sorted({lang for v in voices_for_model(model) for lang in v.languages})
