"""Add and change voice profiles: a name and settings, then a voice of the model.

A profile is a ``tts`` subentry of the account's entry (see :mod:`.profiles`). The
entry's entities follow a change without a reload (see :func:`.tts.async_setup_entry`).
The form itself (:class:`ProfileForm`) knows no flow: the profile's own flow shows it,
and so do the account's flows (:mod:`.profile_steps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .api import (
    InvalidOptionError,
    InvalidWordingError,
    http_serves,
    options_from,
    voice_for_model,
)
from .const import CONF_MODEL, CONF_ROUTE, CONF_VOICE, DOMAIN
from .fallback import check_fallback
from .option_table import DEFAULT_PROFILE, PROFILE_SETTINGS
from .own_voices import label_words, voice_choices
from .profiles import entity_unique_id
from .runtime import CosyVoiceConfigEntry, endpoint_from_data, option

type Page = tuple[vol.Schema, Mapping[str, Any]]
"""A page of the form: its schema and the values it suggests."""


@dataclass(slots=True)
class ProfileForm:
    """A profile's two pages, for any flow: its settings (and name), then a voice.

    Given the account and the profile's current values (a new one's are the
    defaults); what the pages accept is kept in :attr:`chosen` and :attr:`name`.
    """

    hass: HomeAssistant
    entry: CosyVoiceConfigEntry
    current: Mapping[str, Any] = field(default_factory=lambda: DEFAULT_PROFILE)
    own: tuple[str, ...] = ()
    """The TTS entity of the profile being changed: no fallback of its own."""
    named: bool = True
    """A new profile: the settings page asks for its name."""
    chosen: dict[str, Any] = field(default_factory=dict)
    name: str | None = None

    @classmethod
    def editing(
        cls, hass: HomeAssistant, entry: CosyVoiceConfigEntry, profile: ConfigSubentry
    ) -> ProfileForm:
        """The form of an existing profile, its current values suggested."""
        unique_id = entity_unique_id(profile)
        entity_id = er.async_get(hass).async_get_entity_id("tts", DOMAIN, unique_id)
        own = () if entity_id is None else (entity_id,)
        return cls(hass, entry, profile.data, own, named=False)

    def settings_page(self, user_input: Mapping[str, Any] | None) -> Page:
        """The settings page, and what it shows: what was entered, else the current."""
        current = {
            spec.key: spec.show(option(self.current, spec.key))
            for spec in PROFILE_SETTINGS
        }
        schema = _settings_schema(named=self.named, leave_out=self.own)
        return schema, user_input or current

    def take_settings(self, user_input: Mapping[str, Any]) -> dict[str, str]:
        """The settings page's errors; without any, its values are kept."""
        chosen, errors = _parsed(user_input)
        errors = errors or self._check_settings(chosen)
        name = str(user_input.get(CONF_NAME, "")).strip()
        if self.named and not name:
            errors[CONF_NAME] = "name_required"
        if not errors:
            self.chosen, self.name = chosen, name or None
        return errors

    def voice_page(self, user_input: Mapping[str, Any] | None) -> Page:
        """The voice page: own and system voices of the chosen model, or one typed."""
        model = self.model
        current = voice_for_model(model, str(option(self.current, CONF_VOICE))) or ""
        own = (
            self.entry.runtime_data.voices.for_model(model)
            if self.entry.state is ConfigEntryState.LOADED
            else []
        )
        choices = [
            SelectOptionDict(value=voice_id, label=label)
            for voice_id, label in voice_choices(
                model,
                current,
                own,
                words=label_words(self.hass, self.hass.config.language),
                label_language=self.hass.config.language,
            )
        ]
        schema = vol.Schema(
            {
                vol.Required(CONF_VOICE): SelectSelector(
                    SelectSelectorConfig(
                        options=choices,
                        custom_value=True,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                )
            }
        )
        return schema, user_input or ({CONF_VOICE: current} if current else {})

    def take_voice(
        self, user_input: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """The whole profile to save, or the voice page's errors."""
        profile = {**self.chosen, CONF_VOICE: str(user_input[CONF_VOICE]).strip()}
        try:
            options_from(profile)
        except InvalidOptionError:
            return None, {CONF_VOICE: "invalid_voice"}
        return profile, {}

    @property
    def model(self) -> str:
        """The model the settings page chose."""
        return str(self.chosen[CONF_MODEL])

    def _check_settings(self, chosen: Mapping[str, Any]) -> dict[str, str]:
        """Everything but the voice, which the next page picks."""
        voice = str(option(self.current, CONF_VOICE))
        try:
            options_from({**chosen, CONF_VOICE: voice})
        except InvalidOptionError as err:
            if err.option != CONF_VOICE:
                return {err.option: error_key(err)}
        if errors := check_fallback(self.hass, chosen, next(iter(self.own), None)):
            return errors
        endpoint = endpoint_from_data(self.entry.data)
        if chosen[CONF_ROUTE] == "http" and not http_serves(
            chosen[CONF_MODEL], endpoint_has_http=endpoint.http_url is not None
        ):
            return {CONF_ROUTE: "http_unavailable"}
        return {}


class ProfileFlow(ConfigSubentryFlow):
    """Two steps: name (new profiles only) and settings, then a voice."""

    def __init__(self) -> None:
        """Nothing shown yet."""
        self._form: ProfileForm | None = None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A new profile: its name, model and settings."""
        self._form = self._form or ProfileForm(self.hass, self._get_entry())
        return await self._async_settings("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """An existing profile's settings, its current values suggested."""
        self._form = self._form or ProfileForm.editing(
            self.hass, self._get_entry(), self._get_reconfigure_subentry()
        )
        return await self._async_settings("reconfigure", user_input)

    async def async_step_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """An own or system voice of the chosen model, or a voice id typed in."""
        form = self._shown()
        errors: dict[str, str] = {}
        if user_input is not None:
            profile, errors = form.take_voice(user_input)
            if profile is not None:
                return self._async_save(profile)
        return self.async_show_form(
            step_id="voice",
            data_schema=self.add_suggested_values_to_schema(
                *form.voice_page(user_input)
            ),
            description_placeholders={"model": form.model},
            errors=errors,
        )

    async def _async_settings(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        form = self._shown()
        errors: dict[str, str] = {}
        if user_input is not None and not (errors := form.take_settings(user_input)):
            return await self.async_step_voice()
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                *form.settings_page(user_input)
            ),
            # The dialog names the profile it changes.
            description_placeholders=(
                {"profile": self._get_reconfigure_subentry().title}
                if step_id == "reconfigure"
                else None
            ),
            errors=errors,
        )

    def _shown(self) -> ProfileForm:
        assert self._form is not None
        return self._form

    def _async_save(self, profile: dict[str, Any]) -> SubentryFlowResult:
        if self.source != SOURCE_RECONFIGURE:
            return self.async_create_entry(title=self._shown().name or "", data=profile)
        return self.async_update_and_abort(
            self._get_entry(), self._get_reconfigure_subentry(), data=profile
        )


def _parsed(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values as a profile stores them, and the fields that are no value."""
    chosen: dict[str, Any] = {}
    for spec in PROFILE_SETTINGS:
        try:
            chosen[spec.key] = spec.parse(user_input.get(spec.key, spec.default))
        except InvalidOptionError as err:
            return chosen, {spec.key: error_key(err)}
    return chosen, {}


def error_key(err: InvalidOptionError) -> str:
    """The form error of a refused setting: what is wrong with a word, or which."""
    if isinstance(err, InvalidWordingError):
        return f"words_{err.problem}"
    return f"invalid_{err.option}"


def _settings_schema(*, named: bool, leave_out: tuple[str, ...]) -> vol.Schema:
    fields: dict[vol.Marker, Any] = {}
    if named:
        fields[vol.Required(CONF_NAME)] = TextSelector()
    for spec in PROFILE_SETTINGS:
        marker = vol.Required if spec.required else vol.Optional
        fields[marker(spec.key)] = spec.selector(leave_out)
    return vol.Schema(fields)
