"""Add and change voice profiles: a name and settings, then a voice of the model.

A profile is a ``tts`` subentry of the account's entry (see :mod:`.profiles`). The
entry's entities follow a change without a reload (see :func:`.tts.async_setup_entry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .api import InvalidOptionError, http_serves, options_from, voice_for_model
from .const import CONF_MODEL, CONF_ROUTE, CONF_VOICE, DOMAIN
from .fallback import check_fallback
from .option_table import DEFAULT_PROFILE, PROFILE_SETTINGS
from .own_voices import label_words, voice_choices
from .profiles import entity_unique_id
from .runtime import endpoint_from_data, option


class ProfileFlow(ConfigSubentryFlow):
    """Two steps: name (new profiles only) and settings, then a voice."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._current: Mapping[str, Any] = DEFAULT_PROFILE
        self._chosen: dict[str, Any] = {}
        self._name: str | None = None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A new profile: its name, model and settings."""
        return await self._async_settings("user", user_input, named=True)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """An existing profile's settings, its current values suggested."""
        self._current = self._get_reconfigure_subentry().data
        return await self._async_settings("reconfigure", user_input, named=False)

    async def async_step_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """An own or system voice of the chosen model, or a voice id typed in."""
        model = self._chosen[CONF_MODEL]
        errors: dict[str, str] = {}
        if user_input is not None:
            voice = str(user_input[CONF_VOICE]).strip()
            try:
                self._check({**self._chosen, CONF_VOICE: voice})
            except InvalidOptionError:
                errors[CONF_VOICE] = "invalid_voice"
            else:
                return self._async_save({**self._chosen, CONF_VOICE: voice})
        current = voice_for_model(model, str(option(self._current, CONF_VOICE))) or ""
        entry = self._get_entry()
        own = (
            entry.runtime_data.voices.for_model(model)
            if entry.state is ConfigEntryState.LOADED
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
        return self.async_show_form(
            step_id="voice",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or ({CONF_VOICE: current} if current else {})
            ),
            description_placeholders={"model": model},
            errors=errors,
        )

    async def _async_settings(
        self, step_id: str, user_input: dict[str, Any] | None, *, named: bool
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen, errors = _parsed(user_input)
            errors = errors or self._check_settings(chosen)
            if named and not str(user_input.get(CONF_NAME, "")).strip():
                errors[CONF_NAME] = "name_required"
            if not errors:
                self._chosen = chosen
                self._name = str(user_input.get(CONF_NAME, "")).strip() or None
                return await self.async_step_voice()
        current = {
            spec.key: spec.show(option(self._current, spec.key))
            for spec in PROFILE_SETTINGS
        }
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _settings_schema(named=named, leave_out=self._own_entity()),
                user_input or current,
            ),
            errors=errors,
        )

    def _async_save(self, profile: dict[str, Any]) -> SubentryFlowResult:
        if self._name is not None:
            return self.async_create_entry(title=self._name, data=profile)
        return self.async_update_and_abort(
            self._get_entry(), self._get_reconfigure_subentry(), data=profile
        )

    def _check_settings(self, chosen: Mapping[str, Any]) -> dict[str, str]:
        """Everything but the voice, which the next step picks."""
        voice = str(option(self._current, CONF_VOICE))
        try:
            self._check({**chosen, CONF_VOICE: voice})
        except InvalidOptionError as err:
            if err.option != CONF_VOICE:
                return {err.option: f"invalid_{err.option}"}
        if errors := check_fallback(
            self.hass, chosen, next(iter(self._own_entity()), None)
        ):
            return errors
        endpoint = endpoint_from_data(self._get_entry().data)
        if chosen[CONF_ROUTE] == "http" and not http_serves(
            chosen[CONF_MODEL], endpoint_has_http=endpoint.http_url is not None
        ):
            return {CONF_ROUTE: "http_unavailable"}
        return {}

    def _own_entity(self) -> tuple[str, ...]:
        """The TTS entity of the profile being changed: no fallback of its own."""
        if self.source != SOURCE_RECONFIGURE:
            return ()
        unique_id = entity_unique_id(self._get_reconfigure_subentry())
        entity_id = er.async_get(self.hass).async_get_entity_id(
            "tts", DOMAIN, unique_id
        )
        return () if entity_id is None else (entity_id,)

    @staticmethod
    def _check(profile: Mapping[str, Any]) -> None:
        """Raise the client's error for settings it would refuse."""
        options_from(profile)


def _parsed(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values as a profile stores them, and the fields that are no value."""
    chosen: dict[str, Any] = {}
    for spec in PROFILE_SETTINGS:
        try:
            chosen[spec.key] = spec.parse(user_input.get(spec.key, spec.default))
        except InvalidOptionError as err:
            return chosen, {spec.key: f"invalid_{err.option}"}
    return chosen, {}


def _settings_schema(*, named: bool, leave_out: tuple[str, ...]) -> vol.Schema:
    fields: dict[vol.Marker, Any] = {}
    if named:
        fields[vol.Required(CONF_NAME)] = TextSelector()
    for spec in PROFILE_SETTINGS:
        marker = vol.Required if spec.required else vol.Optional
        fields[marker(spec.key)] = spec.selector(leave_out)
    return vol.Schema(fields)
