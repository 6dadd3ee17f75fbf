"""One step, no questions: the agent needs no settings."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult


class StreamingAgentFlow(ConfigFlow, domain="streaming_agent"):
    """Add the agent once."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create the entry at once."""
        await self.async_set_unique_id("streaming_agent")
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title="Streaming agent", data={})
