"""Voice enrollment: clone, design, list, query, update and delete the account's voices.

One JSON POST per action to ``services/audio/tts/customization`` (protocol doc
§6.2). A new voice is ``DEPLOYING`` until the service has made it;
:meth:`VoiceEnrollment.wait_until_ready` waits for it, within a bound.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from .custom_voices import (
    MAX_PREVIEW_TEXT_CHARS,
    MAX_VOICE_PROMPT_CHARS,
    CustomVoice,
    VoiceStatus,
    check_can_make,
    check_voice_name,
    parse_custom_voice_id,
)
from .endpoints import Endpoint
from .errors import (
    CosyVoiceError,
    InvalidOptionError,
    InvalidRequestError,
    ProtocolError,
)
from .rest import api_headers, post_json
from .samples import check_voice_sample
from .uploads import OSS_RESOLVE_HEADER, upload_file
from .voices import CLONE_LANGUAGES

ENROLLMENT_PATH: Final = "/services/audio/tts/customization"
ENROLLMENT_MODEL: Final = "voice-enrollment"
_PAGE_SIZE: Final = 100
_MAX_PAGES: Final = 20
"""1000 voices per account, in pages of 100, with room to spare."""


class VoiceNotFoundError(InvalidRequestError):
    """No voice of the account has this id (deleted here or in the console)."""

    kind = "voice_not_found"


class VoiceNotReadyError(InvalidRequestError):
    """The voice is still being made, or the service's review rejected it."""

    kind = "voice_not_ready"

    def __init__(self, message: str, *, status: str) -> None:
        """Keep the status the voice was left in."""
        super().__init__(message)
        self.status = status


class VoiceRefusedError(InvalidRequestError):
    """The service refused to make or change a voice (its message says why)."""

    kind = "voice_refused"


@dataclass(frozen=True, slots=True)
class DesignedVoice:
    """A voice made from a description, with the preview the service spoke."""

    voice: CustomVoice
    preview: bytes
    preview_format: str
    preview_sample_rate: int


