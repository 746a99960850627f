"""Fixtures shared by the Home Assistant tests."""

from __future__ import annotations

from collections.abc import Generator
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator

from custom_components.occupancy_prediction.const import (
    CONF_AREA,
    CONF_DOOR_SENSORS,
    CONF_OCCUPANCY_SENSORS,
    CONF_VACANCY_DELAY,
    DEFAULT_OPTIONS,
    DOMAIN,
    SUBENTRY_ROOM,
)

# The plugin turns SQL echo on for every test; it drowns the test output.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture
async def mock_recorder_before_hass(
    async_setup_recorder_instance: RecorderInstanceGenerator,
) -> None:
    """Resolve the recorder fixtures before hass is created."""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Any, enable_custom_integrations: None
) -> Generator[None]:
    """Every test gets a real (in-memory) recorder and our custom integration."""
    return


@pytest.fixture(autouse=True)
def no_room_spacing() -> Generator[None]:
    """Rooms' entities one loop turn apart, not 50 ms: frozen-time tests would never wake.

    ``test_rooms_entities_are_spaced_in_time`` checks the real spacing.
    """
    with patch("custom_components.occupancy_prediction.entity.ROOM_SPACING", 0):
        yield


def room_subentry(
    subentry_id: str,
    title: str,
    occupancy: list[str],
    *,
    doors: list[str] | None = None,
    delay: int = 5,
    area: str | None = None,
) -> dict[str, Any]:
    """Subentry data for a room, as MockConfigEntry takes it."""
    return {
        "subentry_id": subentry_id,
        "subentry_type": SUBENTRY_ROOM,
        "title": title,
        "unique_id": None,
        "data": {
            CONF_AREA: area,
            CONF_OCCUPANCY_SENSORS: occupancy,
            CONF_DOOR_SENSORS: doors or [],
            CONF_VACANCY_DELAY: delay,
        },
    }


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """A hub entry with a kitchen (motion + door) and a bedroom (presence)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Occupancy Prediction",
        data={},
        options=dict(DEFAULT_OPTIONS),
        subentries_data=[
            room_subentry(
                "kitchen_id",
                "Kitchen",
                ["binary_sensor.kitchen_motion"],
                doors=["binary_sensor.kitchen_door"],
            ),
            room_subentry("bedroom_id", "Bedroom", ["binary_sensor.bedroom_presence"]),
        ],
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up ``entry``, waiting for the history import too."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
