"""The account's own voices in Home Assistant: listed once, offered, and checked.

The list is asked for at setup and after every change made here, never when a
picker opens. A voice the list does not hold is looked up again before it is called
missing: it may have been made in the console since.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Final

from .api import (
    CosyVoiceClient,
    CosyVoiceError,
    CustomVoice,
    InvalidRequestError,
    VoiceNotFoundError,
    VoiceNotReadyError,
    parse_custom_voice_id,
    picker_voices,
)

_LOGGER = logging.getLogger(__name__)

LIST_TIMEOUT: Final = 10.0
"""Longest wait for the list: setup waits for it, and must not wait long."""


class OwnVoices:
    """The cloned and designed voices of one account, as last listed."""

    def __init__(self, client: CosyVoiceClient) -> None:
        """Nothing listed yet."""
        self._client = client
        self.voices: list[CustomVoice] = []
        self.listed = False
        """Whether the service has answered a list at least once."""

    async def async_refresh(self) -> None:
        """List the account's voices; on failure keep the last list."""
        try:
            async with asyncio.timeout(LIST_TIMEOUT):
                self.voices = await self._client.enrollment.list_voices()
        except (CosyVoiceError, TimeoutError) as err:
            _LOGGER.debug("Could not list the account's own voices: %r", err)
            return
        self.listed = True

    def for_model(self, model: str) -> list[CustomVoice]:
        """The voices ``model`` speaks, as listed."""
        return [voice for voice in self.voices if voice.model == model]

    def find(self, voice_id: str) -> CustomVoice | None:
        """The listed voice with this id."""
        return next((v for v in self.voices if v.voice_id == voice_id), None)

    def added(self, voice: CustomVoice) -> None:
        """A voice made here: offered at once, before the next list."""
        self.voices = [voice, *(v for v in self.voices if v.voice_id != voice.voice_id)]

    def removed(self, voice_id: str) -> None:
        """A voice deleted here."""
        self.voices = [v for v in self.voices if v.voice_id != voice_id]

    async def async_check(self, voice_id: str) -> None:
        """Raise if ``voice_id`` is an own voice that cannot speak now.

        Never falls back to another voice: a deleted one is an error the user sees.
        System voices, and every voice while the list is unknown, pass.
        """
        if self._verdict(voice_id) is not None:
            await self.async_refresh()
        if (error := self._verdict(voice_id)) is not None:
            raise error

    async def async_explain(
        self, error: CosyVoiceError, voice_id: str
    ) -> CosyVoiceError:
        """The service's refusal of an own voice, said as what it is if it is gone.

        DashScope refuses a voice it does not know with a bare engine error (418);
        one deleted in the console since the last list shows up only this way.
        """
        if (
            isinstance(error, InvalidRequestError)
            and not error.caller_error
            and parse_custom_voice_id(voice_id) is not None
        ):
            await self.async_refresh()
            return self._verdict(voice_id) or error
        return error

    def _verdict(self, voice_id: str) -> CosyVoiceError | None:
        """Why the listed voices say ``voice_id`` cannot speak, if they do."""
        if parse_custom_voice_id(voice_id) is None or not self.listed:
            return None
        voice = self.find(voice_id)
        if voice is None:
            return VoiceNotFoundError(
                f"the voice {voice_id} is not in this DashScope account any more"
            )
        if not voice.ready:
            return VoiceNotReadyError(
                f"the voice {voice_id} cannot speak yet ({voice.status})",
                status=voice.status,
            )
        return None


def voice_choices(
    model: str,
    configured: str,
    own: Sequence[CustomVoice],
    language: str | None = None,
) -> list[tuple[str, str]]:
    """(voice id, label) for a voice picker: the voice in use, own, then system.

    ``own`` are the account's voices of ``model``; system voices are those of the
    model for ``language`` (all of them without one).
    """
    choices = [(v.voice_id, label(v)) for v in own]
    listed = {voice_id for voice_id, _ in choices}
    choices += [
        (voice_id, info.name if info else f"{voice_id} (custom voice)")
        for voice_id, info in picker_voices(model, configured, language)
        if voice_id not in listed
    ]
    in_use = [choice for choice in choices if choice[0] == configured]
    return in_use + [choice for choice in choices if choice[0] != configured]


def label(voice: CustomVoice) -> str:
    """How a picker names an own voice: its name, what made it, and if it is ready."""
    kind = "designed" if voice.designed else "cloned"
    text = f"{voice.name} · {kind} voice"
    return text if voice.ready else f"{text} ({voice.status.lower()})"
