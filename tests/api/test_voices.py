"""System-voice catalogue: consistency of the tables and the lookups."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import voices as voices_module
from custom_components.cosyvoice.api.custom_voices import is_cloned_voice_id
from custom_components.cosyvoice.api.models import (
    FAMILY_QWEN_AUDIO,
    FAMILY_V1,
    FAMILY_V2,
    FAMILY_V3,
    FAMILY_V35,
    MODELS,
)
from custom_components.cosyvoice.api.voices import (
    CLONE_LANGUAGES,
    DEFAULT_VOICE,
    VOICES,
    VoiceInfo,
    display_name,
    find_voice,
    languages_for_model,
    normalize_language,
    picker_voices,
    voices_for_language,
    voices_for_model,
)

SYSTEM_VOICE_MODELS = [name for name, info in MODELS.items() if info.system_voices]
V35_MODELS = [name for name, info in MODELS.items() if info.family == FAMILY_V35]
KNOWN_LANGUAGES = {"zh", "en", "ja", "ko", "yue"}


def _ids(voices: list[VoiceInfo]) -> list[str]:
    return [v.voice_id for v in voices]


# --- the tables ---------------------------------------------------------------


def test_voice_ids_unique_and_match_keys() -> None:
    row_ids = [row[0] for row in voices_module._ALL_ROWS]
    assert len(row_ids) == len(set(row_ids))
    assert len(VOICES) == len(row_ids)
    for key, voice in VOICES.items():
        assert key == voice.voice_id


def test_families_exist_in_models() -> None:
    model_families = {info.family for info in MODELS.values()}
    for voice in VOICES.values():
        assert voice.families, voice.voice_id
        assert voice.families <= model_families, voice.voice_id
        assert FAMILY_V35 not in voice.families


def test_fields_well_formed() -> None:
    for voice in VOICES.values():
        assert voice.gender in {"female", "male", "child"}
        assert voice.languages, voice.voice_id
        assert set(voice.languages) <= KNOWN_LANGUAGES, voice.voice_id
        assert len(set(voice.languages)) == len(voice.languages)
        assert voice.style
        assert voice.style.isascii(), voice.voice_id
        assert f" · {voice.gender}, " in voice.name
        assert "_v" not in voice.name, voice.voice_id
        assert voice.name.replace(" · ", " ").isascii(), voice.voice_id
        assert " · " in voice.name_zh
        assert "_v" not in voice.name_zh, voice.voice_id
        assert not voice.name_zh.partition(" · ")[2].isascii(), voice.voice_id


def test_default_voices_exist_in_their_family() -> None:
    assert set(DEFAULT_VOICE) == {FAMILY_V1, FAMILY_V2, FAMILY_V3, FAMILY_QWEN_AUDIO}
    for family, voice_id in DEFAULT_VOICE.items():
        assert family in VOICES[voice_id].families


def test_some_known_voices() -> None:
    # Romanised for every language but Chinese.
    assert VOICES["longxiaochun_v2"].name == "Long Xiaochun · female, assistant"
    assert VOICES["longxiaochun_v2"].style == "knowledgeable, upbeat"
    assert VOICES["longwan"].name.startswith("Long Wan · female")
    assert VOICES["longanlang_v3"].name == "Long Anlang · male, assistant"
    assert VOICES["longanyang"].name == "Long Anyang · male, sunny"
    assert VOICES["loongstella"].name.startswith("Stella · female")
    assert VOICES["libai_v2"].name.startswith("Li Bai · male")
    # In Chinese, Alibaba's own name and description (its voice list).
    assert VOICES["longanyang"].name_zh == "龙安洋 · 阳光大男孩"
    assert VOICES["longxiaochun_v2"].name_zh == "龙小淳 · 知性积极女"
    assert VOICES["libai_v2"].name_zh == "李白 · 古代诗仙男"
    assert VOICES["loongstella"].name_zh == "Stella · 飒爽利落女"
    # A variant the list describes otherwise than its namesake.
    assert VOICES["longwan_v2"].name_zh == "龙婉 · 积极知性女"
    assert VOICES["longwan_v3"].name_zh == "龙婉 · 细腻柔声女"
    assert VOICES["longanmin_v3"].name_zh == "龙安闽 · 清纯萝莉女"
    # No Chinese name documented: the romanised one, with a Chinese description.
    assert VOICES["longanlufeng"].name_zh == "Long Anlufeng · 男声"
    assert VOICES["longjielidou"].gender == "child"
    assert VOICES["loongyuuna_v2"].languages == ("ja",)
    assert VOICES["loongjihun_v2"].languages == ("ko",)
    assert VOICES["loongeva_v2"].languages == ("en",)
    assert VOICES["longxiaochun"].languages == ("zh", "en")
    assert VOICES["longwan"].languages == ("zh",)
    assert VOICES["longjiaxin_v3"].languages == ("yue",)
    assert VOICES["longlaotie_v3"].languages == ("zh",)
    # † voices: both v2 and v3.
    assert VOICES["longhuhu"].families == {FAMILY_V2, FAMILY_V3}
    assert VOICES["longanpei"].families == {FAMILY_V2}


def test_third_party_only_v1_voices_left_out() -> None:
    for voice_id in ("zhimi", "aicheng", "xiaoyun"):
        assert find_voice(voice_id) is None


# --- voices_for_model ---------------------------------------------------------


@pytest.mark.parametrize("model", SYSTEM_VOICE_MODELS)
def test_every_model_has_voices_default_first(model: str) -> None:
    voices = voices_for_model(model)
    assert voices
    default = DEFAULT_VOICE[MODELS[model].family]
    assert voices[0].voice_id == default
    rest = voices[1:]
    assert [v.name.casefold() for v in rest] == sorted(v.name.casefold() for v in rest)


@pytest.mark.parametrize("model", SYSTEM_VOICE_MODELS)
def test_names_unique_per_model(model: str) -> None:
    for names in (
        [v.name for v in voices_for_model(model)],
        [v.name_zh for v in voices_for_model(model)],
    ):
        assert len(names) == len(set(names))


def test_every_documented_voice_has_its_chinese_name() -> None:
    """Only Qwen-Audio's examples, which no list names, go without one."""
    unnamed = {v.voice_id for v in VOICES.values() if not _has_chinese_or_given_name(v)}
    assert unnamed == {"longanlingxin", "longanlufeng"}


