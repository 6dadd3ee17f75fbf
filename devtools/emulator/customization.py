"""The voice enrollment HTTP API: ``POST /api/v1/services/audio/tts/customization`` (doc §6.2).

Body ``{"model": "voice-enrollment", "input": {"action": …, …}}``; actions
``create_voice`` (a clone from a sample URL, or a design from a
``voice_prompt``), ``list_voice``, ``query_voice``, ``update_voice`` and
``delete_voice``. Success is ``{"output", "usage": {"count": 1},
"request_id"}``; errors have the §5 body. Voices live in the calling key's
store (:mod:`.enrollment`); samples are fetched and checked (:mod:`.samples`).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from .audio import SAMPLE_RATES, ToneSynth, make_encoder
from .config import EmulatorConfig, bearer_key
from .enrollment import (
    MAX_PAGE_SIZE,
    MAX_PREVIEW_CHARS,
    MAX_PROMPT_CHARS,
    Enrollment,
    EnrollmentError,
    check_clone_model,
    check_design_model,
    check_language_hints,
    check_prefix,
    check_text,
)
from .faults import FaultPlan
from .responses import StoppingError, json_response, reject
from .samples import MAX_BYTES, TOO_LARGE, SampleError, check_sample
from .uploads import OSS_SCHEME, RESOLVE_HEADER, UploadStore

_LOGGER = logging.getLogger(__name__)

CUSTOMIZATION_PATH = "/api/v1/services/audio/tts/customization"
ENROLLMENT_MODEL = "voice-enrollment"
FETCH_TIMEOUT_S = 10.0
PREVIEW_FORMATS = ("wav", "mp3", "pcm")
DEFAULT_PREVIEW_RATE = 24000
DEFAULT_PREVIEW_FORMAT = "wav"
ACTIONS = ("create_voice", "list_voice", "query_voice", "update_voice", "delete_voice")


def download_failed(url: str, reason: str) -> EnrollmentError:
    """The error for a sample URL the emulator could not fetch."""
    return EnrollmentError(f"download audio file failed: {url} ({reason})")


@dataclass(frozen=True, slots=True)
class _Call:
    """One enrollment request, authenticated and parsed."""

    api_key: str
    body: dict[str, Any]
    input: dict[str, Any]
    oss_resolve: bool
    """``X-DashScope-OssResourceResolve: enable`` was sent."""


class CustomizationApi:
    """Answers the voice enrollment endpoint; owned by the HTTP side."""

    def __init__(
        self,
        config: EmulatorConfig,
        faults: FaultPlan,
        enrollment: Enrollment,
        uploads: UploadStore,
        pause: Callable[[float], Awaitable[None]],
    ) -> None:
        """Share the emulator's config, faults, voice stores and uploaded files.

        ``pause(seconds)`` sleeps and raises StoppingError once the emulator stops.
        """
        self._config = config
        self._faults = faults
        self._enrollment = enrollment
        self._uploads = uploads
        self._pause = pause
        self.requests = 0
        """Enrollment POSTs received, whatever their outcome."""

    async def handle(self, request: web.Request) -> web.Response:
        """``POST …/customization``: checks in the synthesis endpoint's order, then the action."""
        self.requests += 1
        request_id = str(uuid.uuid4())
        raw = await request.read()
        try:
            await self._pause(self._config.handshake_delay)
        except StoppingError:
            return reject(request_id, 503, "ServiceUnavailable")
        fault = self._faults.next_customization()
        if fault is not None:
            return reject(request_id, fault.status, fault.code or "InternalError")
        api_key = bearer_key(request.headers.get("Authorization"))
        if api_key is None or api_key not in self._config.api_keys:
            return reject(request_id, 401, "InvalidApiKey")
        resolve = request.headers.get(RESOLVE_HEADER, "").strip().lower() == "enable"
        try:
            call = _parse(api_key, raw, resolve)
            output = await self._dispatch(call)
        except EnrollmentError as exc:
            return reject(request_id, exc.status, exc.code, exc.message)
        except Exception:
            _LOGGER.exception("enrollment request %s failed", request_id)
            return reject(request_id, 500, "InternalError")
        body = {"output": output, "usage": {"count": 1}, "request_id": request_id}
        return json_response(200, body, request_id)

    async def _dispatch(self, call: _Call) -> dict[str, Any]:
        action = call.input.get("action")
        if action is None:
            raise EnrollmentError("action is required")
        if action not in ACTIONS:
            raise EnrollmentError(
                f"Unsupported action: {action}; use one of {', '.join(ACTIONS)}"
            )
        _LOGGER.info("enrollment: %s", action)
        if action == "create_voice":
            if "voice_prompt" in call.input:
                return self._design(call)
            return await self._clone(call)
        if action == "list_voice":
            return self._list(call)
        store = self._enrollment.store(call.api_key)
        record = store.find(call.input.get("voice_id"))
        if action == "query_voice":
            return record.details()
        if action == "delete_voice":
            store.delete(record.voice_id)
            return {}
        # update_voice
        if record.designed:
            raise EnrollmentError(
                f"voice {record.voice_id} was designed from a prompt "
                "and has no sample to update"
            )
        url = _required_url(call.input)
        await self._sample(call, url)
        record.redeploy(self._config.voice_deploy_seconds, url)
        return {}

    async def _clone(self, call: _Call) -> dict[str, Any]:
        task_input = call.input
        model = check_clone_model(task_input.get("target_model"), self._config.region)
        prefix = check_prefix(task_input.get("prefix"))
        url = _required_url(task_input)
        hints = check_language_hints(task_input.get("language_hints"))
        length = task_input.get("max_prompt_audio_length")
        if length is not None and not (_is_number(length) and 3 <= length <= 30):
            raise EnrollmentError("max_prompt_audio_length must be between 3 and 30")
        self._enrollment.check_quota(call.api_key)
        await self._sample(call, url)
        record = self._enrollment.create(
            call.api_key,
            model,
            prefix,
            url=url,
            language_hints=hints,
            rejected=self._faults.next_voice_rejected(),
        )
        return {"voice_id": record.voice_id}

    def _design(self, call: _Call) -> dict[str, Any]:
        task_input = call.input
        model = check_design_model(task_input.get("target_model"), self._config.region)
        prefix = check_prefix(task_input.get("prefix"))
        prompt = check_text(
            task_input.get("voice_prompt"), "voice_prompt", MAX_PROMPT_CHARS
        )
        preview = check_text(
            task_input.get("preview_text"), "preview_text", MAX_PREVIEW_CHARS
        )
        hints = check_language_hints(task_input.get("language_hints"))
        rate, fmt = _preview_parameters(call.body.get("parameters"))
        self._enrollment.check_quota(call.api_key)
        audio = self._preview(preview, fmt, rate)
        record = self._enrollment.create(
            call.api_key,
            model,
            prefix,
            prompt=prompt,
            preview_text=preview,
            language_hints=hints,
            rejected=self._faults.next_voice_rejected(),
        )
        return {
            "voice_id": record.voice_id,
            "target_model": model,
            "preview_audio": {
                "data": base64.b64encode(audio).decode("ascii"),
                "sample_rate": rate,
                "response_format": fmt,
            },
        }

    def _list(self, call: _Call) -> dict[str, Any]:
        task_input = call.input
        prefix = task_input.get("prefix")
        if prefix is not None:
            prefix = check_prefix(prefix)
        index = task_input.get("page_index", 0)
        if not _is_int(index) or index < 0:
            raise EnrollmentError("page_index must be an integer of at least 0")
        size = task_input.get("page_size", 10)
        if not _is_int(size) or not 1 <= size <= MAX_PAGE_SIZE:
            raise EnrollmentError(
                f"page_size must be an integer between 1 and {MAX_PAGE_SIZE}"
            )
        voices = self._enrollment.store(call.api_key).newest_first(prefix)
        page = voices[index * size : (index + 1) * size]
        return {"voice_list": [record.summary() for record in page]}

    def _preview(self, text: str, fmt: str, rate: int) -> bytes:
        """The emulator's tone "speech" of ``text``, encoded whole."""
        samples = ToneSynth(rate, ms_per_char=self._config.ms_per_char).render(text)
        encoder = make_encoder(fmt, rate, wav_data_size=2 * len(samples))
        return encoder.encode(samples) + encoder.flush()

    async def _sample(self, call: _Call, url: str) -> None:
        """Fetch the sample at ``url`` and check it; raise the error it earns."""
        data = await self._fetch(call, url)
        try:
            info = check_sample(data)
        except SampleError as exc:
            raise EnrollmentError(exc.message) from None
        _LOGGER.info(
            "enrollment sample: %s, %d Hz, %.1f s",
            info.format,
            info.sample_rate,
            info.duration_s,
        )

    async def _fetch(self, call: _Call, url: str) -> bytes:
        if url.startswith(OSS_SCHEME):
            if not call.oss_resolve:
                raise download_failed(url, f"oss:// needs {RESOLVE_HEADER}: enable")
            data = self._uploads.resolve(url, call.api_key)
            if data is None:
                raise download_failed(url, "no such uploaded file")
            return data
        if not url.startswith(("http://", "https://")):
            raise download_failed(url, "unsupported URL scheme")
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url) as response,
            ):
                if response.status != 200:
                    raise download_failed(url, f"HTTP {response.status}")
                if (response.content_length or 0) > MAX_BYTES:
                    raise EnrollmentError(TOO_LARGE)
                received = bytearray()
                async for chunk in response.content.iter_chunked(1 << 16):
                    received += chunk
                    if len(received) > MAX_BYTES:
                        raise EnrollmentError(TOO_LARGE)
                return bytes(received)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise download_failed(url, type(exc).__name__) from None


