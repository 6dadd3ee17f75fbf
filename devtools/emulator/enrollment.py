"""Custom voices: one store per API key, and the rules of voice enrollment (doc §6.2).

A voice is cloned from a sample (``<model>-<prefix>-<32 hex>``) or designed from
a text prompt (``<model>-vd-<prefix>-<32 hex>``). It is ``DEPLOYING`` until
``voice_deploy_seconds`` after its creation or last update, then ``OK`` (or
``UNDEPLOYED`` when a ``Fault.voice_rejected()`` hit it). The status is worked
out when read, from the time it was fixed at creation or update.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, get_args

from .config import EmulatorConfig

VoiceStatus = Literal["DEPLOYING", "OK", "UNDEPLOYED"]
VOICE_STATUSES: tuple[VoiceStatus, ...] = get_args(VoiceStatus)

INVALID_PARAMETER = "InvalidParameter"

CLONE_MODELS = frozenset(
    {
        "cosyvoice-v2",
        "cosyvoice-v3-flash",
        "cosyvoice-v3-plus",
        "cosyvoice-v3.5-flash",
        "cosyvoice-v3.5-plus",
    }
)
DESIGN_MODELS = frozenset(
    {
        "cosyvoice-v3-flash",
        "cosyvoice-v3-plus",
        "cosyvoice-v3.5-flash",
        "cosyvoice-v3.5-plus",
    }
)
INTL_CLONE_MODELS = frozenset({"cosyvoice-v2"})
LANGUAGES = ("zh", "en", "fr", "de", "ja", "ko", "ru")
PREFIX_RE = re.compile(r"[a-z0-9]{1,10}")
MAX_PROMPT_CHARS = 500
MAX_PREVIEW_CHARS = 200
MAX_PAGE_SIZE = 1000

PREFIX_RULE = "prefix must be 1-10 lowercase letters or digits"
LANGUAGE_RULE = "language_hints must be a list holding one of: " + ", ".join(LANGUAGES)
# gmt_create / gmt_modified are given in Beijing time (a guess).
_GMT_ZONE = timezone(timedelta(hours=8))


class EnrollmentError(Exception):
    """A refused enrollment request: HTTP status, ``code`` and ``message`` go on the wire."""

    def __init__(
        self, message: str, code: str = INVALID_PARAMETER, status: int = 400
    ) -> None:
        """Keep what goes on the wire."""
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def voice_not_found(voice_id: str) -> EnrollmentError:
    """The error for a voice id the key's store does not hold."""
    return EnrollmentError(f"voice {voice_id} does not exist")


def quota_exceeded(limit: int) -> EnrollmentError:
    """The error for one voice too many."""
    return EnrollmentError(
        f"voice quota exceeded: an account may hold at most {limit} voices, "
        "delete some first"
    )


def check_prefix(prefix: Any) -> str:
    """Return ``prefix`` if it is 1-10 lowercase letters or digits."""
    if prefix is None:
        raise EnrollmentError("prefix is required")
    if not isinstance(prefix, str) or not PREFIX_RE.fullmatch(prefix):
        raise EnrollmentError(PREFIX_RULE)
    return prefix


def check_language_hints(hints: Any) -> list[str] | None:
    """Return ``language_hints`` (absent: None) if it is a list of one known language."""
    if hints is None:
        return None
    if not isinstance(hints, list) or len(hints) != 1 or hints[0] not in LANGUAGES:
        raise EnrollmentError(LANGUAGE_RULE)
    return [str(hints[0])]


def check_clone_model(model: Any, region: str) -> str:
    """Return ``model`` if it can drive a cloned voice in ``region``."""
    if not isinstance(model, str) or not model:
        raise EnrollmentError("target_model is required")
    if model not in CLONE_MODELS:
        raise EnrollmentError(f"target_model {model} does not support voice cloning")
    if region == "intl" and model not in INTL_CLONE_MODELS:
        raise EnrollmentError(
            f"target_model {model} does not support voice cloning in this region; "
            "only cosyvoice-v2 does"
        )
    return model


def check_design_model(model: Any, region: str) -> str:
    """Return ``model`` if it can drive a designed voice in ``region``."""
    if not isinstance(model, str) or not model:
        raise EnrollmentError("target_model is required")
    if region == "intl":
        raise EnrollmentError("voice design is not available in this region")
    if model not in DESIGN_MODELS:
        raise EnrollmentError(f"target_model {model} does not support voice design")
    return model


def check_text(value: Any, name: str, limit: int) -> str:
    """Return ``value`` if it is a string of 1 to ``limit`` characters."""
    if value is None:
        raise EnrollmentError(f"{name} is required")
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise EnrollmentError(f"{name} must be 1-{limit} characters")
    return value


