"""The account's own voices (cloned or designed): their ids, names and records.

Pure rules, no I/O: which models and regions can make them, what a name may be, and
how an id tells its model and name (``dashscope-protocol.md`` §6.2).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Final

from .endpoints import REGION_INTL
from .errors import InvalidOptionError
from .models import DEFAULT_MODEL, MODELS

MAX_VOICE_NAME_CHARS: Final = 10
MAX_VOICE_PROMPT_CHARS: Final = 500
"""Longest voice description; a third-party figure, the service may allow more."""
MAX_PREVIEW_TEXT_CHARS: Final = 200
"""Longest design preview text; a third-party figure too."""
MAX_VOICES_PER_ACCOUNT: Final = 1000

SERVICE_ZONE: Final = timezone(timedelta(hours=8), "CST")
"""The zone of the service's ``gmt_create`` and ``gmt_modified``, which carry none.

Alibaba Cloud's records are written in China Standard Time (both regions, Beijing
and Singapore, are UTC+8); the protocol doc gives the format, not the zone.
"""

_NAME_RE = re.compile(r"[a-z0-9]{1,10}")
# After "<model>-": "<name>-<unique>" for clones, "vd-<name>-<unique>" for designs
# (the "vd" marker is reported by third parties only).
_TAIL_RE = re.compile(r"(?P<designed>vd-)?(?P<name>[A-Za-z0-9_]{1,10})-[A-Za-z0-9]+")


class VoiceStatus(StrEnum):
    """Where a voice is in its review: only ``OK`` voices speak."""

    OK = "OK"
    DEPLOYING = "DEPLOYING"
    UNDEPLOYED = "UNDEPLOYED"
    """Rejected by the service's review (the sample was not usable)."""


@dataclass(frozen=True, slots=True)
class CustomVoiceId:
    """What a custom voice's id says about it."""

    model: str
    """The only model that speaks it."""
    name: str
    """The name (``prefix``) it was created with."""
    designed: bool


def parse_custom_voice_id(voice_id: str) -> CustomVoiceId | None:
    """The model and name in a cloned or designed voice's id; None for other ids.

    The longest model name that fits wins, so ``cosyvoice-v3-plus-x-1`` is a
    ``cosyvoice-v3-plus`` voice, not a ``cosyvoice-v3`` one.
    """
    for model in sorted(MODELS, key=len, reverse=True):
        if voice_id.startswith(model + "-"):
            tail = _TAIL_RE.fullmatch(voice_id.removeprefix(model + "-"))
            if tail is not None:
                return CustomVoiceId(
                    model, tail["name"], designed=tail["designed"] is not None
                )
    return None


def is_cloned_voice_id(voice_id: str, model: str) -> bool:
    """Whether ``voice_id`` is a cloned or designed voice made for ``model``."""
    parsed = parse_custom_voice_id(voice_id)
    return parsed is not None and parsed.model == model


def check_voice_name(name: str) -> str:
    """A new voice's name: 1 to 10 lowercase letters or digits (the id's prefix)."""
    if not _NAME_RE.fullmatch(name):
        raise InvalidOptionError(
            "name",
            f"a voice name must be 1 to {MAX_VOICE_NAME_CHARS} lowercase letters or"
            f" digits; {name!r} is not",
        )
    return name


def check_can_make(model: str, region: str, *, design: bool) -> None:
    """Raise unless ``model`` can clone (or design) voices in ``region``.

    The International region clones only for cosyvoice-v2 and designs nothing, the
    stricter of two readings of the documents; a custom endpoint is let through.
    """
    info = MODELS.get(model)
    able = info is not None and (info.designs if design else info.clones)
    what = "design" if design else "clone"
    if not able:
        raise InvalidOptionError("model", f"{model} cannot {what} voices")
    if region == REGION_INTL and (design or model != "cosyvoice-v2"):
        raise InvalidOptionError(
            "model",
            f"the International region cannot {what} voices for {model}",
        )


def default_target_model(
    profile_models: Sequence[str], region: str, *, design: bool
) -> str:
    """The model a new voice is made for when the caller names none.

    A voice speaks only with the model it was made for, so it is made for the model
    the account's voice profiles use most (the first profile's on a tie), so that
    their pickers offer it. When none of those can make it here, the first model that
    can; when no model can (the International region designs nothing), the profiles'
    own, for :func:`check_can_make` to refuse in words.
    """
    counts = Counter(profile_models)
    ranked = sorted(counts, key=lambda model: -counts[model])  # stable: first wins
    for model in (*ranked, *MODELS):
        try:
            check_can_make(model, region, design=design)
        except InvalidOptionError:
            continue
        return model
    return ranked[0] if ranked else DEFAULT_MODEL


@dataclass(frozen=True, slots=True)
class CustomVoice:
    """One of the account's own voices, as the service lists it."""

    voice_id: str
    status: str
    """A :class:`VoiceStatus`, or whatever new status the service reports."""
    model: str | None
    """Its target model: the only one that speaks it (None if the id hides it)."""
    name: str
    designed: bool
    created: datetime | None = None
    """``gmt_create``, with the zone the service leaves out (:data:`SERVICE_ZONE`)."""
    modified: datetime | None = None
    description: str | None = None
    """What a designed voice was asked to sound like (its ``voice_prompt``)."""

    @classmethod
    def from_service(
        cls, record: dict[str, Any], *, model: str | None = None
    ) -> CustomVoice:
        """A voice from a ``voice_list`` entry or a ``query_voice`` answer."""
        voice_id = str(record.get("voice_id") or "")
        parsed = parse_custom_voice_id(voice_id)
        target = record.get("target_model") or model
        return cls(
            voice_id=voice_id,
            status=str(record.get("status") or VoiceStatus.DEPLOYING),
            model=str(target) if target else (parsed.model if parsed else None),
            name=parsed.name if parsed else voice_id,
            designed=parsed.designed if parsed else False,
            created=service_time(record.get("gmt_create")),
            modified=service_time(record.get("gmt_modified")),
            description=_text_or_none(record.get("voice_prompt")),
        )

    @property
    def ready(self) -> bool:
        """Whether it can speak now."""
        return self.status == VoiceStatus.OK

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for action responses and diagnostics; times in ISO 8601."""
        return {
            "voice_id": self.voice_id,
            "name": self.name,
            "status": self.status,
            "target_model": self.model,
            "kind": "designed" if self.designed else "cloned",
            "description": self.description,
            "created": _iso_or_none(self.created),
            "modified": _iso_or_none(self.modified),
        }


def service_time(value: object) -> datetime | None:
    """A time the service wrote (``2026-12-01 10:00:00``), in its zone; None if none.

    A time that names its zone keeps it; text that is no time is dropped rather than
    shown as if it were one.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SERVICE_ZONE)


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _text_or_none(value: object) -> str | None:
    return str(value) if value else None
