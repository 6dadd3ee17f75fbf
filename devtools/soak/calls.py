"""The calls a home makes, each timed and accounted for.

- ``announce``: ``tts.speak`` on a speaker (over the WebSocket API, as the frontend and
  automations run actions), then the speaker fetches the audio;
- ``ui``: ``/api/tts_get_url`` and the audio URL, as the media browser plays a message;
- ``assist``: an Assist pipeline run from text, whose agent writes its answer slowly;
  on the versions that stream, the audio URL is fetched when the run starts, as a
  satellite does;
- ``bad``: input a user gets wrong (broken SSML, an unknown voice or format), which
  must fail with a translated error.

Every message starts with a tag such as ``〔17〕`` inside its first 32 characters, so
Home Assistant's log line about a failed message names the call.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import aiohttp

from devtools.hass_runner import ROOT
from devtools.hass_socket import CommandError

from .home import Home, Profile

CALL_LIMIT = 90.0
"""A call still running after this is a hang. The client's own bounds add up to 85 s:
waiting for a free connection (30 s), the retry deadline (20 s), then the last
attempt's connect (10 s), task start (10 s) and silence (15 s) limits."""

AUDIO_MAGIC = (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"RIFF", b"fLaC", b"OggS")

_SENTENCES = (
    "前门打开了。",
    "洗衣机已经洗好了，请记得晾衣服。",
    "The garage door has been open for ten minutes.",
    "明天早上七点有雨，出门记得带伞。",
    "Dinner is ready, please come to the kitchen.",
    "客厅的温度是二十三度，湿度百分之四十五。",
)


@dataclass
class Call:
    """One call: what was asked, how long it took and how it ended."""

    number: int
    kind: str
    variant: str
    text: str
    started: float
    wall_started: float
    ended: float | None = None
    first_byte: float | None = None
    audio_bytes: int = 0
    outcome: str = "running"
    """``audio``, ``error:<key>`` (a translated error), ``cut:<key>`` (audio, then a
    translated error), ``ha:<what>`` (Home Assistant's own answer while the entry is
    not loaded), ``untranslated:<what>``, ``bad-audio`` or ``hang``."""
    message: str | None = None
    expected: str | None = None
    """The error a ``bad`` call must end with."""
    streamed: bool = False
    """An Assist answer spoken while it was being written."""
    after_idle: bool = False
    """The first call after an idle gap longer than the service's idle close."""
    profile: str = ""
    """The voice profile that was asked to speak."""
    fallback_asked: float | None = None
    """Seconds from the call to the fallback engine being asked, if it spoke this."""
    fallback_took: float | None = None
    """Seconds the fallback engine's own synthesis took (espeak-ng), if it spoke."""

    @property
    def tag(self) -> str:
        """What names this call in a log line."""
        return f"〔{self.number}〕"

    @property
    def ttfb(self) -> float | None:
        """Seconds from the call to the first byte of audio."""
        return None if self.first_byte is None else self.first_byte - self.started

    @property
    def took(self) -> float | None:
        """Seconds the call took."""
        return None if self.ended is None else self.ended - self.started


class Messages:
    """Translated error messages of the integration, to tell one when it is seen."""

    def __init__(self) -> None:
        """Read the English translations' exception messages."""
        path = ROOT / "custom_components" / "cosyvoice" / "translations" / "en.json"
        exceptions = json.loads(path.read_text(encoding="utf-8"))["exceptions"]
        patterns = []
        for key, value in exceptions.items():
            # Home Assistant drops a translated message's final period.
            parts = re.split(r"\{\w+\}", value["message"].rstrip("."))
            patterns.append(
                (key, re.compile("(?s)" + "(.*)".join(map(re.escape, parts)) + r"\.?$"))
            )
        # The most literal text first: "{detail}" alone would match anything.
        patterns.sort(key=lambda item: -len(item[1].pattern))
        self._patterns = patterns

    def key_of(self, message: str) -> str | None:
        """The translation key whose message this is, if any."""
        return next(
            (key for key, pattern in self._patterns if pattern.match(message)), None
        )


