"""System health: rooms, status and learning progress at a glance."""

from __future__ import annotations

from typing import Any

from homeassistant.components import system_health
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN


@callback
def async_register(hass: HomeAssistant, register: system_health.SystemHealthRegistration) -> None:
    """Register the info callback."""
    register.async_register_info(system_health_info)


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Return what the System information page shows for this integration."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        return {"status": "not_loaded"}
    coordinator = entries[0].runtime_data
    return {
        "status": coordinator.data.status.value,
        "rooms": len(coordinator.room_configs),
        "history_imported": coordinator.history_loaded,
        "last_training": coordinator.last_trained,
    }
