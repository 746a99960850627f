"""Setting up, reloading and unloading the entry; rooms added and removed live."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import setup_entry


async def test_setup_and_unload(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    hass.states.async_set("binary_sensor.kitchen_motion", "on", {"device_class": "motion"})
    await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "on"
    assert hass.states.get("sensor.occupancy_prediction_status").state == "degraded"
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "unavailable"
