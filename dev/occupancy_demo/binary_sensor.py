"""One presence binary sensor per room of the replayed household."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import DOMAIN, DemoHome, entity_id_for


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add a presence sensor for every room of the household."""
    home: DemoHome = hass.data[DOMAIN]
    sensors = [DemoPresenceSensor(home, key, name) for key, name in home.rooms.items()]
    home.sensors = {sensor.room_key: sensor for sensor in sensors}
    async_add_entities(sensors)


class DemoPresenceSensor(BinarySensorEntity):
    """On while the replayed resident is in (or just left) the room."""

    _attr_device_class = BinarySensorDeviceClass.PRESENCE
    _attr_should_poll = False

    def __init__(self, home: DemoHome, room_key: str, room_name: str) -> None:
        """Create the sensor of room ``room_key``."""
        self._home = home
        self.room_key = room_key
        self.entity_id = entity_id_for(room_key)
        self._attr_unique_id = f"{DOMAIN}_{room_key}"
        self._attr_name = f"Demo {room_name.lower()} presence"

    @property
    def is_on(self) -> bool:
        """Whether the resident is in the room right now (replay time)."""
        return self._home.states.get(self.room_key, False)
