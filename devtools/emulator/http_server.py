"""The emulator's HTTP side: CosyVoice's one-shot synthesis API (protocol doc §7.1).

``POST /api/v1/services/audio/tts/SpeechSynthesizer`` synthesises a whole text.
Without ``X-DashScope-SSE: enable`` it answers JSON with the URL of the audio
file; with it, a DashScope SSE stream of ``sentence-*`` parts carrying base64
audio, then a last part with that URL. ``GET /audio/<id>.<ext>`` serves the
files, standing in for the OSS bucket the real URLs point at. The audio comes
from the same synthesiser, chunker and encoders as the WebSocket side.

The same port serves voice enrollment (``…/services/audio/tts/customization``,
:mod:`.customization`) and the temporary file storage (``/api/v1/uploads`` and
``/oss``, :mod:`.uploads`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import events
from .audio import Chunker, Samples, StreamEncoder, make_encoder
from .config import EmulatorConfig, bearer_key, handshake_message
from .customization import CUSTOMIZATION_PATH, CustomizationApi
from .enrollment import Enrollment
from .faults import FaultPlan
from .params import (
    HTTP_VOICE_MISMATCH,
    INVALID_PARAMETER,
    MODEL_NOT_FOUND,
    URL_ERROR,
    VOICE_MISMATCH,
    HttpTask,
    TaskError,
    http_options,
    parse_http_request,
)
from .records import TaskRecord
from .responses import StoppingError, json_response, oss_error, reject
from .speech_params import describe
from .text import billed_characters, split_sentences
from .uploads import OSS_PATH, UPLOADS_PATH, UploadApi, UploadStore

_LOGGER = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
TTS_PATH = f"{API_PREFIX}/services/audio/tts/SpeechSynthesizer"
AUDIO_PREFIX = "/audio"
URL_TTL_S = 86_400
"""How long an audio URL is said to stay valid (``expires_at``); doc §7.1: 24 h."""
CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "opus": "audio/ogg",
    "pcm": "application/octet-stream",
}
SSE_CONTENT_TYPE = "text/event-stream;charset=UTF-8"
_STOP_GRACE = 2.0
_ERROR_STATUS = {MODEL_NOT_FOUND: 404}

Emit = Callable[[events.Event, bytes], Awaitable[None]]
"""Receives each SSE part and the audio bytes it carries (b"" for none)."""


@dataclass(frozen=True, slots=True)
class StoredAudio:
    """One synthesised file, served under its URL."""

    data: bytes
    content_type: str
    expires_at: int


class HttpFrontend:
    """Serves the HTTP synthesis API and the audio URLs; owned by the emulator."""

    def __init__(
        self,
        config: EmulatorConfig,
        tasks: list[TaskRecord],
        faults: FaultPlan,
        enrollment: Enrollment,
    ) -> None:
        """Share the emulator's config, task records, fault plan and voice stores."""
        self._config = config
        self._tasks = tasks
        self._faults = faults
        self._enrollment = enrollment
        self.uploads = UploadStore()
        """Files uploaded through the temporary storage (``oss://`` URLs)."""
        self.customization = CustomizationApi(
            config, faults, enrollment, self.uploads, self._pause
        )
        self._upload_api = UploadApi(config, self.uploads, self._origin_url)
        self.requests = 0
        """HTTP synthesis POSTs received, whatever their outcome."""
        self.downloads = 0
        """Audio URL GETs answered with the file (200)."""
        self.files: dict[str, StoredAudio] = {}
        """Stored audio by file name (``<id>.<ext>``); kept until the emulator is dropped."""
        self._runner: web.AppRunner | None = None
        self._origin: str | None = None
        self._stopping = asyncio.Event()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/api/v1``, like the SDK's ``base_http_api_url``."""
        return f"{self._origin_url()}{API_PREFIX}"

    def _origin_url(self) -> str:
        if self._origin is None:
            raise RuntimeError("the emulator is not started")
        return self._origin

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host``:``port`` (0 picks a free port)."""
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_post(TTS_PATH, self._synthesize)
        app.router.add_post(f"{TTS_PATH}/", self._synthesize)
        for path in (CUSTOMIZATION_PATH, f"{CUSTOMIZATION_PATH}/"):
            app.router.add_post(path, self.customization.handle)
        for path in (UPLOADS_PATH, f"{UPLOADS_PATH}/"):
            app.router.add_get(path, self._upload_api.get_policy, allow_head=False)
        for path in (OSS_PATH, f"{OSS_PATH}/"):
            app.router.add_post(path, self._upload_api.receive)
        app.router.add_get(f"{AUDIO_PREFIX}/{{name}}", self._download, allow_head=False)
        app.router.add_route("*", f"{API_PREFIX}/{{tail:.*}}", self._unknown_path)
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=_STOP_GRACE
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        bound_host, bound_port = runner.addresses[0][:2]
        self._origin = f"http://{bound_host}:{bound_port}"
        self._runner = runner

    async def stop(self) -> None:
        """End requests in flight (SSE streams just end) and close the server."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._stopping.set()
        await runner.cleanup()

    # --- handlers ------------------------------------------------------------

    async def _synthesize(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        request_id = str(uuid.uuid4())
        # Read the body first: answering early and closing with it unread would
        # make the kernel reset the connection under the client.
        raw = await request.read()
        try:
            await self._pause(self._config.handshake_delay)
        except StoppingError:
            return reject(request_id, 503, "ServiceUnavailable")
        fault = self._faults.next_http()
        if fault is not None:
            return reject(request_id, fault.status, fault.code or "InternalError")
        api_key = bearer_key(request.headers.get("Authorization"))
        if api_key is None or api_key not in self._config.api_keys:
            return reject(request_id, 401, "InvalidApiKey")
        body = _json_object(raw)
        if isinstance(body, str):
            return reject(request_id, 400, INVALID_PARAMETER, body)

        record = TaskRecord(
            task_id=request_id,
            connection_id=0,
            model=str(body.get("model") or ""),
            parameters=http_options(body),
            api="http",
        )
        self._tasks.append(record)
        try:
            task = parse_http_request(body, self._enrollment.store(api_key))
        except TaskError as exc:
            record.state, record.error_code = "failed", exc.code
            message = (
                HTTP_VOICE_MISMATCH if exc.message == VOICE_MISMATCH else exc.message
            )
            return reject(
                request_id, _ERROR_STATUS.get(exc.code, 400), exc.code, message
            )
        params = task.params
        record.format, record.sample_rate = params.format, params.sample_rate
        record.texts.append(task.text)
        sse = request.headers.get("X-DashScope-SSE", "").strip().lower() == "enable"
        shaping = describe(record.parameters)
        _LOGGER.info(
            "http request %s: %s (%s, %s, %s %d Hz%s) text %r",
            request_id,
            "SSE" if sse else "one-shot",
            params.model,
            params.voice,
            params.format,
            params.sample_rate,
            f", {shaping}" if shaping else "",
            task.text,
        )
        job = _Synthesis(request_id, task, record, self._config, pause=self._pause)
        if sse:
            return await self._stream(request, job)
        return await self._whole(job)

    async def _whole(self, job: _Synthesis) -> web.Response:
        """Synthesise everything, store it, answer with its URL."""
        record = job.record
        chunks: list[bytes] = []

        async def collect(_event: events.Event, data: bytes) -> None:
            if data:
                chunks.append(data)

        try:
            await job.run(collect)
        except StoppingError:
            record.state = "cancelled"
            return reject(job.request_id, 503, "ServiceUnavailable")
        except asyncio.CancelledError:
            record.state = "cancelled"
            raise
        except Exception:
            _LOGGER.exception("http request %s: synthesis failed", job.request_id)
            record.state, record.error_code = "failed", "InternalError"
            return reject(job.request_id, 500, "InternalError")
        audio = b"".join(chunks)
        record.frames.append(audio)
        url = self._store(job, audio)
        record.state = "finished"
        return json_response(200, job.result(url), job.request_id)

    async def _stream(
        self, request: web.Request, job: _Synthesis
    ) -> web.StreamResponse:
        """Send the parts as DashScope SSE; the last one carries the file's URL."""
        record = job.record
        response = web.StreamResponse(
            headers={
                "Content-Type": SSE_CONTENT_TYPE,
                "Cache-Control": "no-cache",
                "x-request-id": job.request_id,
            }
        )
        await response.prepare(request)
        ids = itertools.count(1)

        async def emit(event: events.Event, data: bytes) -> None:
            await response.write(_sse_frame(next(ids), "result", 200, event))
            if data:
                record.frames.append(data)

        try:
            await job.run(emit)
            url = self._store(job, record.audio)
            await response.write(_sse_frame(next(ids), "result", 200, job.result(url)))
            record.state = "finished"
        except (StoppingError, ConnectionResetError):
            record.state = "cancelled"  # The emulator stops, or the client left.
            if record.audio_url is not None:
                del self.files[record.audio_url.rsplit("/", 1)[-1]]
                record.audio_url = None
            return response
        except asyncio.CancelledError:
            record.state = "cancelled"
            raise
        except Exception:
            _LOGGER.exception("http request %s: synthesis failed", job.request_id)
            record.state, record.error_code = "failed", "InternalError"
            error = events.gateway_error(
                job.request_id, "InternalError", handshake_message("InternalError")
            )
            with contextlib.suppress(ConnectionResetError):
                await response.write(_sse_frame(next(ids), "error", 500, error))
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    async def _download(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        fault = self._faults.next_audio_url()
        if fault is not None:
            return oss_error(fault.status, fault.code or "InternalError")
        stored = self.files.get(name)
        if stored is None:
            return oss_error(404, "NoSuchKey")
        self.downloads += 1
        return web.Response(body=stored.data, content_type=stored.content_type)

    async def _unknown_path(self, request: web.Request) -> web.Response:
        """Any other path under /api/v1: the gateway's "url error" (doc §5.3)."""
        return reject(str(uuid.uuid4()), 400, INVALID_PARAMETER, URL_ERROR)

    # --- helpers -----------------------------------------------------------

    def _store(self, job: _Synthesis, audio: bytes) -> str:
        fmt = job.task.params.format
        name = f"{uuid.uuid4().hex}.{fmt}"
        self.files[name] = StoredAudio(audio, CONTENT_TYPES[fmt], job.expires_at)
        url = f"{self._origin}{AUDIO_PREFIX}/{name}"
        job.record.audio_url = url
        return url

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds`` (0: just check); raise StoppingError once stopping."""
        if seconds > 0 and not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._stopping.wait()
        if self._stopping.is_set():
            raise StoppingError


class _Synthesis:
    """One HTTP request's audio: the WebSocket side's sentence loop, minus the socket.

    Same sentences, chunks, encoder stream and pacing as a task fed the whole
    text at once, so the bytes match the WebSocket side's (a WAV header here
    carries real sizes). Differences: the encoder's tail goes out before the
    last sentence-end, so every audio part sits inside its sentence.
    """

    def __init__(
        self,
        request_id: str,
        task: HttpTask,
        record: TaskRecord,
        config: EmulatorConfig,
        *,
        pause: Callable[[float], Awaitable[None]],
    ) -> None:
        self.request_id = request_id
        self.task = task
        self.record = record
        self.audio_id = f"audio_{request_id}"
        self.expires_at = int(time.time()) + URL_TTL_S
        self._config = config
        self._pause = pause
        params = task.params
        self._sentences = split_sentences(task.spoken)
        self._ms_per_char = config.ms_per_char
        self._chunk_samples = max(1, params.sample_rate * config.chunk_ms // 1000)
        self._synth = params.synth(self._ms_per_char)
        self._encoder: StreamEncoder | None = None
        self._samples_sent = 0
        self._audio_sent = False

    def result(self, url: str) -> events.Event:
        """The non-streaming answer and the last SSE part."""
        return events.http_result(
            self.request_id,
            url=url,
            audio_id=self.audio_id,
            expires_at=self.expires_at,
            characters=self.record.characters,
        )

    async def run(self, emit: Emit) -> None:
        """Synthesise every sentence, handing each part to ``emit``."""
        params = self.task.params
        units = sum(billed_characters(s) for s in self._sentences)
        self._encoder = make_encoder(
            params.format,
            params.sample_rate,
            params.bit_rate_kbps,
            wav_data_size=2 * self._synth.samples_for(units),
        )
        try:
            await self._pause(self._config.first_audio_delay)
            await self._speak_all(emit)
        finally:
            self._encoder.close()  # also when the client went away mid-stream

    async def _speak_all(self, emit: Emit) -> None:
        params = self.task.params
        last = len(self._sentences) - 1
        for index, sentence in enumerate(self._sentences):
            self.record.characters += billed_characters(sentence)
            await emit(self._part("sentence-begin", index, text=sentence), b"")
            start_ms = self._samples_sent * 1000 / params.sample_rate
            chunker = Chunker(self._chunk_samples)
            for char in sentence:
                for chunk in chunker.push(self._synth.render(char)):
                    await self._send(emit, index, chunk)
            rest = chunker.drain()
            if len(rest):
                await self._send(emit, index, rest)
            if index == last:
                assert self._encoder is not None
                tail = self._encoder.flush()
                if tail:
                    await self._emit_audio(emit, index, tail)
            words = (
                events.word_timestamps(
                    sentence, start_ms, self._ms_per_char / params.rate
                )
                if params.word_timestamps
                else []
            )
            await emit(
                self._part("sentence-end", index, text=sentence, words=words), b""
            )

    async def _send(self, emit: Emit, index: int, samples: Samples) -> None:
        assert self._encoder is not None
        data = self._encoder.encode(samples)
        self._samples_sent += len(samples)
        if not data:
            return  # The encoder is still filling a frame; no empty parts.
        factor = self._config.realtime_factor
        pace = self._audio_sent and factor > 0
        await self._pause(
            len(samples) / self.task.params.sample_rate * factor if pace else 0
        )
        await self._emit_audio(emit, index, data)

    async def _emit_audio(self, emit: Emit, index: int, data: bytes) -> None:
        self._audio_sent = True
        encoded = base64.b64encode(data).decode("ascii")
        await emit(self._part("sentence-synthesis", index, data=encoded), data)
        # Writes need not yield: let other requests run between chunks.
        await asyncio.sleep(0)

    def _part(self, kind: str, index: int, **fields: Any) -> events.Event:
        return events.http_sentence(
            self.request_id,
            kind,
            index,
            characters=self.record.characters,
            audio_id=self.audio_id,
            expires_at=self.expires_at,
            **fields,
        )


def _sse_frame(event_id: int, name: str, status: int, body: events.Event) -> bytes:
    """One DashScope SSE event (doc §7.1); an error also gets a ``status:`` line."""
    lines = [f"id:{event_id}", f"event:{name}", f":HTTP_STATUS/{status}"]
    if name == "error":
        lines.append(f"status:{status}")
    lines.append("data:" + json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


def _json_object(raw: bytes) -> dict[str, Any] | str:
    """The request body as a JSON object, or the service's words for why it is not."""
    try:
        body = json.loads(raw)
    except ValueError:
        return "Request body is not valid JSON."
    if not isinstance(body, dict):
        return "Request body must be a JSON object."
    return body
