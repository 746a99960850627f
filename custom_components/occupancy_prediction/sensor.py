"""Prediction sensors per room and the hub's Status sensor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import (
    HubStatus,
    OccupancyConfigEntry,
    OccupancyCoordinator,
    OccupancyData,
    RoomSnapshot,
)
from .engine.prediction import Prediction
from .entity import OccupancyHubEntity, OccupancyRoomEntity, async_add_room_entities
from .room_config import RoomConfig

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class RoomSensorEntityDescription(SensorEntityDescription):
    """A room sensor: its value (and attributes) from the room's prediction.

    ``value_fn`` gets the prediction and the moment it was made for.
    """

    value_fn: Callable[[Prediction, datetime], float | datetime | None]
    attributes_fn: Callable[[Prediction], dict[str, Any]] | None = None


def _minutes_until(prediction: Prediction, now: datetime) -> float | None:
    if prediction.predicted_time is None:
        return None
    return round((prediction.predicted_time - now).total_seconds() / 60, 1)


def _transition_attributes(prediction: Prediction) -> dict[str, Any]:
    """The next transition's details, in JSON values.

    ``occupancy_forecast`` maps minutes ahead (as strings, as JSON keys read
    back) to P(occupied) then; ``contributions`` lists each ensemble member's
    own predicted time (ISO, UTC; None beyond 24 h) and its weight.
    """
    return {
        "transition_type": prediction.transition_type.value,
        "confidence": round(prediction.confidence, 3),
        "interval_lower": prediction.interval_lower.isoformat(),
        "interval_upper": prediction.interval_upper.isoformat(),
        "model": prediction.model,
        "occupancy_forecast": {
            str(minutes): round(probability, 3)
            for minutes, probability in sorted(prediction.occupancy_forecast.items())
        },
        "contributions": [
            {
                "model": c.model,
                "predicted_time": None
                if c.predicted_time is None
                else c.predicted_time.isoformat(),
                "weight": round(c.weight, 3),
            }
            for c in prediction.contributions
        ],
    }


ROOM_SENSORS: tuple[RoomSensorEntityDescription, ...] = (
    RoomSensorEntityDescription(
        key="next_transition",
        translation_key="next_transition",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda prediction, _now: prediction.predicted_time,
        attributes_fn=_transition_attributes,
    ),
    RoomSensorEntityDescription(
        key="time_until_transition",
        translation_key="time_until_transition",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=_minutes_until,
    ),
    RoomSensorEntityDescription(
        key="prediction_confidence",
        translation_key="prediction_confidence",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda prediction, _now: round(prediction.confidence * 100, 1),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OccupancyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the hub's Status sensor and each room's prediction sensors."""
    coordinator = entry.runtime_data
    async_add_entities([OccupancyStatusSensor(coordinator)])
    await async_add_room_entities(
        coordinator,
        async_add_entities,
        lambda room: [
            RoomPredictionSensor(coordinator, room, description) for description in ROOM_SENSORS
        ],
    )


class RoomPredictionSensor(OccupancyRoomEntity, SensorEntity):
    """A value of a room's prediction; unknown while the room is still learning."""

    entity_description: RoomSensorEntityDescription
    # Change with every prediction and say nothing the recorder needs to keep.
    _unrecorded_attributes = frozenset({"occupancy_forecast", "contributions"})

    def __init__(
        self,
        coordinator: OccupancyCoordinator,
        room: RoomConfig,
        description: RoomSensorEntityDescription,
    ) -> None:
        """Create the sensor for ``room``."""
        super().__init__(coordinator, room, description.key)
        self.entity_description = description

    def _prediction(self) -> Prediction | None:
        room: RoomSnapshot | None = self.room
        if room is None or not isinstance(room.prediction, Prediction):
            return None
        return room.prediction

    @property
    def native_value(self) -> float | datetime | None:
        """The value, or None (unknown) without a prediction."""
        if (prediction := self._prediction()) is None:
            return None
        return self.entity_description.value_fn(prediction, self.coordinator.data.computed_at)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The next transition sensor's details: type, confidence, interval, forecast, members."""
        attributes_fn = self.entity_description.attributes_fn
        if attributes_fn is None or (prediction := self._prediction()) is None:
            return None
        return attributes_fn(prediction)


class OccupancyStatusSensor(OccupancyHubEntity, SensorEntity):
    """Overall status: learning, ready, degraded or error."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_options: list[str] | None = [status.value for status in HubStatus]  # noqa: RUF012

    def __init__(self, coordinator: OccupancyCoordinator) -> None:
        """Create the hub's Status sensor."""
        super().__init__(coordinator, "status")

    @property
    def native_value(self) -> str:
        """The current hub status."""
        data: OccupancyData = self.coordinator.data
        return data.status.value
