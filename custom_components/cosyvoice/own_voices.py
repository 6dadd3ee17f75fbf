"""The account's own voices in Home Assistant: listed once, offered, and checked.

The list is asked for at setup and after every change made here, never when a
picker opens. A voice the list does not hold is looked up again before it is called
missing: it may have been made in the console since. The service lists no
descriptions: those of the voices designed here are kept in Home Assistant's storage.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import translation
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .api import (
    CosyVoiceClient,
    CosyVoiceError,
    CustomVoice,
    InvalidRequestError,
    VoiceNotFoundError,
    VoiceNotReadyError,
    display_name,
    parse_custom_voice_id,
    picker_voices,
    speaks_chinese,
)
from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

LIST_TIMEOUT: Final = 10.0
"""Longest wait for the list: setup waits for it, and must not wait long."""
STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 1.0
DESCRIPTION_CHARS: Final = 60
"""How much of a description a picker shows."""
LABEL_LANGUAGES: Final = ("en", "zh-Hans")
"""The languages an own voice's label is said in: Chinese for Chinese requests."""
_LABEL_KEY: Final = f"component.{DOMAIN}.selector.own_voice.options."


type DescriptionsStore = Store[dict[str, dict[str, str]]]
_STORES: HassKey[dict[str, DescriptionsStore]] = HassKey(f"{DOMAIN}_descriptions")


@callback
def descriptions_store(hass: HomeAssistant, entry_id: str) -> DescriptionsStore:
    """Where an entry keeps the descriptions of the voices designed here.

    One store per entry for as long as Home Assistant runs: a reload right after a
    design reads what is still waiting to be written.
    """
    stores = hass.data.setdefault(_STORES, {})
    if entry_id not in stores:
        stores[entry_id] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.voices")
    return stores[entry_id]


async def async_remove_descriptions(hass: HomeAssistant, entry_id: str) -> None:
    """Forget an entry's descriptions, on disk too."""
    await descriptions_store(hass, entry_id).async_remove()
    hass.data[_STORES].pop(entry_id, None)


class OwnVoices:
    """The cloned and designed voices of one account, as last listed."""

    def __init__(
        self,
        client: CosyVoiceClient,
        store: DescriptionsStore | None = None,
    ) -> None:
        """Nothing listed yet; ``store`` keeps the descriptions (none: not kept)."""
        self._client = client
        self._store = store
        self._descriptions: dict[str, str] = {}
        self.voices: list[CustomVoice] = []
        self.listed = False
        """Whether the service has answered a list at least once."""

    async def async_load(self) -> None:
        """Read the descriptions kept for the voices designed here."""
        if self._store is not None and (kept := await self._store.async_load()):
            self._descriptions = dict(kept.get("descriptions", {}))

    async def async_refresh(self) -> None:
        """List the account's voices; on failure keep the last list."""
        try:
            async with asyncio.timeout(LIST_TIMEOUT):
                listed = await self._client.enrollment.list_voices()
        except (CosyVoiceError, TimeoutError) as err:
            _LOGGER.debug("Could not list the account's own voices: %r", err)
            return
        self.voices = [self._described(voice) for voice in listed]
        self.listed = True

    def _described(self, voice: CustomVoice) -> CustomVoice:
        """The voice with the description kept for it, if the service gave none."""
        kept = self._descriptions.get(voice.voice_id)
        if voice.description or kept is None:
            return voice
        return dataclasses.replace(voice, description=kept)

    def _keep(self, voice_id: str, description: str | None) -> None:
        """Remember (or with None forget) a voice's description, saved soon."""
        if description is None:
            if self._descriptions.pop(voice_id, None) is None:
                return
        else:
            self._descriptions[voice_id] = description
        if self._store is not None:
            self._store.async_delay_save(
                lambda: {"descriptions": dict(self._descriptions)}, SAVE_DELAY
            )

    def for_model(self, model: str) -> list[CustomVoice]:
        """The voices ``model`` speaks, as listed."""
        return [voice for voice in self.voices if voice.model == model]

    def find(self, voice_id: str) -> CustomVoice | None:
        """The listed voice with this id."""
        return next((v for v in self.voices if v.voice_id == voice_id), None)

    def added(self, voice: CustomVoice) -> None:
        """A voice made here: offered at once, before the next list."""
        if voice.description:
            self._keep(voice.voice_id, voice.description)
        voice = self._described(voice)
        self.voices = [voice, *(v for v in self.voices if v.voice_id != voice.voice_id)]

    def removed(self, voice_id: str) -> None:
        """A voice deleted here."""
        self.voices = [v for v in self.voices if v.voice_id != voice_id]
        self._keep(voice_id, None)

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
    *,
    words: Mapping[str, str] | None = None,
    label_language: str | None = None,
) -> list[tuple[str, str]]:
    """(voice id, label) for a voice picker: the voice in use, own, then system.

    ``own`` are the account's voices of ``model``; system voices are those of the
    model for ``language`` (all of them without one). Labels are in the language of
    ``label_language`` (``language`` if not given): Chinese names for Chinese, and
    ``words`` (see :func:`label_words`) say what made an own voice.
    """
    naming = language if label_language is None else label_language
    choices = [(v.voice_id, label(v, words or {})) for v in own]
    listed = {voice_id for voice_id, _ in choices}
    choices += [
        (voice_id, display_name(info, naming) if info else voice_id)
        for voice_id, info in picker_voices(model, configured, language)
        if voice_id not in listed
    ]
    in_use = [choice for choice in choices if choice[0] == configured]
    return in_use + [choice for choice in choices if choice[0] != configured]


def label(voice: CustomVoice, words: Mapping[str, str]) -> str:
    """How a picker names an own voice: its name, what it was made for, its description.

    ``words`` are the translated phrases (:func:`label_words`); a voice not ready
    says so.
    """
    made = words.get("designed" if voice.designed else "cloned")
    kind = (made or "{model}").replace("{model}", voice.model or "?")
    parts = [voice.name, kind]
    if voice.description:
        text = " ".join(voice.description.split())
        cut = len(text) > DESCRIPTION_CHARS
        parts.append(text[: DESCRIPTION_CHARS - 1] + "…" if cut else text)
    shown = " · ".join(parts)
    if voice.ready:
        return shown
    status = voice.status.lower()
    return f"{shown} ({words.get(status, status)})"


async def async_load_label_words(hass: HomeAssistant) -> None:
    """Load the phrases of own voices' labels, so pickers can say them at once."""
    for language in LABEL_LANGUAGES:
        await translation.async_get_translations(hass, language, "selector", {DOMAIN})


@callback
def label_words(hass: HomeAssistant, language: str | None) -> dict[str, str]:
    """The phrases of own voices' labels for a request in ``language``."""
    chinese = speaks_chinese(language)
    cached = translation.async_get_cached_translations(
        hass, LABEL_LANGUAGES[1] if chinese else LABEL_LANGUAGES[0], "selector", DOMAIN
    )
    return {
        key.removeprefix(_LABEL_KEY): text
        for key, text in cached.items()
        if key.startswith(_LABEL_KEY)
    }
