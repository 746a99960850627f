"""Live occupancy of each room."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import OccupancyConfigEntry, OccupancyCoordinator
from .engine.occupancy import RoomState
from .entity import OccupancyRoomEntity, async_add_room_entities
from .room_config import RoomConfig

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OccupancyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each room's Occupancy binary sensor."""
    coordinator = entry.runtime_data
    await async_add_room_entities(
        coordinator, async_add_entities, lambda room: [RoomOccupancySensor(coordinator, room)]
    )


class RoomOccupancySensor(OccupancyRoomEntity, BinarySensorEntity):
    """On while the room is occupied by the room's occupancy rules."""

    _attr_device_class = BinarySensorDeviceClass.OCCUPANCY

    def __init__(self, coordinator: OccupancyCoordinator, room: RoomConfig) -> None:
        """Create the sensor for ``room``."""
        super().__init__(coordinator, room, "occupancy")

    @property
    def is_on(self) -> bool | None:
        """True when occupied, False when vacant."""
        room = self.room
        if room is None or room.state is RoomState.UNKNOWN:
            return None
        return room.state is RoomState.OCCUPIED

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """When the room entered its current state."""
        room = self.room
        since: datetime | None = room.since if room is not None else None
        return None if since is None else {"since": since.isoformat()}
