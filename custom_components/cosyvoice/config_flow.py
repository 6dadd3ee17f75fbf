"""Config flow: API key and region (checked with a handshake), reauth, reconfigure, options."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import (
    MODELS,
    REGION_CUSTOM,
    AccountError,
    AuthenticationError,
    CosyVoiceError,
    InvalidOptionError,
    SynthesisOptions,
)
from .api.audio import SAMPLE_RATES
from .api.options import default_voice
from .api.voices import find_voice, voices_for_model
from .const import (
    ALL_REGIONS,
    CONF_FORMAT,
    CONF_HTTP_URL,
    CONF_LONG_TEXT_THRESHOLD,
    CONF_MODEL,
    CONF_PITCH,
    CONF_POOL_SIZE,
    CONF_RATE,
    CONF_REGION,
    CONF_ROUTE,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    CONF_WORKSPACE_ID,
    CONF_WS_URL,
    DOMAIN,
    HA_FORMATS,
    MAX_POOL_SIZE,
    REGIONS,
    ROUTES,
)
from .runtime import async_check_credentials, endpoint_from_data, option

_LOGGER = logging.getLogger(__name__)

_TITLES = {
    "cn": "CosyVoice China mainland (Beijing)",
    "intl": "CosyVoice International (Singapore)",
}
_URL_FIELDS = (CONF_WS_URL, CONF_HTTP_URL)


def _unique_id(data: Mapping[str, Any]) -> str:
    """A digest of key, region and custom URL: one entry each, the key never shown."""
    parts = (data[CONF_REGION], data.get(CONF_WS_URL) or "", data[CONF_API_KEY])
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _title(data: Mapping[str, Any]) -> str:
    if data[CONF_REGION] in _TITLES:
        return _TITLES[data[CONF_REGION]]
    return f"CosyVoice ({endpoint_from_data(data).host})"


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data from a form: trimmed, and without the fields that do not apply."""
    data: dict[str, Any] = {
        CONF_API_KEY: str(user_input[CONF_API_KEY]).strip(),
        CONF_REGION: user_input[CONF_REGION],
    }
    for key in (CONF_WORKSPACE_ID, *_URL_FIELDS):
        if value := str(user_input.get(key) or "").strip():
            data[key] = value
    return data


async def _async_validate(flow: ConfigFlow, data: Mapping[str, Any]) -> dict[str, str]:
    """Form errors for this entry data; empty when a handshake with it succeeded."""
    custom = data[CONF_REGION] == REGION_CUSTOM
    if custom and CONF_WS_URL not in data:
        return {CONF_WS_URL: "url_required"}
    if not custom and any(field in data for field in _URL_FIELDS):
        return {"base": "urls_need_custom_region"}
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


def _credentials_schema(advanced: bool, *, key_required: bool) -> vol.Schema:
    key = vol.Required(CONF_API_KEY) if key_required else vol.Optional(CONF_API_KEY)
    schema: dict[vol.Marker, Any] = {
        key: TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
        vol.Required(CONF_REGION): SelectSelector(
            SelectSelectorConfig(
                options=list(ALL_REGIONS if advanced else REGIONS),
                translation_key=CONF_REGION,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Optional(CONF_WORKSPACE_ID): TextSelector(),
    }
    if advanced:
        schema[vol.Optional(CONF_WS_URL)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        )
        schema[vol.Optional(CONF_HTTP_URL)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        )
    return vol.Schema(schema)


class CosyVoiceConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add, re-authenticate and reconfigure a DashScope account."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API key and region; create the entry once the key works."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean(user_input)
            await self.async_set_unique_id(_unique_id(data))
            self._abort_if_unique_id_configured()
            errors = await _async_validate(self, data)
            if not errors:
                return self.async_create_entry(title=_title(data), data=data)
        schema = _credentials_schema(self.show_advanced_options, key_required=True)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or {CONF_REGION: "cn"}
            ),
            errors=errors,
        )

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
            data = {**entry.data, CONF_API_KEY: str(user_input[CONF_API_KEY]).strip()}
            errors = await self._async_check_change(entry, data)
            if not errors:
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
        """Change key, region, workspace or endpoints; a blank key keeps the old one."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean(
                {
                    **user_input,
                    CONF_API_KEY: user_input.get(CONF_API_KEY)
                    or entry.data[CONF_API_KEY],
                }
            )
            errors = await self._async_check_change(entry, data)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, unique_id=_unique_id(data), title=_title(data), data=data
                )
        advanced = (
            self.show_advanced_options or entry.data[CONF_REGION] == REGION_CUSTOM
        )
        current = {k: v for k, v in entry.data.items() if k != CONF_API_KEY}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(advanced, key_required=False),
                {k: v for k, v in (user_input or current).items() if k != CONF_API_KEY},
            ),
            errors=errors,
        )

    async def _async_check_change(
        self, entry: ConfigEntry, data: Mapping[str, Any]
    ) -> dict[str, str]:
        """Errors for new data of an existing entry, another entry's account included."""
        unique_id = _unique_id(data)
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                return {"base": "already_configured"}
        return await _async_validate(self, data)

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> CosyVoiceOptionsFlow:
        """Model, voice, audio and connection options."""
        return CosyVoiceOptionsFlow()


