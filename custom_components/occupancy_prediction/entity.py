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

ROOM_SPACING = 0.05
"""Seconds between two rooms' entities at setup (so 1 s for 20 rooms)."""


async def async_add_room_entities(
    coordinator: OccupancyCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
    create: Callable[[RoomConfig], Sequence[Entity]],
) -> None:
    """Add each room's entities to its subentry, ``ROOM_SPACING`` seconds apart.

    Adding an entity (registries, device, first state) costs the loop about
    half a millisecond and does not yield: twenty rooms' entities added at
    once held it for 30-40 ms. Each also gives the recorder a few events to
    write; twenty rooms' worth at once kept its thread busy for 100 ms or
    more, and a thread issuing many short SQLite calls can keep the GIL from
    the event loop that long (benchmarks/history_load.py: longest stall 60-113
    ms at setup without the spacing, 22-34 ms with it). Rooms the coordinator
    follows, even if a subentry changed meanwhile (the change reloads the
    entry); a subentry removed while this runs is skipped.
    """
    entry = coordinator.config_entry
    first = True
    for room_id, room in coordinator.room_configs.items():
        if room_id not in entry.subentries:
            continue
        if not first:
            await asyncio.sleep(ROOM_SPACING)
        first = False
        async_add_entities(list(create(room)), config_subentry_id=room_id)


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
