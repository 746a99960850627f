"""Constants for the Occupancy Prediction integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "occupancy_prediction"
LOGGER = logging.getLogger(__package__)

SUBENTRY_ROOM: Final = "room"

# Room subentry data.
CONF_AREA: Final = "area"
CONF_OCCUPANCY_SENSORS: Final = "occupancy_sensors"
CONF_DOOR_SENSORS: Final = "door_sensors"
CONF_VACANCY_DELAY: Final = "vacancy_delay"
DEFAULT_VACANCY_DELAY_MIN: Final = 5

# Hub options.
CONF_HISTORY_DAYS: Final = "history_days"
CONF_RETENTION_DAYS: Final = "retention_days"
CONF_RETRAIN_TIME: Final = "retrain_time"
CONF_MAE_THRESHOLD: Final = "mae_threshold"
CONF_COVERAGE_MIN: Final = "coverage_min"
CONF_COVERAGE_MAX: Final = "coverage_max"
CONF_MAX_MESSAGES_PER_MINUTE: Final = "max_messages_per_minute"
CONF_MAX_SUBSCRIPTIONS: Final = "max_subscriptions"
CONF_HEARTBEAT_INTERVAL: Final = "heartbeat_interval"
CONF_ACK_TIMEOUT: Final = "ack_timeout"

DEFAULT_OPTIONS: Final[dict[str, int | float | str]] = {
    CONF_HISTORY_DAYS: 30,
    CONF_RETENTION_DAYS: 365,
    CONF_RETRAIN_TIME: "03:30:00",
    CONF_MAE_THRESHOLD: 45,
    CONF_COVERAGE_MIN: 0.70,
    CONF_COVERAGE_MAX: 0.90,
    CONF_MAX_MESSAGES_PER_MINUTE: 60,
    CONF_MAX_SUBSCRIPTIONS: 500,
    CONF_HEARTBEAT_INTERVAL: 30,
    CONF_ACK_TIMEOUT: 30,
}

PRESENCE_DEVICE_CLASSES: Final = ("occupancy", "presence")
OCCUPANCY_DEVICE_CLASSES: Final = ("motion", "occupancy", "presence")
DOOR_DEVICE_CLASSES: Final = ("door", "garage_door", "opening")

# Below this much history a room is still "learning" and a repair explains why.
MIN_HISTORY_DAYS: Final = 7
# A sensor giving no evidence for this long raises a repair.
SENSOR_UNAVAILABLE_AFTER: Final = timedelta(hours=1)

# Re-predict this often so "time until" and interval bounds stay current.
UPDATE_INTERVAL: Final = timedelta(minutes=1)
