"""A room's settings, read from its config subentry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .const import (
    CONF_AREA,
    CONF_DOOR_SENSORS,
    CONF_OCCUPANCY_SENSORS,
    CONF_VACANCY_DELAY,
    DEFAULT_VACANCY_DELAY_MIN,
    PRESENCE_DEVICE_CLASSES,
)
from .engine.occupancy import SensorKind


def entity_exists(hass: HomeAssistant, entity_id: str) -> bool:
    """True when ``entity_id`` has a state or an entity registry entry."""
    return (
        hass.states.get(entity_id) is not None
        or er.async_get(hass).async_get(entity_id) is not None
    )


@dataclass(frozen=True, slots=True)
class RoomConfig:
    """One room as configured.

    Attributes:
        room_id: the room subentry's id (stable across renames).
        name: the room's title.
        area_id: the Home Assistant area, if any.
        occupancy_sensors: motion, occupancy or presence binary sensors.
        door_sensors: door binary sensors.
        vacancy_delay: the motion hold, in seconds.
    """

    room_id: str
    name: str
    area_id: str | None
    occupancy_sensors: tuple[str, ...]
    door_sensors: tuple[str, ...]
    vacancy_delay: float

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> RoomConfig:
        """Read a room subentry's data."""
        data: Mapping[str, Any] = subentry.data
        return cls(
            room_id=subentry.subentry_id,
            name=subentry.title,
            area_id=data.get(CONF_AREA) or None,
            occupancy_sensors=tuple(data[CONF_OCCUPANCY_SENSORS]),
            door_sensors=tuple(data.get(CONF_DOOR_SENSORS, ())),
            vacancy_delay=float(data.get(CONF_VACANCY_DELAY, DEFAULT_VACANCY_DELAY_MIN)) * 60,
        )

    @property
    def entity_ids(self) -> tuple[str, ...]:
        """Every sensor of the room."""
        return self.occupancy_sensors + self.door_sensors

    def sensor_kinds(self, hass: HomeAssistant) -> dict[str, SensorKind]:
        """How each sensor is read.

        Door sensors as doors; occupancy and presence device classes as
        presence; anything else (motion, or no class) as motion.

        The device class comes from the entity registry (known even before the
        sensor's integration has set a state), else from the current state.
        """
        registry = er.async_get(hass)
        kinds = dict.fromkeys(self.door_sensors, SensorKind.DOOR)
        for entity_id in self.occupancy_sensors:
            device_class: str | None = None
            if (entry := registry.async_get(entity_id)) is not None:
                device_class = entry.device_class or entry.original_device_class
            elif (state := hass.states.get(entity_id)) is not None:
                device_class = state.attributes.get("device_class")
            kinds[entity_id] = (
                SensorKind.PRESENCE
                if device_class in PRESENCE_DEVICE_CLASSES
                else SensorKind.MOTION
            )
        return kinds
