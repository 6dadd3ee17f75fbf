"""A voice profile's form inside the account's flows: add one, edit one.

Home Assistant's most visible button on the integration's page, *Add service*, starts
the account flow; *Add voice profile* is a button of its own only from 2026 on (on
2025.4 it hides in the account's ⋮ menu). So the account flow, when an account
exists, offers to add a voice profile to it first and another account second; and the
account's *Configure* (its options) offers to edit a voice profile beside the account's
settings. A config flow cannot start a subentry flow: these steps show the profile's
own form (:class:`.profile_flow.ProfileForm`, the same pages and checks) and save the
subentry as the profile's flow would. The profile keeps its subentry id, so its entity
keeps its entity id; the entities follow the change without a reload
(:func:`.profiles.async_follow_profiles`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntryBaseFlow,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    OptionsFlow,
)
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .profile_flow import ProfileForm
from .profiles import SUBENTRY_TYPE, profiles
from .runtime import CosyVoiceConfigEntry

CONF_ACCOUNT: Final = "account"
CONF_PROFILE: Final = "profile"


def _pick(field: str, choices: Mapping[str, str]) -> vol.Schema:
    """One drop-down of ids labelled by their titles, the first one chosen."""
    options = [
        SelectOptionDict(value=key, label=label) for key, label in choices.items()
    ]
    return vol.Schema(
        {
            vol.Required(field, default=next(iter(choices))): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
            )
        }
    )


class ProfileSteps(ConfigEntryBaseFlow):
    """Steps ``profile`` (name and settings) and ``profile_voice`` of a profile's form.

    A subclass starts them with :meth:`_async_start_profile` and saves what they
    give in :meth:`_async_save_profile`.
    """

    _profile: ProfileForm | None = None
    _placeholders: dict[str, str] | None = None

    async def _async_start_profile(
        self, form: ProfileForm, placeholders: dict[str, str]
    ) -> ConfigFlowResult:
        self._profile, self._placeholders = form, placeholders
        return await self.async_step_profile()

    async def async_step_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The profile's settings (and the name of a new one)."""
        form = self._form()
        errors: dict[str, str] = {}
        if user_input is not None and not (errors := form.take_settings(user_input)):
            return await self.async_step_profile_voice()
        return self.async_show_form(
            step_id="profile",
            data_schema=self.add_suggested_values_to_schema(
                *form.settings_page(user_input)
            ),
            description_placeholders=self._placeholders,
            errors=errors,
        )

    async def async_step_profile_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """An own or system voice of the chosen model, or a voice id typed in."""
        form = self._form()
        errors: dict[str, str] = {}
        if user_input is not None:
            profile, errors = form.take_voice(user_input)
            if profile is not None:
                return self._async_save_profile(form, profile)
        return self.async_show_form(
            step_id="profile_voice",
            data_schema=self.add_suggested_values_to_schema(
                *form.voice_page(user_input)
            ),
            description_placeholders={
                **(self._placeholders or {}),
                "model": form.model,
            },
            errors=errors,
        )

    def _form(self) -> ProfileForm:
        assert self._profile is not None, "the profile's form was not started"
        return self._profile

    def _async_save_profile(
        self, form: ProfileForm, profile: dict[str, Any]
    ) -> ConfigFlowResult:
        raise NotImplementedError


class AddProfileSteps(ProfileSteps, ConfigFlow):
    """The account flow's offer when an account exists: a voice profile first."""

    async def async_step_account_exists(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A menu: a voice profile for the account (or one of them), or an account."""
        if not (accounts := self._accounts()):  # removed meanwhile
            return await self.async_step_new_account()
        add = "add_profile" if len(accounts) == 1 else "pick_account"
        return self.async_show_menu(
            step_id="account_exists",
            menu_options=[add, "new_account"],
            description_placeholders={"account": accounts[0].title},
        )

    async def async_step_new_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Another account: the account flow's own first form."""
        raise NotImplementedError

    async def async_step_add_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new voice profile for the one account there is."""
        if not (accounts := self._accounts()):  # removed meanwhile
            return await self.async_step_new_account()
        return await self._async_add_to(accounts[0])

    async def async_step_pick_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Which account the new voice profile belongs to."""
        accounts = {entry.entry_id: entry for entry in self._accounts()}
        if not accounts:  # removed meanwhile
            return await self.async_step_new_account()
        if user_input is not None and (
            chosen := accounts.get(user_input[CONF_ACCOUNT])
        ):
            return await self._async_add_to(chosen)
        titles = {entry_id: entry.title for entry_id, entry in accounts.items()}
        return self.async_show_form(
            step_id="pick_account", data_schema=_pick(CONF_ACCOUNT, titles)
        )

    async def _async_add_to(self, entry: CosyVoiceConfigEntry) -> ConfigFlowResult:
        form = ProfileForm(self.hass, entry)
        return await self._async_start_profile(form, {"account": entry.title})

    def _accounts(self) -> list[CosyVoiceConfigEntry]:
        return self._async_current_entries(include_ignore=False)

    def _async_save_profile(
        self, form: ProfileForm, profile: dict[str, Any]
    ) -> ConfigFlowResult:
        """Add the subentry as its own flow would; say where it is."""
        name = form.name or ""
        subentry = ConfigSubentry(
            data=MappingProxyType(profile),
            subentry_type=SUBENTRY_TYPE,
            title=name,
            unique_id=None,
        )
        self.hass.config_entries.async_add_subentry(form.entry, subentry)
        return self.async_abort(
            reason="profile_added",
            description_placeholders={"profile": name, "account": form.entry.title},
        )


class EditProfileSteps(ProfileSteps, OptionsFlow):
    """The account's options: edit one of its voice profiles."""

    _subentry: ConfigSubentry

    async def async_step_pick_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Which voice profile to edit; the only one needs no choosing."""
        entry: CosyVoiceConfigEntry = self.config_entry
        found = {profile.subentry_id: profile for profile in profiles(entry)}
        if not found:  # removed meanwhile
            return self.async_abort(reason="no_profile")
        if user_input is not None:
            chosen = found.get(user_input[CONF_PROFILE])
        else:
            chosen = next(iter(found.values())) if len(found) == 1 else None
        if chosen is not None:
            self._subentry = chosen
            form = ProfileForm.editing(self.hass, entry, chosen)
            return await self._async_start_profile(
                form, {"account": entry.title, "profile": chosen.title}
            )
        titles = {subentry_id: p.title for subentry_id, p in found.items()}
        return self.async_show_form(
            step_id="pick_profile", data_schema=_pick(CONF_PROFILE, titles)
        )

    def _async_save_profile(
        self, form: ProfileForm, profile: dict[str, Any]
    ) -> ConfigFlowResult:
        """The same subentry, new data: its entity keeps its ids."""
        self.hass.config_entries.async_update_subentry(
            form.entry, self._subentry, data=profile
        )
        return self.async_abort(
            reason="profile_saved",
            description_placeholders={"profile": self._subentry.title},
        )