def _has_chinese_or_given_name(voice: VoiceInfo) -> bool:
    name = voice.name_zh.partition(" · ")[0]
    return not name.startswith("Long ")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh", "龙安洋 · 阳光大男孩"),
        ("zh-CN", "龙安洋 · 阳光大男孩"),
        ("zh-Hant-TW", "龙安洋 · 阳光大男孩"),
        ("zh-HK", "龙安洋 · 阳光大男孩"),
        ("en", "Long Anyang · male, sunny"),
        ("en-US", "Long Anyang · male, sunny"),
        ("ja", "Long Anyang · male, sunny"),
        (None, "Long Anyang · male, sunny"),
    ],
)
def test_display_name_follows_the_language(language: str | None, expected: str) -> None:
    assert display_name(VOICES["longanyang"], language) == expected


def test_a_versioned_variant_is_versioned_in_both_languages() -> None:
    voices = {v.voice_id: v for v in voices_for_model("qwen-audio-3.1-tts-flash")}
    assert voices["longanhuan_v3.6"].name_zh == "龙安欢 v3.6 · 欢脱元气女"
    assert voices["longanhuan_v3.1"].name_zh == "龙安欢 v3.1 · 欢脱元气女"


@pytest.mark.parametrize("model", SYSTEM_VOICE_MODELS)
def test_voices_belong_to_model_family(model: str) -> None:
    family = MODELS[model].family
    assert all(family in v.families for v in voices_for_model(model))


def test_v35_and_unknown_models_have_no_voices() -> None:
    assert V35_MODELS
    for model in V35_MODELS:
        assert voices_for_model(model) == []
        assert voices_for_language(model, "zh-CN") == []
    assert voices_for_model("cosyvoice-v9") == []
    assert voices_for_model("") == []