class CosyVoiceOptionsFlow(OptionsFlow):
    """Two steps: the model and its settings, then a voice of that model."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._chosen: dict[str, Any] = {}

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Model, audio format, prosody and connection settings."""
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = _typed(user_input)
            errors = self._check_settings(chosen)
            if not errors:
                self._chosen = chosen
                return await self.async_step_voice()
        current = {
            key: option(self.config_entry.options, key)
            for key in (
                CONF_MODEL,
                CONF_FORMAT,
                CONF_SAMPLE_RATE,
                CONF_VOLUME,
                CONF_RATE,
                CONF_PITCH,
                CONF_LONG_TEXT_THRESHOLD,
                CONF_ROUTE,
                CONF_POOL_SIZE,
            )
        }
        current[CONF_SAMPLE_RATE] = str(current[CONF_SAMPLE_RATE])
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _SETTINGS_SCHEMA, user_input or current
            ),
            errors=errors,
        )

    async def async_step_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A system voice of the chosen model, or the id of a cloned voice."""
        model = self._chosen[CONF_MODEL]
        errors: dict[str, str] = {}
        if user_input is not None:
            voice = str(user_input[CONF_VOICE]).strip()
            try:
                SynthesisOptions(
                    model=model,
                    voice=voice,
                    format=self._chosen[CONF_FORMAT],
                    sample_rate=self._chosen[CONF_SAMPLE_RATE],
                )
            except InvalidOptionError:
                errors[CONF_VOICE] = "invalid_voice"
            else:
                return self.async_create_entry(data={**self._chosen, CONF_VOICE: voice})
        current = str(option(self.config_entry.options, CONF_VOICE))
        voices = voices_for_model(model)
        if not any(info.voice_id == current for info in voices) and (
            find_voice(current) is not None or not current.startswith(model + "-")
        ):
            current = default_voice(model) or ""
        choices = [SelectOptionDict(value=v.voice_id, label=v.name) for v in voices]
        if current and find_voice(current) is None:
            choices.insert(0, SelectOptionDict(value=current, label=current))
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

    def _check_settings(self, chosen: Mapping[str, Any]) -> dict[str, str]:
        """Everything but the voice, which the next step picks."""
        model = chosen[CONF_MODEL]
        try:
            SynthesisOptions(
                model=model,
                voice=str(option(self.config_entry.options, CONF_VOICE)),
                format=chosen[CONF_FORMAT],
                sample_rate=chosen[CONF_SAMPLE_RATE],
                volume=chosen[CONF_VOLUME],
                rate=chosen[CONF_RATE],
                pitch=chosen[CONF_PITCH],
            )
        except InvalidOptionError as err:
            if err.option != CONF_VOICE:
                return {err.option: f"invalid_{err.option}"}
        if chosen[CONF_ROUTE] == "http" and not (
            MODELS[model].http and endpoint_from_data(self.config_entry.data).http_url
        ):
            return {CONF_ROUTE: "http_unavailable"}
        return {}


def _typed(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Selector values as the types the client takes (selects give strings)."""
    return {
        CONF_MODEL: user_input[CONF_MODEL],
        CONF_FORMAT: user_input[CONF_FORMAT],
        CONF_SAMPLE_RATE: int(user_input[CONF_SAMPLE_RATE]),
        CONF_VOLUME: int(user_input[CONF_VOLUME]),
        CONF_RATE: float(user_input[CONF_RATE]),
        CONF_PITCH: float(user_input[CONF_PITCH]),
        CONF_LONG_TEXT_THRESHOLD: int(user_input[CONF_LONG_TEXT_THRESHOLD]),
        CONF_ROUTE: user_input[CONF_ROUTE],
        CONF_POOL_SIZE: int(user_input[CONF_POOL_SIZE]),
    }


def _select(options: list[str], key: str | None = None) -> SelectSelector:
    config = SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
    if key is not None:
        config["translation_key"] = key
    return SelectSelector(config)


def _number(low: float, high: float, step: float, *, slider: bool) -> NumberSelector:
    mode = NumberSelectorMode.SLIDER if slider else NumberSelectorMode.BOX
    return NumberSelector(NumberSelectorConfig(min=low, max=high, step=step, mode=mode))


_SETTINGS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_MODEL): _select(list(MODELS)),
        vol.Required(CONF_FORMAT): _select(list(HA_FORMATS), CONF_FORMAT),
        vol.Required(CONF_SAMPLE_RATE): _select([str(r) for r in SAMPLE_RATES]),
        vol.Required(CONF_VOLUME): _number(0, 100, 1, slider=True),
        vol.Required(CONF_RATE): _number(0.5, 2.0, 0.05, slider=True),
        vol.Required(CONF_PITCH): _number(0.5, 2.0, 0.05, slider=True),
        vol.Required(CONF_LONG_TEXT_THRESHOLD): _number(0, 200_000, 1, slider=False),
        vol.Required(CONF_ROUTE): _select(list(ROUTES), CONF_ROUTE),
        vol.Required(CONF_POOL_SIZE): _number(1, MAX_POOL_SIZE, 1, slider=False),
    }
)