def gmt(timestamp: float) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in Beijing time (UTC+8), as ``gmt_create`` is written."""
    return datetime.fromtimestamp(timestamp, _GMT_ZONE).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class VoiceRecord:
    """One custom voice as its key's store holds it (tests may read it)."""

    voice_id: str
    target_model: str
    prefix: str
    url: str
    """The sample's URL (``http(s)://`` or ``oss://``); "" for a designed voice."""
    prompt: str | None = None
    """A designed voice's ``voice_prompt``; None for a cloned one."""
    preview_text: str | None = None
    language_hints: list[str] | None = None
    created: float = field(default_factory=time.time)
    """Wall-clock time of creation (``gmt_create``)."""
    modified: float = 0.0
    """Wall-clock time of the last creation or update (``gmt_modified``)."""
    ready_at: float = 0.0
    """``time.monotonic()`` from which the voice is no longer DEPLOYING."""
    outcome: VoiceStatus = "OK"
    """What the voice turns into once deployed: OK or UNDEPLOYED."""
    sequence: int = 0
    """Creation order within the store (ties on ``created``)."""

    @property
    def designed(self) -> bool:
        """Whether the voice was designed from a prompt rather than cloned."""
        return self.prompt is not None

    @property
    def status(self) -> VoiceStatus:
        """DEPLOYING until ``ready_at``, then the outcome."""
        return "DEPLOYING" if time.monotonic() < self.ready_at else self.outcome

    def redeploy(self, seconds: float, url: str | None = None) -> None:
        """Start deploying again (an update): DEPLOYING for ``seconds``, then OK."""
        if url is not None:
            self.url = url
        self.modified = time.time()
        self.ready_at = time.monotonic() + seconds
        self.outcome = "OK"

    def summary(self) -> dict[str, Any]:
        """The ``list_voice`` entry."""
        return {
            "voice_id": self.voice_id,
            "gmt_create": gmt(self.created),
            "gmt_modified": gmt(self.modified),
            "status": self.status,
        }

    def details(self) -> dict[str, Any]:
        """The ``query_voice`` output."""
        return {
            **self.summary(),
            "target_model": self.target_model,
            "resource_link": self.url,
        }


class VoiceStore:
    """The custom voices of one API key."""

    def __init__(self) -> None:
        """Start empty."""
        self._voices: dict[str, VoiceRecord] = {}
        self._sequence = 0

    def __len__(self) -> int:
        """How many voices the key holds."""
        return len(self._voices)

    def get(self, voice_id: str) -> VoiceRecord | None:
        """The voice with that id, if this key holds it."""
        return self._voices.get(voice_id)

    def find(self, voice_id: Any) -> VoiceRecord:
        """The voice with that id, or the not-found error (also for a missing id)."""
        if not isinstance(voice_id, str) or not voice_id:
            raise EnrollmentError("voice_id is required")
        record = self._voices.get(voice_id)
        if record is None:
            raise voice_not_found(voice_id)
        return record

    def add(self, record: VoiceRecord) -> VoiceRecord:
        """Keep ``record``, numbered after every voice before it."""
        self._sequence += 1
        record.sequence = self._sequence
        self._voices[record.voice_id] = record
        return record

    def delete(self, voice_id: Any) -> None:
        """Forget a voice (the not-found error if there is none)."""
        del self._voices[self.find(voice_id).voice_id]

    def records(self) -> list[VoiceRecord]:
        """Every voice, oldest first."""
        return sorted(self._voices.values(), key=lambda r: r.sequence)

    def newest_first(self, prefix: str | None = None) -> list[VoiceRecord]:
        """Every voice (with that prefix, if given), newest first."""
        matching: Iterable[VoiceRecord] = self._voices.values()
        if prefix is not None:
            matching = (r for r in matching if r.prefix == prefix)
        return sorted(matching, key=lambda r: (r.created, r.sequence), reverse=True)


class Enrollment:
    """Every key's store; creates voices under the config's rules."""

    def __init__(self, config: EmulatorConfig) -> None:
        """Read ``voice_deploy_seconds`` and ``max_voices`` from ``config`` at each use."""
        self._config = config
        self._stores: dict[str, VoiceStore] = {}

    def store(self, api_key: str) -> VoiceStore:
        """The store of ``api_key`` (made empty on first use, then always the same)."""
        return self._stores.setdefault(api_key, VoiceStore())

    def check_quota(self, api_key: str) -> None:
        """Raise the quota error if the key cannot hold one more voice."""
        if len(self.store(api_key)) >= self._config.max_voices:
            raise quota_exceeded(self._config.max_voices)

    def create(
        self,
        api_key: str,
        target_model: str,
        prefix: str,
        *,
        url: str = "",
        prompt: str | None = None,
        preview_text: str | None = None,
        language_hints: list[str] | None = None,
        rejected: bool = False,
        check_quota: bool = True,
    ) -> VoiceRecord:
        """Add a new voice (DEPLOYING for ``voice_deploy_seconds``) to the key's store."""
        if check_quota:
            self.check_quota(api_key)
        marker = "vd-" if prompt is not None else ""
        now = time.time()
        record = VoiceRecord(
            voice_id=f"{target_model}-{marker}{prefix}-{uuid.uuid4().hex}",
            target_model=target_model,
            prefix=prefix,
            url=url,
            prompt=prompt,
            preview_text=preview_text,
            language_hints=language_hints,
            created=now,
            modified=now,
            ready_at=time.monotonic() + self._config.voice_deploy_seconds,
            outcome="UNDEPLOYED" if rejected else "OK",
        )
        return self.store(api_key).add(record)
