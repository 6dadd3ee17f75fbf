"""One step, no questions: the spare voice needs no settings, and one is enough."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult


class SpareVoiceFlow(ConfigFlow, domain="spare_voice"):
    """Add the spare voice once."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create the entry at once."""
        # The manifest's single_config_entry says the same; releases before it
        # existed (and direct API callers) still get this answer.
        if self._async_current_entries():
            return self.async_abort(reason="single_instance_allowed")
        await self.async_set_unique_id("spare_voice")
        return self.async_create_entry(title="Spare voice", data={})
