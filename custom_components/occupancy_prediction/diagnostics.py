"""Diagnostics: settings, rooms, what was learned and the current predictions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .coordinator import OccupancyConfigEntry
from .engine.prediction import InsufficientHistory, Prediction


def _time(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else dt_util.utc_from_timestamp(timestamp)


def _prediction(prediction: Prediction | InsufficientHistory | None) -> dict[str, Any] | None:
    if isinstance(prediction, Prediction):
        return {
            "model": prediction.model,
            "transition_type": prediction.transition_type.value,
            "predicted_time": prediction.predicted_time,
            "interval": [prediction.interval_lower, prediction.interval_upper],
            "confidence": prediction.confidence,
            "occupancy_forecast": dict(prediction.occupancy_forecast),
            "contributions": [
                {"model": c.model, "predicted_time": c.predicted_time, "weight": c.weight}
                for c in prediction.contributions
            ],
        }
    if isinstance(prediction, InsufficientHistory):
        return {
            "insufficient_history": {"episodes": prediction.episodes, "needed": prediction.needed}
        }
    return None


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OccupancyConfigEntry
) -> dict[str, Any]:
    """Return the entry's diagnostics; sensors appear by entity id only, no states."""
    coordinator = entry.runtime_data
    data = coordinator.data
    rooms: dict[str, Any] = {}
    learners = coordinator.learners
    for room_id, config in coordinator.room_configs.items():
        snapshot = data.rooms.get(room_id)
        learner = learners[room_id]
        rooms[room_id] = {
            "name": config.name,
            "area_id": config.area_id,
            "occupancy_sensors": list(config.occupancy_sensors),
            "door_sensors": list(config.door_sensors),
            "vacancy_delay_s": config.vacancy_delay,
            "state": None if snapshot is None else snapshot.state.value,
            "since": None if snapshot is None else snapshot.since,
            "episodes_learned": None if snapshot is None else snapshot.episodes,
            "prediction": None if snapshot is None else _prediction(snapshot.prediction),
            "history_days": round(coordinator.history_days(room_id, data.computed_at), 3),
            "history": {
                entity_id: {
                    "changes": len(log),
                    "first": _time(log.first_timestamp),
                    "complete_until": _time(log.watermark),
                }
                for entity_id, log in learner.logs.items()
            },
            "model": {
                "trained_at": learner.trained_at,
                "training_seconds": learner.training_seconds,
                "episodes": None if learner.model is None else dict(learner.model.episode_counts),
                "weights": None if learner.model is None else learner.model.weights,
            },
        }
    return {
        "options": dict(entry.options),
        "status": data.status.value,
        "computed_at": data.computed_at,
        "history_loaded": coordinator.history_loaded,
        "rooms": rooms,
    }
