"""What one room has learned, how it keeps learning, and how it is kept.

A :class:`RoomLearner` owns a room's per-sensor evidence logs and its model,
loads them from the room's :class:`RoomStore` at start-up (so predictions are
there at once after a restart), fills the logs from the recorder, and saves
after changes. Fitting runs in the executor; the event loop only appends to
the logs and adds finished episodes to the model incrementally.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .engine.episodes import Episode
from .engine.hourly_median import MODEL_NAME, HourlyMedianModel
from .engine.occupancy import SensorKind
from .engine.scoring import AccuracyTracker
from .engine.sensor_log import SensorLog, replay_logs
from .history import async_import_into_logs
from .room_config import RoomConfig
from .store import RoomData, RoomStore


def _fit(
    logs: Mapping[str, SensorLog],
    sensors: Mapping[str, SensorKind],
    vacancy_delay: float,
    until: float,
    time_zone: tzinfo,
) -> tuple[HourlyMedianModel, Episode | None]:
    """Replay the logs and fit a fresh model (runs in a worker thread).

    Returns:
        The model and the episode still going on at ``until`` (None if none).
    """
    episodes = replay_logs(logs, sensors, vacancy_delay, until)
    model = HourlyMedianModel(time_zone)
    model.fit(episodes)
    return model, episodes[-1] if episodes else None


class RoomLearner:
    """One room's logs and model.

    Args:
        hass: the running Home Assistant.
        config: the room's settings.
        sensors: entity id -> kind for the room's sensors.
        time_zone: the home's zone (hours of day are local).

    Attributes:
        model: the fitted model, None until the first training.
        trained_at: when the model was last fitted from scratch (aware UTC).
        training_seconds: how long that took, in seconds.
        imported: whether the recorder's history has been imported.
        accuracy: the live scoring of the room's predictions (saved with it).
        current_episode: the episode going on at the last full training, as
            the logs tell it (it may have begun long before a restart).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        config: RoomConfig,
        sensors: Mapping[str, SensorKind],
        time_zone: tzinfo,
    ) -> None:
        """Create an empty learner; call :meth:`async_load` next."""
        self._hass = hass
        self.config = config
        self._sensors = dict(sensors)
        self._tz = time_zone
        self._store = RoomStore(hass, config.room_id)
        self.logs: dict[str, SensorLog] = {entity_id: SensorLog() for entity_id in sensors}
        self.model: HourlyMedianModel | None = None
        self.trained_at: datetime | None = None
        self.training_seconds: float | None = None
        self.imported = False
        self.accuracy = AccuracyTracker()
        self.current_episode: Episode | None = None
        self._pending: list[tuple[str, float, str | None]] = []

    @property
    def _model_key(self) -> dict[str, Any]:
        """What a saved model depends on: if any of it changed, the model is stale."""
        return {
            "model": MODEL_NAME,
            "sensors": sorted(self._sensors.items()),
            "vacancy_delay": self.config.vacancy_delay,
        }

    async def async_load(self) -> None:
        """Load the saved logs of the room's current sensors and, if still valid, its model."""
        data = await self._store.async_load()
        if data.accuracy is not None:
            try:
                self.accuracy.restore_scores(data.accuracy)
            except ValueError as err:
                LOGGER.warning("Saved accuracy of %s is unusable (%s)", self.config.name, err)
        for entity_id in self.logs:
            if entity_id in data.sensors:
                self.logs[entity_id] = data.sensors[entity_id]
        saved = data.model
        if saved is None or saved.get("key") != _jsonable(self._model_key):
            return
        try:
            self.model = HourlyMedianModel.from_dict(self._tz, saved["params"])
            self.trained_at = dt_util.parse_datetime(str(saved.get("trained_at")))
            seconds = saved.get("training_seconds")
            self.training_seconds = float(seconds) if isinstance(seconds, (int, float)) else None
        except (ValueError, KeyError) as err:
            LOGGER.warning("Saved model of %s is unusable (%s); retraining", self.config.name, err)
            self.model = None

    def history_start(self) -> float | None:
        """POSIX seconds of the oldest evidence kept for the room, None if none."""
        starts = [t for log in self.logs.values() if (t := log.first_timestamp) is not None]
        return min(starts, default=None)

    def observe(self, entity_id: str, timestamp: float, value: str | None) -> None:
        """Keep a sensor's live state (held back until the history import is done)."""
        if entity_id not in self.logs:
            return
        if not self.imported:
            self._pending.append((entity_id, timestamp, value))
            return
        if self.logs[entity_id].record(timestamp, value):
            self.save_soon()

    def trim(self, before: datetime) -> None:
        """Forget evidence older than ``before`` (the retention limit)."""
        for log in self.logs.values():
            log.trim(before.timestamp())

    def forget_sensor(self, entity_id: str) -> None:
        """Stop logging a sensor that was deleted."""
        self.logs.pop(entity_id, None)
        self._sensors.pop(entity_id, None)

    async def async_import(self, earliest: datetime, end: datetime) -> int:
        """Fill the logs from the recorder up to ``end``, then apply live states seen meanwhile.

        A recorder that fails is logged, not raised: the room then learns from
        what it had stored and from live states (the missed window is not
        retried).

        Returns:
            How many state changes the recorder added.
        """
        try:
            added = await async_import_into_logs(self._hass, self.logs, earliest, end)
        except Exception as err:  # noqa: BLE001 - a recorder failure must not stop learning
            LOGGER.warning(
                "Could not read the history of %s from the recorder (%s); "
                "learning from stored and live states only",
                self.config.name,
                err,
            )
            added = 0
        for entity_id, timestamp, value in self._pending:
            if entity_id in self.logs:
                self.logs[entity_id].record(timestamp, value)
        self._pending.clear()
        self.imported = True
        self.save_soon()
        return added

    async def async_train(self) -> None:
        """Fit the model from scratch on every logged episode, in the executor.

        Raises:
            Exception: whatever fitting raised; the previous model stays.
        """
        logs = {entity_id: log.copy() for entity_id, log in self.logs.items()}
        now = dt_util.utcnow()
        started = time.perf_counter()
        self.model, self.current_episode = await self._hass.async_add_executor_job(
            _fit, logs, dict(self._sensors), self.config.vacancy_delay, now.timestamp(), self._tz
        )
        self.training_seconds = time.perf_counter() - started
        self.trained_at = now
        self.save_soon()

    def learn(self, episode: Episode) -> None:
        """Add a live finished episode to the model (cheap, on the loop)."""
        if self.model is not None:
            self.model.learn(episode)
            self.save_soon()

    def _data(self) -> RoomData:
        if self.imported:
            # While live tracking runs the logs are complete up to now.
            now = dt_util.utcnow().timestamp()
            for log in self.logs.values():
                log.watermark = max(log.watermark or now, now)
        model = None
        if self.model is not None:
            model = {
                "key": _jsonable(self._model_key),
                "trained_at": None if self.trained_at is None else self.trained_at.isoformat(),
                "training_seconds": self.training_seconds,
                "params": self.model.as_dict(),
            }
        return RoomData(
            sensors=dict(self.logs), model=model, accuracy=self.accuracy.scores_as_dict()
        )

    def save_soon(self) -> None:
        """Save within a minute, and in any case when Home Assistant stops."""
        self._store.async_delay_save(self._data)

    async def async_save(self) -> None:
        """Save now (on unload)."""
        await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        """Delete everything stored for the room."""
        await self._store.async_remove()


def _jsonable(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
