"""Persistence of what each room has learned, in Home Assistant's ``.storage``.

One file per room (``occupancy_prediction.room.<room id>``), so deleting a room
deletes exactly its data and a room re-added under the same name starts fresh
(it gets a new subentry id). A file that is not valid JSON is moved aside by
Home Assistant's ``Store`` itself; a file that is valid JSON but not ours (or
damaged) is moved aside here, with a warning, and learning starts again from
the recorder. Loading never raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .engine.sensor_log import SensorLog

STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 1
SAVE_DELAY = 60  # seconds: batch the saves of a busy room


@dataclass(slots=True)
class RoomData:
    """What is stored for one room.

    Attributes:
        sensors: entity id -> that sensor's evidence log.
        model: the room's saved model (opaque to the store), or None.
        accuracy: the room's scored predictions (opaque to the store), or None.
    """

    sensors: dict[str, SensorLog] = field(default_factory=dict)
    model: dict[str, Any] | None = None
    accuracy: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "sensors": {eid: log.as_dict() for eid, log in self.sensors.items()},
            "model": self.model,
            "accuracy": self.accuracy,
        }

    @classmethod
    def from_dict(cls, data: Any) -> RoomData:
        """Rebuild from :meth:`as_dict` output.

        Raises:
            ValueError: if ``data`` is not in that form.
        """
        if not isinstance(data, dict) or not isinstance(data.get("sensors"), dict):
            raise ValueError("room data has no 'sensors' mapping")
        model = data.get("model")
        accuracy = data.get("accuracy")
        if any(part is not None and not isinstance(part, dict) for part in (model, accuracy)):
            raise ValueError("room data 'model' or 'accuracy' is not a mapping")
        return cls(
            sensors={str(eid): SensorLog.from_dict(raw) for eid, raw in data["sensors"].items()},
            model=model,
            accuracy=accuracy,
        )


class _VersionedStore(Store[dict[str, Any]]):
    """``Store`` with our migration hook."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        """Bring older data to the current version (only version 1.x exists so far)."""
        if old_major_version > STORAGE_VERSION:
            raise NotImplementedError
        return old_data


def room_store_key(room_id: str) -> str:
    """The ``.storage`` key of a room's file."""
    return f"{DOMAIN}.room.{room_id}"


class RoomStore:
    """Loads and saves one room's :class:`RoomData`.

    Args:
        hass: the running Home Assistant.
        room_id: the room subentry's id.
    """

    def __init__(self, hass: HomeAssistant, room_id: str) -> None:
        """Create the store; nothing is read until :meth:`async_load`."""
        self._hass = hass
        self._store = _VersionedStore(
            hass,
            STORAGE_VERSION,
            room_store_key(room_id),
            private=True,
            atomic_writes=True,
            minor_version=STORAGE_MINOR_VERSION,
        )

    async def async_load(self) -> RoomData:
        """Return the stored data, or empty data if there is none or it is unusable."""
        try:
            raw = await self._store.async_load()
        except HomeAssistantError as err:
            LOGGER.warning("Cannot read %s (%s); learning starts again", self._store.key, err)
            return RoomData()
        if raw is None:
            return RoomData()
        try:
            # Decoding a year of several chatty sensors is worth keeping off the loop.
            return await self._hass.async_add_executor_job(RoomData.from_dict, raw)
        except ValueError as err:
            await self._async_move_aside(raw, err)
            return RoomData()

    async def _async_move_aside(self, raw: Any, err: ValueError) -> None:
        aside_key = f"{self._store.key}.corrupt.{dt_util.utcnow().strftime('%Y%m%dT%H%M%S')}"
        LOGGER.warning(
            "Stored data %s is damaged (%s); it was moved aside as %s and learning starts "
            "again from the recorder",
            self._store.key,
            err,
            aside_key,
        )
        await Store[Any](self._hass, STORAGE_VERSION, aside_key, private=True).async_save(raw)
        await self._store.async_remove()

    def async_delay_save(self, data_func: Callable[[], RoomData]) -> None:
        """Save soon (batched), and in any case when Home Assistant stops."""
        self._store.async_delay_save(lambda: data_func().as_dict(), SAVE_DELAY)

    async def async_save(self, data: RoomData) -> None:
        """Save now."""
        await self._store.async_save(data.as_dict())

    async def async_remove(self) -> None:
        """Delete the room's file."""
        await self._store.async_remove()


class EntryIndex:
    """Which rooms have stored data, so data of deleted rooms can be removed.

    Args:
        hass: the running Home Assistant.
        entry_id: the hub entry's id.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the index store."""
        self._hass = hass
        self._store = Store[dict[str, Any]](
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.rooms", private=True
        )

    async def async_stored_rooms(self) -> set[str]:
        """Room ids that may have data stored (empty if the index is unreadable)."""
        try:
            data = await self._store.async_load()
        except HomeAssistantError as err:
            LOGGER.warning("Cannot read %s (%s)", self._store.key, err)
            return set()
        rooms = data.get("rooms") if isinstance(data, dict) else None
        return {str(room) for room in rooms} if isinstance(rooms, list) else set()

    async def async_keep_only(self, room_ids: set[str]) -> None:
        """Delete the data of every stored room not in ``room_ids``, then record ``room_ids``."""
        for room_id in await self.async_stored_rooms() - room_ids:
            await RoomStore(self._hass, room_id).async_remove()
        await self._store.async_save({"rooms": sorted(room_ids)})

    async def async_remove_all(self) -> None:
        """Delete every room's data and the index itself."""
        await self.async_keep_only(set())
        await self._store.async_remove()
