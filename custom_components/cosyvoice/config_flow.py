"""Config flow: the account (key and region, checked), reauth, reconfigure, options.

Voice profiles have flows of their own (:mod:`.profile_flow`); the account flow offers
to add one when an account exists, and the options to edit one (:mod:`.profile_steps`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryData,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import (
    REGION_CN,
    REGION_CUSTOM,
    AccountError,
    AuthenticationError,
    CosyVoiceError,
    InvalidOptionError,
)
from .const import (
    CONF_HTTP_URL,
    CONF_REGION,
    CONF_WORKSPACE_ID,
    CONF_WS_URL,
    DOMAIN,
    REGIONS,
)
from .option_table import ACCOUNT_SETTINGS
from .profile_flow import ProfileFlow
from .profile_steps import AddProfileSteps, EditProfileSteps
from .profiles import SUBENTRY_TYPE, first_profile_title, profiles
from .runtime import (
    CosyVoiceConfigEntry,
    async_check_credentials,
    keep_ready_settings,
    option,
    pool_settings,
    where,
)

_LOGGER = logging.getLogger(__name__)

_URL_FIELDS = (CONF_WS_URL, CONF_HTTP_URL)
# Errors about the key, shown on the form that asks for it (not on the URLs' page).
_KEY_ERRORS = frozenset({"invalid_auth", "account_error"})
# Fields a normal user is not asked about: the form keeps them in a collapsed section.
SECTION_ADVANCED = "advanced"


def _unique_id(data: Mapping[str, Any]) -> str:
    """A digest of key, region and custom URL: one entry each, the key never shown."""
    parts = (data[CONF_REGION], data.get(CONF_WS_URL) or "", data[CONF_API_KEY])
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _title(data: Mapping[str, Any]) -> str:
    return f"CosyVoice {where(data)}"


def _text(value: object) -> str:
    return str(value or "").strip()


def _credentials(user_input: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Entry data from the credentials form: key, region and the advanced section."""
    data: dict[str, Any] = {CONF_API_KEY: key, CONF_REGION: user_input[CONF_REGION]}
    advanced = user_input.get(SECTION_ADVANCED) or {}
    if workspace := _text(advanced.get(CONF_WORKSPACE_ID)):
        data[CONF_WORKSPACE_ID] = workspace
    return data