def test_family_membership() -> None:
    v1 = _ids(voices_for_model("cosyvoice-v1"))
    v2 = _ids(voices_for_model("cosyvoice-v2"))
    v3 = _ids(voices_for_model("cosyvoice-v3-flash"))
    assert "longanyang" not in v1
    assert "longanyang" not in v2
    assert "longanyang" in v3
    assert "longwan" in v1
    assert "longwan" not in v3
    assert "longhuhu" in v2
    # v3 accepts longhuhu too, but lists only the variant made for it.
    assert "longhuhu" not in v3
    assert "longhuhu_v3" in v3
    assert "longhuhu_v3" not in v2
    assert "longyingcui" in v2
    assert "longyingcui" not in v3
    assert _ids(voices_for_model("cosyvoice-v3-plus")) == v3
    assert _ids(voices_for_model("cosyvoice-v3")) == v3
    qwen = _ids(voices_for_model("qwen-audio-3.1-tts-flash"))
    assert "longanhuan_v3.6" in qwen
    assert "longanhuan_v3.1" in qwen
    assert "longanhuan" not in qwen
    # Both are Qwen-Audio's own: they stay, told apart by their version.
    names = {v.voice_id: v.name for v in voices_for_model("qwen-audio-3.1-tts-flash")}
    assert names["longanhuan_v3.6"] == "Long Anhuan v3.6 · female, cheerful"
    assert names["longanhuan_v3.1"] == "Long Anhuan v3.1 · female, cheerful"


@pytest.mark.parametrize("model", SYSTEM_VOICE_MODELS)
def test_a_picker_shows_each_voice_once(model: str) -> None:
    names = [v.name for v in voices_for_model(model)]
    assert len(set(names)) == len(names), model


def test_voices_for_model_returns_fresh_list() -> None:
    first = voices_for_model("cosyvoice-v2")
    first.clear()
    assert voices_for_model("cosyvoice-v2")


# --- voices_for_language ------------------------------------------------------


def test_japanese_on_v2() -> None:
    voices = voices_for_language("cosyvoice-v2", "ja-JP")
    ids = _ids(voices)
    assert "loongyuuna_v2" in ids
    assert "loongtomoya_v2" in ids
    assert all("ja" in v.languages for v in voices)
    assert not [v for v in voices if v.languages == ("zh",)]
    assert "longxiaochun_v2" not in ids


def test_cantonese_on_v3() -> None:
    for tag in ("zh-HK", "zh-hk", "yue", "yue-Hant-HK", "zh-yue", "zh_HK"):
        ids = _ids(voices_for_language("cosyvoice-v3-flash", tag))
        assert "longjiaxin_v3" in ids, tag
        assert "longanyue_v3" in ids, tag
        assert all("yue" in VOICES[i].languages for i in ids), tag
    mandarin = _ids(voices_for_language("cosyvoice-v3-flash", "zh-CN"))
    assert "longjiaxin_v3" not in mandarin
    assert mandarin[0] == "longanyang"


def test_mandarin_tags_and_ordering() -> None:
    all_v1 = voices_for_model("cosyvoice-v1")
    for tag in ("zh", "zh-CN", "zh-Hans", "zh-TW", "cmn"):
        voices = voices_for_language("cosyvoice-v1", tag)
        assert voices == all_v1, tag  # every v1 voice speaks Mandarin
    english = voices_for_language("cosyvoice-v1", "en-US")
    assert english[0].voice_id == "longxiaochun"
    assert {v.voice_id for v in english} == {
        "longxiaochun",
        "longxiaocheng",
        "longjielidou",
        "loongstella",
    }
    # Ordering is the model's ordering, filtered.
    order = _ids(all_v1)
    english_ids = _ids(english)
    assert english_ids == [i for i in order if i in english_ids]


def test_unspoken_language_gives_nothing() -> None:
    assert voices_for_language("cosyvoice-v1", "fr-FR") == []
    assert voices_for_language("cosyvoice-v2", "") == []
    assert voices_for_language("nope", "en") == []


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("zh-Hans", "zh"),
        ("zh-Hant-TW", "zh"),
        ("zh-HK", "yue"),
        ("zh-MO", "yue"),
        ("zh-Hant-HK", "yue"),
        ("zh-yue", "yue"),
        ("yue", "yue"),
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("ja-JP", "ja"),
        ("ko", "ko"),
        ("cmn-Hans-CN", "zh"),
    ],
)
def test_normalize_language(tag: str, code: str) -> None:
    assert normalize_language(tag) == code


# --- find_voice ---------------------------------------------------------------


