"""System health info."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.system_health import SystemHealthRegistration
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.occupancy_prediction.system_health import (
    async_register,
    system_health_info,
)

from .conftest import setup_entry


async def test_info(
    hass: HomeAssistant, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    assert await system_health_info(hass) == {"status": "not_loaded"}
    hass.states.async_set("binary_sensor.kitchen_motion", "off")
    hass.states.async_set("binary_sensor.bedroom_presence", "off")
    await setup_entry(hass, config_entry)
    assert await system_health_info(hass) == {
        "status": "learning",
        "rooms": 2,
        "history_imported": True,
        "last_training": dt_util.utcnow(),
    }


async def test_registration(hass: HomeAssistant) -> None:
    registration = SystemHealthRegistration(hass, "occupancy_prediction")
    async_register(hass, registration)
    assert registration.info_callback is system_health_info