def _parse(api_key: str, raw: bytes, resolve: bool) -> _Call:
    """The body's envelope: a JSON object, model voice-enrollment, an input object."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise EnrollmentError("Request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise EnrollmentError("Request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise EnrollmentError(
            'Required parameter "model" missing from request.',
            code="BadRequest.EmptyModel",
        )
    if model != ENROLLMENT_MODEL:
        raise EnrollmentError(
            f"Model {model} does not serve voice enrollment; use {ENROLLMENT_MODEL}"
        )
    task_input = body.get("input")
    if not isinstance(task_input, dict):
        raise EnrollmentError(
            'Required parameter "input" missing from request.',
            code="BadRequest.EmptyInput",
        )
    return _Call(api_key, body, task_input, resolve)


def _required_url(task_input: dict[str, Any]) -> str:
    url = task_input.get("url")
    if not isinstance(url, str) or not url:
        raise EnrollmentError("url is required")
    return url


def _preview_parameters(parameters: Any) -> tuple[int, str]:
    """``parameters.sample_rate`` and ``parameters.response_format`` of a design."""
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise EnrollmentError("parameters must be an object")
    rate = parameters.get("sample_rate", DEFAULT_PREVIEW_RATE)
    if not _is_int(rate) or rate not in SAMPLE_RATES:
        raise EnrollmentError(
            "sample_rate must be one of " + ", ".join(map(str, SAMPLE_RATES))
        )
    fmt = parameters.get("response_format", DEFAULT_PREVIEW_FORMAT)
    if fmt not in PREVIEW_FORMATS:
        raise EnrollmentError("response_format must be wav, mp3 or pcm")
    return int(rate), str(fmt)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
