"""Diagnostics content."""

from __future__ import annotations

from unittest.mock import ANY

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.occupancy_prediction.const import DEFAULT_OPTIONS
from custom_components.occupancy_prediction.engine.ensemble import MEMBERS

from .conftest import setup_entry


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The clock is frozen (not moved: the test client's token must stay valid)."""
    now = dt_util.utcnow()
    assert await async_setup_component(hass, "diagnostics", {})
    hass.states.async_set("binary_sensor.kitchen_motion", "on", {"device_class": "motion"})
    hass.states.async_set("binary_sensor.bedroom_presence", "unavailable")
    await setup_entry(hass, config_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    assert diagnostics == {
        "options": DEFAULT_OPTIONS,
        "status": "degraded",
        "computed_at": now.isoformat(),
        "history_loaded": True,
        "rooms": {
            "kitchen_id": {
                "name": "Kitchen",
                "area_id": None,
                "occupancy_sensors": ["binary_sensor.kitchen_motion"],
                "door_sensors": ["binary_sensor.kitchen_door"],
                "vacancy_delay_s": 300.0,
                "state": "occupied",
                "since": now.isoformat(),
                "episodes_learned": 0,
                "prediction": {"insufficient_history": {"episodes": 0, "needed": 3}},
                "history_days": 0.0,
                "history": {
                    # The door never had a state: logged as "no evidence" from now on.
                    "binary_sensor.kitchen_door": {
                        "changes": 1,
                        "first": now.isoformat(),
                        "complete_until": now.isoformat(),
                    },
                    "binary_sensor.kitchen_motion": {
                        "changes": 1,
                        "first": now.isoformat(),
                        "complete_until": now.isoformat(),
                    },
                },
                "model": {
                    "trained_at": now.isoformat(),
                    "training_seconds": ANY,
                    "episodes": {"occupied": 0, "vacant": 0},
                    # Nothing scored yet: equal weights.
                    "weights": {name: 1 / len(MEMBERS) for name in MEMBERS},
                },
            },
            "bedroom_id": {
                "name": "Bedroom",
                "area_id": None,
                "occupancy_sensors": ["binary_sensor.bedroom_presence"],
                "door_sensors": [],
                "vacancy_delay_s": 300.0,
                "state": "unknown",
                "since": None,
                "episodes_learned": 0,
                "prediction": None,
                "history_days": 0.0,
                "history": {
                    "binary_sensor.bedroom_presence": {
                        "changes": 1,
                        "first": now.isoformat(),
                        "complete_until": now.isoformat(),
                    }
                },
                "model": {
                    "trained_at": now.isoformat(),
                    "training_seconds": ANY,
                    "episodes": {"occupied": 0, "vacant": 0},
                    # Nothing scored yet: equal weights.
                    "weights": {name: 1 / len(MEMBERS) for name in MEMBERS},
                },
            },
        },
    }
