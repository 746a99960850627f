"""Base entities: one device per room subentry, one hub device for the entry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import OccupancyCoordinator, RoomSnapshot
from .engine.occupancy import RoomState
from .room_config import RoomConfig


async def async_add_room_entities(
    coordinator: OccupancyCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
    create: Callable[[RoomConfig], Sequence[Entity]],
) -> None:
    """Add each room's entities to its subentry, one room per event-loop turn.

    Adding an entity (registries, device, first state) costs the loop about
    half a millisecond and does not yield: twenty rooms' entities added at
    once held it for 30-40 ms (and over 100 ms while the history import's
    threads competed for the GIL). Rooms the coordinator follows, even if a
    subentry changed meanwhile (the change reloads the entry); a subentry
    removed while this runs is skipped.
    """
    entry = coordinator.config_entry
    for room_id, room in coordinator.room_configs.items():
        if room_id not in entry.subentries:
            continue
        async_add_entities(list(create(room)), config_subentry_id=room_id)
        await asyncio.sleep(0)


class OccupancyHubEntity(CoordinatorEntity[OccupancyCoordinator]):
    """An entity of the hub device (the config entry itself)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: OccupancyCoordinator, key: str) -> None:
        """Attach the entity to the hub device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Occupancy Prediction",
            model="Hub",
        )


class OccupancyRoomEntity(CoordinatorEntity[OccupancyCoordinator]):
    """An entity of a room's device; unavailable while the room's state is unknown."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: OccupancyCoordinator, room: RoomConfig, key: str) -> None:
        """Attach the entity to the room's device."""
        super().__init__(coordinator)
        self._room_id = room.room_id
        self._attr_translation_key = key
        self._attr_unique_id = f"{room.room_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, room.room_id)},
            name=room.name,
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Occupancy Prediction",
            model="Room",
        )

    @property
    def room(self) -> RoomSnapshot | None:
        """The room's current snapshot, None if the room is gone."""
        return self.coordinator.data.rooms.get(self._room_id)

    @property
    def available(self) -> bool:
        """Available while the room's sensors say something."""
        room = self.room
        return super().available and room is not None and room.state is not RoomState.UNKNOWN
