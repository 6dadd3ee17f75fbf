"""The rules of own voices: ids, names, and which models and regions make them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.cosyvoice.api import (
    REGION_CN,
    REGION_CUSTOM,
    REGION_INTL,
    CustomVoice,
    InvalidOptionError,
    parse_custom_voice_id,
)
from custom_components.cosyvoice.api.custom_voices import (
    check_can_make,
    check_voice_name,
    default_target_model,
    service_time,
)
from tests.strategies import json_values


@pytest.mark.parametrize(
    ("voice_id", "expected"),
    [
        ("cosyvoice-v3-plus-grandma-0a1b2c", ("cosyvoice-v3-plus", "grandma", False)),
        ("cosyvoice-v3.5-flash-vd-calm-ffee", ("cosyvoice-v3.5-flash", "calm", True)),
        ("cosyvoice-v3-mine-abc", ("cosyvoice-v3", "mine", False)),
        ("cosyvoice-v2-vd-1", ("cosyvoice-v2", "vd", False)),
    ],
)
def test_ids_tell_model_name_and_kind(
    voice_id: str, expected: tuple[str, str, bool]
) -> None:
    parsed = parse_custom_voice_id(voice_id)
    assert parsed is not None
    assert (parsed.model, parsed.name, parsed.designed) == expected


@pytest.mark.parametrize(
    "voice_id",
    ["longxiaochun_v2", "", "cosyvoice-v2-myvoice", "cosyvoice-v9-a-1", "x-a-1"],
)
def test_other_ids_are_not_own_voices(voice_id: str) -> None:
    assert parse_custom_voice_id(voice_id) is None


@pytest.mark.parametrize("name", ["grandma", "a", "abc123", "0123456789"])
def test_good_names(name: str) -> None:
    assert check_voice_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "Grandma", "my_voice", "my voice", "abcdefghijk", "奶奶", "a-b"]
)
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidOptionError, match="lowercase letters") as raised:
        check_voice_name(name)
    assert raised.value.option == "name"


@pytest.mark.parametrize(
    ("model", "region", "design", "allowed"),
    [
        ("cosyvoice-v3.5-plus", REGION_CN, True, True),
        ("cosyvoice-v3-flash", REGION_CN, False, True),
        ("cosyvoice-v2", REGION_CN, False, True),
        ("cosyvoice-v2", REGION_CN, True, False),
        ("cosyvoice-v1", REGION_CN, False, False),
        ("qwen-audio-3.0-tts-flash", REGION_CN, False, False),
        ("cosyvoice-v2", REGION_INTL, False, True),
        ("cosyvoice-v3-flash", REGION_INTL, False, False),
        ("cosyvoice-v3-flash", REGION_INTL, True, False),
        ("cosyvoice-v3.5-flash", REGION_CUSTOM, True, True),
        ("no-such-model", REGION_CN, False, False),
    ],
)
def test_which_models_make_voices_where(
    model: str, region: str, design: bool, allowed: bool
) -> None:
    if allowed:
        check_can_make(model, region, design=design)
    else:
        with pytest.raises(InvalidOptionError) as raised:
            check_can_make(model, region, design=design)
        assert raised.value.option == "model"


def test_a_listed_voice_reads_its_model_from_its_id() -> None:
    voice = CustomVoice.from_service(
        {
            "voice_id": "cosyvoice-v3.5-plus-vd-calm-0a1b",
            "gmt_create": "2026-12-01 10:00:00",
            "gmt_modified": "2026-12-01 10:00:05",
            "status": "OK",
        }
    )
    assert voice.model == "cosyvoice-v3.5-plus"
    assert voice.name == "calm"
    assert voice.designed
    assert voice.ready
    assert voice.as_dict()["kind"] == "designed"
    # The service writes China Standard Time without saying so; we say so.
    assert voice.as_dict()["created"] == "2026-12-01T10:00:00+08:00"
    assert voice.as_dict()["modified"] == "2026-12-01T10:00:05+08:00"
    assert voice.as_dict()["description"] is None


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("2026-12-01 10:00:00", "2026-12-01T10:00:00+08:00"),
        ("2026-12-01T10:00:00", "2026-12-01T10:00:00+08:00"),
        ("2026-12-01T02:00:00Z", "2026-12-01T02:00:00+00:00"),
        ("2026-12-01 10:00:00+09:00", "2026-12-01T10:00:00+09:00"),
        (" 2026-12-01 10:00:00 ", "2026-12-01T10:00:00+08:00"),
    ],
)
def test_service_times_carry_a_zone(written: str, iso: str) -> None:
    parsed = service_time(written)
    assert parsed is not None
    assert parsed.isoformat() == iso


@pytest.mark.parametrize("written", [None, "", "  ", "yesterday", 1733900000, []])
def test_what_is_no_time_is_none(written: object) -> None:
    assert service_time(written) is None


def test_a_designed_voice_keeps_what_it_was_asked_to_sound_like() -> None:
    voice = CustomVoice.from_service(
        {"voice_id": "cosyvoice-v3-flash-vd-gran-1", "voice_prompt": "A warm granny."}
    )
    assert voice.description == "A warm granny."
    assert voice.as_dict()["description"] == "A warm granny."


@pytest.mark.parametrize(
    ("profile_models", "region", "design", "expected"),
    [
        # The model the profiles use most, the first profile's on a tie.
        (["cosyvoice-v3-flash"], REGION_CN, True, "cosyvoice-v3-flash"),
        (
            ["cosyvoice-v3-plus", "cosyvoice-v3-flash", "cosyvoice-v3-flash"],
            REGION_CN,
            True,
            "cosyvoice-v3-flash",
        ),
        (
            ["cosyvoice-v3-plus", "cosyvoice-v3.5-flash"],
            REGION_CN,
            True,
            "cosyvoice-v3-plus",
        ),
        # A profile model that cannot make it is passed over.
        (
            ["cosyvoice-v2", "cosyvoice-v2", "cosyvoice-v3.5-plus"],
            REGION_CN,
            True,
            "cosyvoice-v3.5-plus",
        ),
        (["cosyvoice-v2"], REGION_CN, False, "cosyvoice-v2"),
        # None can: the first model that can.
        (
            ["cosyvoice-v1", "qwen-audio-3.1-tts-flash"],
            REGION_CN,
            True,
            "cosyvoice-v3-flash",
        ),
        ([], REGION_CN, False, "cosyvoice-v2"),
        # The International region clones for v2 only, and designs nothing.
        (["cosyvoice-v3-flash"], REGION_INTL, False, "cosyvoice-v2"),
        (["cosyvoice-v3-plus"], REGION_INTL, True, "cosyvoice-v3-plus"),
        ([], REGION_INTL, True, "cosyvoice-v3-flash"),
        # A custom endpoint is not held to a region's limits.
        (["cosyvoice-v3-plus"], REGION_CUSTOM, False, "cosyvoice-v3-plus"),
    ],
)
def test_a_new_voice_is_made_for_the_profiles_model(
    profile_models: list[str], region: str, design: bool, expected: str
) -> None:
    assert default_target_model(profile_models, region, design=design) == expected


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "voice_id": st.sampled_from(["cosyvoice-v3-plus-myvoice-0a1b", ""])
            | json_values,
            "status": json_values,
            "target_model": json_values,
            "gmt_create": json_values,
            "gmt_modified": json_values,
        },
    )
    | st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    st.none() | st.text(max_size=20),
)
def test_any_voice_record_is_read_into_text_fields(
    record: dict[str, Any], model: str | None
) -> None:
    """A voice record of any JSON gives a voice whose fields are all text (or None)."""
    voice = CustomVoice.from_service(record, model=model)
    assert isinstance(voice.voice_id, str)
    assert isinstance(voice.status, str)
    assert isinstance(voice.name, str)
    assert isinstance(voice.designed, bool)
    for text in (voice.model, voice.description):
        assert text is None or isinstance(text, str)
    for time in (voice.created, voice.modified):
        assert time is None or (isinstance(time, datetime) and time.tzinfo is not None)
