"""Occupancy Prediction: learns how each room is used and predicts its next change."""

from __future__ import annotations

from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType
from homeassistant.loader import async_get_integration

from .const import DOMAIN
from .coordinator import OccupancyConfigEntry, OccupancyCoordinator
from .services import async_setup_services
from .store import EntryIndex
from .websocket_api import async_remove_alerts, async_setup_websocket_api

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

CARD_FILE = Path(__file__).parent / "frontend" / "occupancy-prediction-card.js"
CARD_URL = f"/{DOMAIN}/occupancy-prediction-card.js"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the websocket commands and the card once per run (they survive reloads)."""
    await async_setup_websocket_api(hass)
    async_setup_services(hass)
    await async_setup_card(hass)
    return True


async def async_setup_card(hass: HomeAssistant) -> None:
    """Serve the Lovelace card and load it on every frontend page.

    Static routes cannot be removed, so this runs once, from ``async_setup``.
    ``?v=<version>`` busts the browser cache when the integration is updated.
    """
    integration = await async_get_integration(hass, DOMAIN)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=True)]
    )
    if "frontend" in hass.config.components:
        add_extra_js_url(hass, f"{CARD_URL}?v={integration.version}")


async def async_setup_entry(hass: HomeAssistant, entry: OccupancyConfigEntry) -> bool:
    """Start following the configured rooms."""
    # First, so a room added or changed while this setup runs reloads it again.
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    coordinator = OccupancyCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: OccupancyConfigEntry) -> bool:
    """Stop following the rooms; every listener and timer goes with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_update_listener(hass: HomeAssistant, entry: OccupancyConfigEntry) -> None:
    """Apply added, changed or removed rooms and new options without a restart."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: OccupancyConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a room's device: that removes the room itself.

    The hub device cannot be deleted on its own (remove the integration instead).
    """
    subentry_id = device.config_subentry_id
    if subentry_id is None or subentry_id not in entry.subentries:
        return False
    return hass.config_entries.async_remove_subentry(entry, subentry_id)


async def async_remove_entry(hass: HomeAssistant, entry: OccupancyConfigEntry) -> None:
    """Delete every file the integration stored when the user removes it."""
    await EntryIndex(hass, entry.entry_id).async_remove_all()
    await async_remove_alerts(hass)