class Caller:
    """Makes calls on a home and keeps every one of them."""

    def __init__(self, home: Home, seed: int) -> None:
        """Number the calls from 1; choose texts and options with ``seed``."""
        self.home = home
        self.calls: list[Call] = []
        self.messages = Messages()
        self._rng = random.Random(seed)
        self._assist = asyncio.Lock()
        """Assist runs one at a time, so a log line about a streamed answer (which
        names no message) belongs to the run in flight."""

    def _new(self, kind: str, variant: str, text: str) -> Call:
        call = Call(
            number=len(self.calls) + 1,
            kind=kind,
            variant=variant,
            text="",
            started=time.monotonic(),
            wall_started=time.time(),
        )
        call.text = text.replace("{tag}", call.tag)
        self.calls.append(call)
        return call

    # --- what to say ----------------------------------------------------------

    def _short(self) -> str:
        return "{tag}" + self._rng.choice(_SENTENCES)

    def _long(self) -> str:
        sentences = [
            self._rng.choice(_SENTENCES) for _ in range(self._rng.randint(40, 90))
        ]
        return "{tag}" + "".join(sentences)

    def _ssml(self) -> str:
        first, second = self._rng.sample(_SENTENCES[::2], 2)
        return f'<speak>{{tag}}{first}<break time="300ms"/>{second}</speak>'

    def choose(self, profile: Profile) -> tuple[str, str, dict[str, Any]]:
        """A variant, its text and its options, as homes mix them."""
        variant = self._rng.choices(
            ("short", "long", "ssml", "voice", "format", "rate"),
            weights=(40, 8, 12, 15, 20, 5),
        )[0]
        options: dict[str, Any] = {}
        text = self._short()
        if variant == "long":
            text = self._long()
        elif variant == "ssml":
            text = self._ssml()
        elif variant == "voice":
            options["voice"] = self._rng.choice(profile.voices)
        elif variant == "format":
            fmt = self._rng.choice(("mp3", "wav", "opus", "flac", "ogg"))
            variant = f"format:{fmt}"
            key = "format" if fmt in ("mp3", "wav", "opus") else "preferred_format"
            options[key] = fmt
        elif variant == "rate":
            options.update(rate=1.2, volume=70)
        return variant, text, options

    def bad_input(self) -> tuple[str, str, dict[str, Any], str]:
        """Something a user gets wrong, and the translated error it must give."""
        variant = self._rng.choice(("broken-ssml", "unknown-voice", "unknown-format"))
        if variant == "broken-ssml":
            return variant, "<speak>{tag}你好<break time=</speak>", {}, "invalid_ssml"
        if variant == "unknown-voice":
            return variant, "{tag}你好。", {"voice": "nobody_v9"}, "invalid_option"
        return variant, "{tag}你好。", {"format": "aiff"}, "invalid_option"

    # --- the calls ------------------------------------------------------------

    async def announce(self, player: str, profile: Profile | None = None) -> Call:
        """``tts.speak`` on ``player``, then the player fetches the audio."""
        profile = profile or self._rng.choice(self.home.profiles)
        variant, text, options = self.choose(profile)
        call = self._new("announce", f"{profile.name}:{variant}", text)
        call.profile = profile.name
        await self._bounded(call, self._announce(call, profile, player, options))
        return call

    async def _announce(
        self, call: Call, profile: Profile, player: str, options: dict[str, Any]
    ) -> None:
        try:
            await self.home.socket.call(
                "tts",
                "speak",
                {
                    "entity_id": profile.entity_id,
                    "media_player_entity_id": player,
                    "message": call.text,
                    "options": options,
                },
            )
        except CommandError as err:
            await self._refused(call, err.message, err.translation_key, profile)
            return
        played = (await self.home.api.state(player))["attributes"]
        if call.tag not in unquote(played.get("played_media_id", "")):
            # No entity took the action: the entry is not loaded (a reload, or a
            # key that failed at setup), and Home Assistant skips a missing target.
            call.outcome = "ha:not_played"
            return
        await self._download(call, played["played_url"])

    async def ui(self, profile: Profile | None = None, *, kind: str = "ui") -> Call:
        """``/api/tts_get_url`` and the audio URL."""
        profile = profile or self._rng.choice(self.home.profiles)
        variant, text, options = self.choose(profile)
        call = self._new(kind, f"{profile.name}:{variant}", text)
        call.profile = profile.name
        await self._bounded(call, self._ui(call, profile, options))
        return call

    async def bad(self) -> Call:
        """A mistake of the user's, on the UI path or as an announcement."""
        variant, text, options, expected = self.bad_input()
        call = self._new("bad", variant, text)
        call.expected = expected
        profile = self.home.profiles[0]
        call.profile = profile.name
        if self._rng.random() < 0.5:
            await self._bounded(call, self._ui(call, profile, options))
        else:
            await self._bounded(
                call, self._announce(call, profile, self.home.players[0], options)
            )
        return call

    async def _ui(self, call: Call, profile: Profile, options: dict[str, Any]) -> None:
        body: dict[str, Any] = {"engine_id": profile.entity_id, "message": call.text}
        if options:
            body["options"] = options
        async with self.home.session.post(
            f"{self.home.api.url}/api/tts_get_url",
            json=body,
            headers={"Authorization": f"Bearer {self.home.api.access_token}"},
        ) as response:
            text = await response.text()
        if response.status != 200:
            await self._refused(call, _error_text(text), None, profile)
            return
        await self._download(call, json.loads(text)["url"])

    async def assist(self) -> Call:
        """An Assist pipeline run whose answer is written slowly."""
        answer = "{tag}" + "".join(self._rng.sample(_SENTENCES, 3))
        call = self._new("assist", "streamed-answer", answer)
        call.profile = self.home.profiles[0].name
        async with self._assist:
            call.started, call.wall_started = time.monotonic(), time.time()
            await self._bounded(call, self._assist_run(call))
        return call

    async def _assist_run(self, call: Call) -> None:
        fetch: asyncio.Task[None] | None = None
        events = self.home.socket.events(
            "assist_pipeline/run",
            start_stage="intent",
            end_stage="tts",
            input={"text": f"say: {call.text}"},
            pipeline=self.home.pipeline_id,
        )
        try:
            async for event in events:
                data = event.get("data") or {}
                if event["type"] == "run-start":
                    output = data.get("tts_output") or {}
                    if output.get("stream_response"):
                        call.streamed = True
                        fetch = asyncio.create_task(self._download(call, output["url"]))
                elif event["type"] == "tts-end" and fetch is None:
                    fetch = asyncio.create_task(
                        self._download(call, data["tts_output"]["url"])
                    )
                elif event["type"] == "error":
                    profile = self.home.profiles[0]
                    await self._refused(call, str(data.get("message")), None, profile)
                    break
                elif event["type"] == "run-end":
                    break
        except CommandError as err:
            profile = self.home.profiles[0]
            await self._refused(call, err.message, err.translation_key, profile)
        finally:
            await events.aclose()
        if fetch is not None:
            await fetch

    async def _bounded(self, call: Call, work: Any) -> None:
        try:
            async with asyncio.timeout(CALL_LIMIT):
                await work
        except TimeoutError:
            call.outcome = "hang"
        except (aiohttp.ClientError, ConnectionError) as err:
            self._failed(call, f"{type(err).__name__}: {err}", None)
        except Exception as err:  # noqa: BLE001 - counted as unaccounted, run goes on
            call.outcome = f"driver-error:{type(err).__name__}: {err}"
        call.ended = time.monotonic()

    async def _download(self, call: Call, url: str) -> None:
        if url.startswith("/"):
            url = self.home.api.url + url
        head = b""
        async with self.home.session.get(url) as response:
            if response.status != 200:
                # Home Assistant logs why; the log is read after the run.
                call.outcome = "failed"
                call.message = f"HTTP {response.status}"
                return
            async for chunk in response.content.iter_any():
                if call.first_byte is None:
                    call.first_byte = time.monotonic()
                if len(head) < 4:
                    head += chunk[:4]
                call.audio_bytes += len(chunk)
        if call.outcome == "running":
            good = call.audio_bytes > 0 and head.startswith(AUDIO_MAGIC)
            call.outcome = "audio" if good else "bad-audio"

    async def _refused(
        self, call: Call, message: str, key: str | None, profile: Profile
    ) -> None:
        """A call Home Assistant refused: in our words, or its own if the entity is gone.

        The entity is gone while its entry reloads, or failed to set up (a bad key).
        """
        self._failed(call, message, key)
        if call.outcome.startswith("untranslated:"):
            state = await self.home.api.state_or_none(profile.entity_id)
            if state is None or state["state"] == "unavailable":
                call.outcome = "ha:entity_unavailable"

    def _failed(self, call: Call, message: str, key: str | None) -> None:
        call.message = message
        key = key or self.messages.key_of(message)
        call.outcome = f"error:{key}" if key else f"untranslated:{message[:80]}"


def _error_text(body: str) -> str:
    """The message of an error answer: ``{"error": …}``, ``{"message": …}`` or text."""
    try:
        answer = json.loads(body)
    except ValueError:
        return body.strip()
    if isinstance(answer, dict):
        return str(answer.get("error") or answer.get("message") or answer)
    return str(answer)