class VoiceEnrollment:
    """The account's own voices, through the HTTP API on a borrowed aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        endpoint: Endpoint,
        *,
        timeout: float,
        user_agent: str,
    ) -> None:
        """Keep what every call needs; nothing is sent yet."""
        self._session = session
        self._endpoint = endpoint
        self._headers = api_headers(api_key, endpoint.workspace_id, user_agent)
        self._timeout = timeout

    async def clone(
        self,
        model: str,
        name: str,
        *,
        url: str | None = None,
        sample: bytes | None = None,
        language: str | None = None,
    ) -> CustomVoice:
        """Clone the voice in a sample: at a public ``url``, or ``sample`` bytes.

        Bytes are checked here and uploaded to DashScope's temporary storage first.
        The new voice is ``DEPLOYING``; see :meth:`wait_until_ready`.
        """
        check_voice_name(name)
        check_can_make(model, self._endpoint.region, design=False)
        source = await self._sample_url(model, url, sample)
        fields: dict[str, Any] = {"target_model": model, "prefix": name, "url": source}
        if language is not None:
            fields["language_hints"] = [_clone_language(language)]
        output = await self._call("create_voice", fields, oss=source)
        return CustomVoice.from_service(
            {**output, "status": VoiceStatus.DEPLOYING}, model=model
        )

    async def design(
        self,
        model: str,
        name: str,
        *,
        description: str,
        preview_text: str,
        language: str | None = None,
        audio_format: str = "wav",
        sample_rate: int = 24000,
    ) -> DesignedVoice:
        """Make a voice from a description; the answer carries a spoken preview."""
        check_voice_name(name)
        check_can_make(model, self._endpoint.region, design=True)
        fields: dict[str, Any] = {
            "target_model": model,
            "prefix": name,
            "voice_prompt": _bounded(
                "description", description, MAX_VOICE_PROMPT_CHARS
            ),
            "preview_text": _bounded(
                "preview_text", preview_text, MAX_PREVIEW_TEXT_CHARS
            ),
        }
        if language is not None:
            fields["language_hints"] = [_clone_language(language)]
        parameters = {"sample_rate": sample_rate, "response_format": audio_format}
        output = await self._call("create_voice", fields, parameters=parameters)
        voice = CustomVoice.from_service(
            {
                "status": VoiceStatus.DEPLOYING,
                "voice_prompt": fields["voice_prompt"],
                **output,
            },
            model=model,
        )
        return DesignedVoice(voice, *_preview(output, audio_format, sample_rate))

    async def list_voices(self, model: str | None = None) -> list[CustomVoice]:
        """Every voice of the account (all pages), or those of one target model."""
        voices: list[CustomVoice] = []
        for page in range(_MAX_PAGES):
            output = await self._call(
                "list_voice", {"page_index": page, "page_size": _PAGE_SIZE}
            )
            listed = output.get("voice_list")
            if not isinstance(listed, list):
                raise ProtocolError("DashScope answered a voice list without voices")
            voices += [
                CustomVoice.from_service(record)
                for record in listed
                if isinstance(record, dict) and record.get("voice_id")
            ]
            if len(listed) < _PAGE_SIZE:
                break
        return [voice for voice in voices if model is None or voice.model == model]

    async def get_voice(self, voice_id: str) -> CustomVoice:
        """One voice, with its status and target model."""
        output = await self._call("query_voice", {"voice_id": voice_id})
        return CustomVoice.from_service({"voice_id": voice_id, **output})

    async def update(
        self, voice_id: str, *, url: str | None = None, sample: bytes | None = None
    ) -> None:
        """Clone a voice again from a new sample; it is ``DEPLOYING`` once more."""
        parsed = parse_custom_voice_id(voice_id)
        source = await self._sample_url(parsed.model if parsed else "", url, sample)
        await self._call(
            "update_voice", {"voice_id": voice_id, "url": source}, oss=source
        )

    async def delete(self, voice_id: str) -> None:
        """Delete a voice for good; anything configured to speak with it will fail."""
        await self._call("delete_voice", {"voice_id": voice_id})

    async def wait_until_ready(
        self, voice_id: str, *, timeout: float = 300.0, interval: float = 5.0
    ) -> CustomVoice:
        """Poll until the voice is ``OK``; raise if it is rejected or takes too long."""
        deadline = time.monotonic() + timeout
        while True:
            voice = await self.get_voice(voice_id)
            if voice.ready:
                return voice
            if voice.status == VoiceStatus.UNDEPLOYED:
                raise VoiceNotReadyError(
                    f"DashScope rejected the voice {voice_id} (UNDEPLOYED); try"
                    " another sample",
                    status=voice.status,
                )
            if time.monotonic() + interval > deadline:
                raise VoiceNotReadyError(
                    f"the voice {voice_id} is still {voice.status} after {timeout:g} s",
                    status=voice.status,
                )
            await asyncio.sleep(interval)

    async def _sample_url(
        self, model: str, url: str | None, sample: bytes | None
    ) -> str:
        if (url is None) == (sample is None):
            raise InvalidOptionError("sample", "give either a sample URL or its bytes")
        if url is not None:
            if not url.startswith(("http://", "https://", "oss://")):
                raise InvalidOptionError(
                    "sample", "a sample URL must start with http:// or https://"
                )
            return url
        assert sample is not None
        checked = check_voice_sample(sample)
        return await upload_file(
            self._session,
            self._api_url,
            self._headers,
            data=sample,
            extension=checked.format,
            content_type=checked.content_type,
            model=model,
            timeout=self._timeout,
        )

    @property
    def _api_url(self) -> str:
        if self._endpoint.api_url is None:
            raise InvalidOptionError(
                "http_url",
                "managing voices needs the HTTP API; this endpoint has no HTTP URL",
            )
        return self._endpoint.api_url.rstrip("/")

    async def _call(
        self,
        action: str,
        fields: dict[str, Any],
        *,
        parameters: dict[str, Any] | None = None,
        oss: str = "",
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": ENROLLMENT_MODEL,
            "input": {"action": action, **fields},
        }
        if parameters:
            body["parameters"] = parameters
        headers = self._headers
        if oss.startswith("oss://"):
            headers = {**headers, OSS_RESOLVE_HEADER: "enable"}
        try:
            payload = await post_json(
                self._session,
                self._api_url + ENROLLMENT_PATH,
                headers,
                body,
                self._timeout,
            )
        except InvalidRequestError as err:
            raise _enrollment_error(err, fields.get("voice_id")) from None
        output = payload.get("output")
        if not isinstance(output, dict):
            raise ProtocolError(f"DashScope answered {action} without an output")
        return output


def _enrollment_error(error: InvalidRequestError, voice_id: object) -> CosyVoiceError:
    """A refusal in the voices' own terms: not found, or refused with its reason."""
    text = (error.message or "").lower()
    if voice_id and any(
        words in text for words in ("not exist", "not found", "no such")
    ):
        found: CosyVoiceError = VoiceNotFoundError(
            f"there is no voice {voice_id} in this account ({error.message})"
        )
    else:
        found = VoiceRefusedError(error.message)
    found.code, found.request_id = error.code, error.request_id
    return found


def _preview(
    output: dict[str, Any], audio_format: str, sample_rate: int
) -> tuple[bytes, str, int]:
    """A design answer's spoken preview: its audio, format and sample rate."""
    preview = output.get("preview_audio") or {}
    data = (preview.get("data") or "") if isinstance(preview, dict) else None
    if not isinstance(data, str):
        raise ProtocolError("DashScope answered a preview that is not base64")
    try:
        audio = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("DashScope answered a preview that is not base64") from None
    try:
        rate = int(preview.get("sample_rate") or sample_rate)
    except (TypeError, ValueError, OverflowError):
        raise ProtocolError(
            "DashScope answered a preview without a usable sample rate"
        ) from None
    return audio, str(preview.get("response_format") or audio_format), rate


def _bounded(option: str, text: str, limit: int) -> str:
    text = text.strip()
    if not text or len(text) > limit:
        raise InvalidOptionError(
            option, f"{option} must have 1 to {limit} characters; it has {len(text)}"
        )
    return text


def _clone_language(language: str) -> str:
    code = language.lower().split("-")[0].split("_")[0]
    if code not in CLONE_LANGUAGES:
        raise InvalidOptionError(
            "language",
            f"cloning takes one of {', '.join(CLONE_LANGUAGES)}; not {language!r}",
        )
    return code