def _with_endpoint(
    data: Mapping[str, Any], user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Entry data plus the custom endpoint's URLs (a blank HTTP URL is left out)."""
    result = {k: v for k, v in data.items() if k not in _URL_FIELDS}
    for field in _URL_FIELDS:
        if value := _text(user_input.get(field)):
            result[field] = value
    return result


async def _async_validate(flow: ConfigFlow, data: Mapping[str, Any]) -> dict[str, str]:
    """Form errors for this entry data; empty when a handshake with it succeeded."""
    try:
        await async_check_credentials(flow.hass, data)
    except InvalidOptionError as err:
        if err.option in _URL_FIELDS:
            return {err.option: "invalid_url"}
        return {"base": "invalid_auth"}
    except AuthenticationError:
        return {"base": "invalid_auth"}
    except AccountError:
        return {"base": "account_error"}
    except CosyVoiceError as err:
        _LOGGER.debug("Cannot reach DashScope: %s", err)
        return {"base": "cannot_connect"}
    except Exception:
        _LOGGER.exception("Unexpected error while checking the DashScope API key")
        return {"base": "unknown"}
    return {}


def _credentials_schema(*, key_required: bool) -> vol.Schema:
    """Key, region (custom endpoints get a step of their own) and advanced fields.

    Built anew for every form: suggesting values fills the section in place.
    """
    key = vol.Required(CONF_API_KEY) if key_required else vol.Optional(CONF_API_KEY)
    return vol.Schema(
        {
            key: TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
            vol.Required(CONF_REGION): SelectSelector(
                SelectSelectorConfig(
                    options=list(REGIONS),
                    translation_key=CONF_REGION,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Required(SECTION_ADVANCED): section(
                vol.Schema({vol.Optional(CONF_WORKSPACE_ID): TextSelector()}),
                {"collapsed": True},
            ),
        }
    )


def _credentials_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the credentials form shows for entry data (never the key)."""
    advanced = {k: data[k] for k in (CONF_WORKSPACE_ID,) if data.get(k)}
    return {CONF_REGION: data[CONF_REGION], SECTION_ADVANCED: advanced}


def _endpoint_schema() -> vol.Schema:
    url = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
    return vol.Schema(
        {vol.Required(CONF_WS_URL): url, vol.Optional(CONF_HTTP_URL): url}
    )


class CosyVoiceConfigFlow(AddProfileSteps, domain=DOMAIN):
    """Add, re-authenticate and reconfigure a DashScope account.

    With an account set up already, adding one starts with a choice: a voice profile
    for it (what a user who clicks *Add service* usually wants), or another account.
    """

    VERSION = 2

    def __init__(self) -> None:
        """Nothing entered yet."""
        self._data: dict[str, Any] = {}
        """Credentials waiting for the custom endpoint step."""
        self._endpoint: dict[str, Any] = {}
        """URLs entered before the key was refused, suggested again."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API key and region; a custom endpoint asks for its URLs next."""
        if user_input is None and self._accounts():
            return await self.async_step_account_exists()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _credentials(user_input, _text(user_input[CONF_API_KEY]))
            if data[CONF_REGION] == REGION_CUSTOM:
                self._data = data
                return await self.async_step_endpoint()
            if not (errors := await self._async_check_new(data)):
                return self._async_create(data)
            self._data = data
        return self._async_show_credentials("user", self._data, errors)

    async def async_step_new_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Another account after all: the key and region form."""
        return self._async_show_credentials("user", self._data, {})

    @callback
    def _async_create(self, data: dict[str, Any]) -> ConfigFlowResult:
        """The account, with a first voice profile of the default model and voice."""
        profile = ConfigSubentryData(
            data={},
            subentry_type=SUBENTRY_TYPE,
            title=first_profile_title(
                subentry.title
                for entry in self._async_current_entries(include_ignore=False)
                for subentry in entry.subentries.values()
            ),
            unique_id=None,
        )
        return self.async_create_entry(
            title=_title(data), data=data, subentries=[profile]
        )

    async def async_step_endpoint(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The URLs of a self-hosted or proxied DashScope-compatible server."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _with_endpoint(self._data, user_input)
            if not (errors := await self._async_check_new(data)):
                return self._async_create(data)
            if errors.get("base") in _KEY_ERRORS:
                self._endpoint = user_input
                return self._async_show_credentials("user", self._data, errors)
        return self.async_show_form(
            step_id="endpoint",
            data_schema=self.add_suggested_values_to_schema(
                _endpoint_schema(), user_input or self._endpoint
            ),
            errors=errors,
        )

    @callback
    def _async_show_credentials(
        self, step_id: str, data: Mapping[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult:
        """The key and region form, showing what was entered (never the key)."""
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(key_required=step_id == "user"),
                _credentials_values(data or {CONF_REGION: REGION_CN}),
            ),
            errors=errors,
        )

    async def _async_check_new(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Errors for a new entry; aborts if this account is set up already."""
        await self.async_set_unique_id(_unique_id(data))
        self._abort_if_unique_id_configured()
        return await _async_validate(self, data)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The key stopped working: ask for a new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Check the new key against the entry's region and endpoints."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_API_KEY: _text(user_input[CONF_API_KEY])}
            if not (errors := await self._async_check_change(entry, data)):
                return self.async_update_reload_and_abort(
                    entry, unique_id=_unique_id(data), data=data
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_API_KEY): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change key, region or workspace; a blank key keeps the old one."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            key = _text(user_input.get(CONF_API_KEY)) or entry.data[CONF_API_KEY]
            data = _credentials(user_input, key)
            if data[CONF_REGION] == REGION_CUSTOM:
                self._data = data
                return await self.async_step_reconfigure_endpoint()
            if not (errors := await self._async_check_change(entry, data)):
                return self._async_save_reconfigured(entry, data)
            self._data = data
        return self._async_show_credentials(
            "reconfigure", self._data or entry.data, errors
        )

    async def async_step_reconfigure_endpoint(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The custom endpoint's URLs, the current ones suggested."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _with_endpoint(self._data, user_input)
            if not (errors := await self._async_check_change(entry, data)):
                return self._async_save_reconfigured(entry, data)
            if errors.get("base") in _KEY_ERRORS:
                self._endpoint = user_input
                return self._async_show_credentials("reconfigure", self._data, errors)
        current = {k: entry.data[k] for k in _URL_FIELDS if entry.data.get(k)}
        return self.async_show_form(
            step_id="reconfigure_endpoint",
            data_schema=self.add_suggested_values_to_schema(
                _endpoint_schema(), user_input or self._endpoint or current
            ),
            errors=errors,
        )

    @callback
    def _async_save_reconfigured(
        self, entry: CosyVoiceConfigEntry, data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        return self.async_update_reload_and_abort(
            entry, unique_id=_unique_id(data), title=_title(data), data=data
        )

    async def _async_check_change(
        self, entry: CosyVoiceConfigEntry, data: Mapping[str, Any]
    ) -> dict[str, str]:
        """Errors for new data of an existing entry, another entry's account included."""
        unique_id = _unique_id(data)
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                return {"base": "already_configured"}
        return await _async_validate(self, data)

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: CosyVoiceConfigEntry,
    ) -> CosyVoiceOptionsFlow:
        """The account's options (its connection pool)."""
        return CosyVoiceOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: CosyVoiceConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Voice profiles: each a TTS entity with its own model and voice."""
        return {SUBENTRY_TYPE: ProfileFlow}


class CosyVoiceOptionsFlow(EditProfileSteps):
    """The account's options: what every voice profile shares; and each profile."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The account's settings, or one of its voice profiles."""
        if not profiles(self.config_entry):
            return await self.async_step_account()
        return self.async_show_menu(
            step_id="init",
            menu_options=["account", "pick_profile"],
            description_placeholders={"account": self.config_entry.title},
        )

    async def async_step_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The size of the shared connection pool."""
        if user_input is not None:
            options = {
                spec.key: spec.parse(user_input[spec.key]) for spec in ACCOUNT_SETTINGS
            }
            return self._async_save(options)
        current = {
            spec.key: spec.show(option(self.config_entry.options, spec.key))
            for spec in ACCOUNT_SETTINGS
        }
        schema = vol.Schema(
            {vol.Required(spec.key): spec.selector(()) for spec in ACCOUNT_SETTINGS}
        )
        return self.async_show_form(
            step_id="account",
            data_schema=self.add_suggested_values_to_schema(schema, current),
        )

    @callback
    def _async_save(self, options: dict[str, Any]) -> ConfigFlowResult:
        """Save the options; a loaded account takes them without a reload.

        No announcement falls into a reload: the pool takes its new bound for the
        next request, and keeping ready restarts with its new count.
        """
        entry = self.config_entry
        if (
            self.hass.config_entries.async_update_entry(entry, options=options)
            and entry.state is ConfigEntryState.LOADED
        ):
            client = entry.runtime_data.client
            self.hass.async_create_task(
                client.change_settings(
                    pool_settings(options), keep_ready_settings(options)
                ),
                f"{DOMAIN} new account options",
            )
        return self.async_create_entry(data=options)