def test_find_voice() -> None:
    voice = find_voice("longanyang")
    assert voice is not None
    assert voice.gender == "male"
    assert find_voice("cosyvoice-v3-plus-myvoice-abc123") is None
    assert find_voice("") is None


# --- is_cloned_voice_id -------------------------------------------------------


@pytest.mark.parametrize(
    ("voice_id", "model"),
    [
        ("cosyvoice-v3-plus-myvoice-xxxxxxxx", "cosyvoice-v3-plus"),
        ("cosyvoice-v3-flash-a-1", "cosyvoice-v3-flash"),
        ("cosyvoice-v2-My_Voice10-abcDEF123", "cosyvoice-v2"),
        ("cosyvoice-v3.5-plus-test-0f3c", "cosyvoice-v3.5-plus"),
        ("cosyvoice-v3-mine-abc", "cosyvoice-v3"),
    ],
)
def test_cloned_voice_ids(voice_id: str, model: str) -> None:
    assert is_cloned_voice_id(voice_id, model)


@pytest.mark.parametrize(
    ("voice_id", "model"),
    [
        # wrong model
        ("cosyvoice-v3-plus-myvoice-xxxxxxxx", "cosyvoice-v3-flash"),
        ("cosyvoice-v2-myvoice-abc", "cosyvoice-v3-plus"),
        # belongs to cosyvoice-v3-plus, not to its prefix cosyvoice-v3
        ("cosyvoice-v3-plus-myvoice-abc", "cosyvoice-v3"),
        # prefix longer than 10 characters
        ("cosyvoice-v2-abcdefghijk-abc", "cosyvoice-v2"),
        # missing or empty suffix, missing prefix
        ("cosyvoice-v2-myvoice", "cosyvoice-v2"),
        ("cosyvoice-v2-myvoice-", "cosyvoice-v2"),
        ("cosyvoice-v2--abc", "cosyvoice-v2"),
        # bad characters
        ("cosyvoice-v2-my-voice-abc", "cosyvoice-v2"),
        ("cosyvoice-v2-myvoice-ab_c", "cosyvoice-v2"),
        ("cosyvoice-v2-myvoice-abc\n", "cosyvoice-v2"),
        # system voices, empty input
        ("longxiaochun_v2", "cosyvoice-v2"),
        ("", "cosyvoice-v2"),
        ("cosyvoice-v2-a-b", ""),
    ],
)
def test_not_cloned_voice_ids(voice_id: str, model: str) -> None:
    assert not is_cloned_voice_id(voice_id, model)


def test_prefix_of_ten_is_allowed() -> None:
    assert is_cloned_voice_id("cosyvoice-v2-abcdefghij-1", "cosyvoice-v2")


# --- languages_for_model ------------------------------------------------------


def test_languages_for_v1() -> None:
    languages = languages_for_model("cosyvoice-v1")
    assert languages
    assert set(languages) <= {"zh", "en"}
    assert languages == sorted(languages)


def test_languages_for_v2_and_v3() -> None:
    assert languages_for_model("cosyvoice-v2") == ["en", "ja", "ko", "yue", "zh"]
    assert set(languages_for_model("cosyvoice-v3-flash")) >= {"zh", "en", "yue"}


def test_languages_for_v35_are_cloning_languages() -> None:
    for model in V35_MODELS:
        assert languages_for_model(model) == [
            "zh",
            "en",
            "fr",
            "de",
            "ja",
            "ko",
            "ru",
        ]
    assert list(CLONE_LANGUAGES) == languages_for_model(V35_MODELS[0])


def test_languages_for_unknown_model() -> None:
    assert languages_for_model("nope") == []


def test_picker_leads_with_the_voice_in_use_when_the_list_leaves_it_out() -> None:
    model = "cosyvoice-v3-flash"
    listed = picker_voices(model, "longanyang")
    assert [v for v, _ in listed] == _ids(voices_for_model(model))
    cloned = f"{model}-myvoice-0a1b2c"
    assert picker_voices(model, cloned)[0] == (cloned, None)
    # A variant the list hides leads too, but only where it speaks the language.
    assert picker_voices(model, "longhuhu", "zh")[0] == ("longhuhu", VOICES["longhuhu"])
    assert "longhuhu" not in [v for v, _ in picker_voices(model, "longhuhu", "ja")]
    assert picker_voices("cosyvoice-v3.5-plus", "") == []
