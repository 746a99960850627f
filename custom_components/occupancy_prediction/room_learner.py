"""What one room has learned, how it keeps learning, and how it is kept.

A :class:`RoomLearner` owns a room's per-sensor evidence logs and its model
(the engine's :class:`EnsembleModel`), loads them from the room's
:class:`RoomStore` at start-up (so predictions are there at once after a
restart), fills the logs from the recorder, and saves after changes. Fitting
runs in the executor; the event loop only appends to the logs, adds finished
episodes to the model incrementally (the hazard member's tables are then
refitted in the executor), scores the members of the room's past predictions
to update the ensemble's weights, and predicts (cached, see :meth:`RoomLearner.predict`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import partial
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import numpy as np

from .const import LOGGER
from .engine.context import Others, Snapshot, Timeline, context_key
from .engine.distribution import RemainingTime
from .engine.ensemble import (
    MEMBERS,
    MIN_EPISODES,
    MODEL_NAME,
    STORAGE_VERSION,
    EnsembleModel,
    MemberForecast,
)
from .engine.episodes import Episode
from .engine.hazard import fit_tables
from .engine.occupancy import KNOWN_STATES, RoomState, SensorKind
from .engine.prediction import HORIZON_SECONDS, InsufficientHistory, Prediction
from .engine.scoring import AccuracyTracker, Score
from .engine.sensor_log import SensorLog, replay_logs
from .engine.timeutil import to_timestamp
from .history import async_import_into_logs
from .room_config import RoomConfig
from .store import RoomData, RoomStore

PREDICTION_MAX_AGE = 55.0
"""Seconds a cached prediction is reused for the same state, ``since`` and model.

Below the coordinator's one-minute refresh, so every refresh predicts afresh,
while the publishes that other rooms' changes cause in between reuse it.
"""

MEMBER_SAMPLE_SECONDS = 900.0
"""Seconds between the member forecasts kept to score (every third accuracy sample).

The cadence at which the benchmark scores the ensemble, and so the one its
forgetting factor and CRPS scale were tuned for.
"""

MAX_MEMBER_SAMPLES = 48
"""Member forecasts kept per room (12 h at ``MEMBER_SAMPLE_SECONDS``); then thinned evenly.

Bounds both the memory (a few hundred kB per room at most) and the work on
the event loop when the episode ends (about 50 us per forecast scored).
"""


def _fit(
    logs: Mapping[str, SensorLog],
    sensors: Mapping[str, SensorKind],
    vacancy_delay: float,
    until: float,
    time_zone: tzinfo,
    *,
    others: Others,
) -> tuple[EnsembleModel, Episode | None, Timeline]:
    """Replay the logs and fit a fresh ensemble (runs in a worker thread).

    Args:
        logs: entity id -> a copy of its evidence log (not touched by the loop).
        sensors: entity id -> kind.
        vacancy_delay: seconds a motion or door sensor holds the room occupied.
        until: POSIX seconds (UTC) up to which the logs are complete.
        time_zone: the home's zone.
        others: the other rooms' timelines by room id (for the context model).

    Returns:
        The ensemble (equal weights: the caller carries the live ones over),
        the episode still going on at ``until`` (None if none) and the room's
        timeline.
    """
    episodes = replay_logs(logs, sensors, vacancy_delay, until)
    model = EnsembleModel(time_zone)
    model.fit(episodes, others)
    return model, episodes[-1] if episodes else None, Timeline(episodes)


def _replay(
    logs: Mapping[str, SensorLog],
    sensors: Mapping[str, SensorKind],
    vacancy_delay: float,
    until: float,
) -> Timeline:
    """The room's timeline from its logs (runs in a worker thread); arguments as :func:`_fit`."""
    return Timeline(replay_logs(logs, sensors, vacancy_delay, until))


@dataclass(frozen=True, slots=True)
class _Cached:
    """The last prediction: what it was made for, when (POSIX s) and its members."""

    key: tuple[object, ...]
    state: RoomState
    made_at: float
    prediction: Prediction | InsufficientHistory
    members: MemberForecast


@dataclass(frozen=True, slots=True)
class _MemberSample:
    """A kept member forecast, made at ``made_at`` (POSIX s) for a room in ``state``."""

    made_at: float
    state: RoomState
    members: MemberForecast


def _compact(members: MemberForecast) -> MemberForecast:
    """The members' distributions in single precision (half the memory; enough to score)."""
    return MemberForecast(
        {
            name: RemainingTime(d.step, d.pmf.astype(np.float32))
            for name, d in members.distributions.items()
        },
        members.interval,
        members.state,
    )


class RoomLearner:
    """One room's logs and model.

    Args:
        hass: the running Home Assistant.
        config: the room's settings.
        sensors: entity id -> kind for the room's sensors.
        time_zone: the home's zone (hours of day are local).

    Attributes:
        model: the fitted ensemble, None until the first training.
        trained_at: when the model was last fitted from scratch (aware UTC).
        training_seconds: how long that took, in seconds.
        imported: whether the recorder's history has been imported.
        accuracy: the live scoring of the room's predictions (saved with it).
        current_episode: the episode going on: as the logs told it at the
            last full training (it may have begun long before a restart), or
            as the live tracker began it since (:meth:`episode_began`). Saved
            with the model, so ``since`` is right at once after a restart.
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
        self.model: EnsembleModel | None = None
        self.trained_at: datetime | None = None
        self.training_seconds: float | None = None
        self.imported = False
        self.accuracy = AccuracyTracker()
        self.current_episode: Episode | None = None
        self.timeline = Timeline()
        self._pending: list[tuple[str, float, str | None]] = []
        # Bumped whenever the model's predictions may change (train, learn, refit, weights).
        self._version = 0
        self._cache: _Cached | None = None
        self._member_samples: list[_MemberSample] = []
        self._member_every = MEMBER_SAMPLE_SECONDS
        self._refitting = False
        self._refit_again = False
        self._refit_task: asyncio.Task[None] | None = None
        self._closed = False
        self._training_since: float | None = None
        self._learned_while_training: list[Episode] = []
        self._began_while_training = False

    @property
    def _model_key(self) -> dict[str, Any]:
        """What a saved model depends on: if any of it changed, the model is stale."""
        return {
            "model": MODEL_NAME,
            "version": STORAGE_VERSION,
            "members": list(MEMBERS),
            "time_zone": str(self._tz),
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
        if saved is None:
            return
        if saved.get("key") != _jsonable(self._model_key):
            # Another model, version, zone or sensor set: retrained after the history import.
            LOGGER.info("Saved model of %s is out of date; retraining", self.config.name)
            return
        try:
            self.model = EnsembleModel.from_dict(self._tz, saved["params"])
            self.trained_at = dt_util.parse_datetime(str(saved.get("trained_at")))
            seconds = saved.get("training_seconds")
            self.training_seconds = float(seconds) if isinstance(seconds, (int, float)) else None
            if (current := saved.get("current_episode")) is not None:
                state, start = current
                self.current_episode = Episode(RoomState(state), float(start), None, None)
        except (ValueError, KeyError, TypeError, OverflowError) as err:
            LOGGER.warning("Saved model of %s is unusable (%s); retraining", self.config.name, err)
            self.model = None
        self._changed(save=False)

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

    async def async_replay(self) -> None:
        """Rebuild the room's timeline from its logs, in the executor.

        The other rooms' context models learn from it; their first training
        after a start needs it before this room's own training has run.
        """
        logs = {entity_id: log.copy() for entity_id, log in self.logs.items()}
        timeline = await self._hass.async_add_executor_job(
            _replay,
            logs,
            dict(self._sensors),
            self.config.vacancy_delay,
            dt_util.utcnow().timestamp(),
        )
        # An episode that began meanwhile is not in the copied logs.
        if self.current_episode is not None:
            timeline = timeline.appended(self.current_episode)
        self.timeline = timeline

    async def async_train(self, others: Mapping[str, Timeline] | None = None) -> None:
        """Fit the model from scratch on every logged episode, in the executor.

        Args:
            others: the other rooms' timelines by room id (for the context model).

        Raises:
            Exception: whatever fitting raised; the previous model stays.
        """
        logs = {entity_id: log.copy() for entity_id, log in self.logs.items()}
        now = dt_util.utcnow()
        started = time.perf_counter()
        self._training_since = now.timestamp()
        self._learned_while_training = []
        self._began_while_training = False
        try:
            model, current, timeline = await self._hass.async_add_executor_job(
                partial(
                    _fit,
                    logs,
                    dict(self._sensors),
                    self.config.vacancy_delay,
                    now.timestamp(),
                    self._tz,
                    others=dict(others or {}),
                )
            )
        finally:
            self._training_since = None
        self.training_seconds = time.perf_counter() - started
        if self.model is not None:
            # The weights and the interval's level are learned online, not from the
            # logs: they carry over.
            model.scores = dict(self.model.scores)
            model.miss_levels = dict(self.model.miss_levels)
        # Episodes that ended after the logs were copied are not in the fit.
        for episode in self._learned_while_training:
            model.learn(episode, others)
            timeline = timeline.appended(episode)
        if self.current_episode is not None:
            timeline = timeline.appended(self.current_episode)
        self.timeline = timeline
        self.model = model
        self.trained_at = now
        if not self._began_while_training:
            self.current_episode = current
        if self._learned_while_training:
            self._schedule_refit()
        self._learned_while_training = []
        self._changed()

    def episode_began(self, state: RoomState, start: float) -> None:
        """The room entered ``state`` at ``start`` (POSIX seconds, UTC), as the live tracker saw."""
        self.current_episode = Episode(state, start, None, None)
        self.timeline = self.timeline.appended(self.current_episode)
        if self._training_since is not None:
            self._began_while_training = True

    def learn(self, episode: Episode, others: Mapping[str, Timeline] | None = None) -> None:
        """Add a live finished episode to every member (cheap, on the loop).

        B2 and the context model predict from it at once (the context model
        reads the other rooms' ``others`` timelines over the episode); the
        hazard member's tables are refitted in the executor (one refit at a
        time, coalesced).
        """
        self.timeline = self.timeline.appended(episode)
        if (
            self._training_since is not None
            and episode.end is not None
            and episode.end > self._training_since
        ):
            # Not in the logs the running fit copied: learned after it, even
            # when there is no model yet (the first training).
            self._learned_while_training.append(episode)
        if self.model is None:
            return
        self.model.learn(episode, others)
        self._changed()
        self._schedule_refit()

    def _schedule_refit(self) -> None:
        """Refit the hazard tables soon; once more after the running refit if one runs."""
        if self._closed:
            return
        if self._refitting:
            self._refit_again = True
            return
        self._refitting = True
        self._refit_task = self._hass.async_create_task(
            self._async_refit_hazard(), f"occupancy_prediction refit {self.config.name}"
        )

    async def _async_refit_hazard(self) -> None:
        """Refit the hazard tables on a snapshot of its counts, in the executor."""
        try:
            while (model := self.model) is not None:
                self._refit_again = False
                fitted = await self._hass.async_add_executor_job(
                    fit_tables, model.hazard.counts_snapshot()
                )
                if model is self.model:
                    model.hazard.use_tables(fitted)
                    self._changed()
                if not self._refit_again:
                    break
        except Exception:  # noqa: BLE001 - the old tables stay; the daily refit tries again
            LOGGER.exception("Refitting the hazard model of %s failed", self.config.name)
        finally:
            self._refitting = False

    def _changed(self, save: bool = True) -> None:
        """The model's predictions may have changed: forget the cached one (and save soon)."""
        self._version += 1
        self._cache = None
        if save:
            self.save_soon()

    def predict(
        self,
        state: RoomState,
        since: datetime,
        now: datetime,
        others: Snapshot | None = None,
        *,
        stale_ok: bool = False,
    ) -> Prediction | InsufficientHistory:
        """The room's prediction at ``now`` for ``state`` entered at ``since`` (aware UTC).

        ``others`` are the other rooms' (state, since in POSIX seconds) now,
        for the context model. This is the one place the coordinator asks for
        a prediction. It is computed afresh (1-2 ms) when the state,
        ``since``, the room's context label or the model changed, or when the
        cached one is ``PREDICTION_MAX_AGE`` seconds old; otherwise the cached
        prediction is returned. With ``stale_ok`` a cached prediction for the
        same state, ``since`` and model is returned even when its context or
        age is out of date (see :meth:`is_fresh`): the coordinator then
        refreshes it soon, one room per loop iteration.

        Raises:
            ValueError: if ``since`` or ``now`` is naive.
        """
        moment = to_timestamp(now)
        key = self._key(state, to_timestamp(since), moment, others)
        if self.model is None:
            return InsufficientHistory(episodes=0, needed=MIN_EPISODES)
        cached = self._cache
        if cached is not None and (
            self._is_fresh(cached, key, moment)
            or (stale_ok and cached.key[:2] == key[:2] and cached.key[3] == key[3])
        ):
            return cached.prediction
        prediction, members = self.model.predict_with_members(state, since, now, others)
        self._cache = _Cached(key, state, moment, prediction, members)
        return prediction

    def _key(
        self, state: RoomState, since: float, moment: float, others: Snapshot | None
    ) -> tuple[RoomState, float, str | None, int]:
        """What a cached prediction is valid for: the context model only reads the label."""
        label = None if others is None else context_key(state, since, moment, others)
        return (state, since, label, self._version)

    @staticmethod
    def _is_fresh(cached: _Cached, key: tuple[object, ...], moment: float) -> bool:
        return cached.key == key and 0.0 <= moment - cached.made_at < PREDICTION_MAX_AGE

    def is_fresh(
        self, state: RoomState, since: datetime, now: datetime, others: Snapshot | None = None
    ) -> bool:
        """Whether :meth:`predict` would answer from its cache (no model: nothing to compute).

        Raises:
            ValueError: if ``since`` or ``now`` is naive.
        """
        moment = to_timestamp(now)
        key = self._key(state, to_timestamp(since), moment, others)
        if self.model is None:
            return True
        cached = self._cache
        return cached is not None and self._is_fresh(cached, key, moment)

    def sample(self, prediction: Prediction, now: datetime) -> None:
        """Keep the room's current prediction for live scoring (every 5 minutes).

        Alongside every third accuracy sample (``MEMBER_SAMPLE_SECONDS``), the
        members' distributions behind it are kept (at most
        ``MAX_MEMBER_SAMPLES``, thinned evenly over a long episode) to score
        them, and so update the weights, once the room changes state
        (:meth:`state_changed`).
        """
        self._settle_members(now.timestamp())
        if not self.accuracy.sample(prediction, now):
            return
        cached = self._cache
        if cached is None or cached.prediction is not prediction:
            return
        samples = self._member_samples
        if samples and cached.made_at - samples[-1].made_at < self._member_every:
            return
        if len(samples) >= MAX_MEMBER_SAMPLES:
            del samples[1::2]
            self._member_every *= 2
        if cached.members.distributions:
            samples.append(_MemberSample(cached.made_at, cached.state, _compact(cached.members)))

    def advance(self, now: datetime) -> None:
        """Let time pass without a prediction to keep; score what the 24 h horizon settles."""
        self.accuracy.advance(now)
        self._settle_members(now.timestamp())

    def _settle_members(self, moment: float) -> None:
        """Score member forecasts that saw no change within 24 h against the 24 h cap."""
        samples = self._member_samples
        settled = 0
        while settled < len(samples) and moment - samples[settled].made_at >= HORIZON_SECONDS:
            settled += 1
        if settled and self.model is not None:
            for sample in samples[:settled]:
                self.model.observe(sample.members, HORIZON_SECONDS)
            self._changed()
        del samples[:settled]

    def state_changed(self, state: RoomState, at: datetime) -> list[Score]:
        """The room entered ``state`` at ``at``: score its kept predictions.

        The accuracy tracker scores the kept predictions; the ensemble scores
        the kept member forecasts of the episode that ended (remaining time
        ``at - made_at`` seconds, capped at 24 h), which updates its weights.
        Forecasts made before an ``unknown`` spell are dropped (censored).

        Returns:
            The scores this added to the accuracy tracker.
        """
        before = len(self.accuracy.scores)
        self.accuracy.state_changed(state, at)
        scores = list(self.accuracy.scores)[before:]
        moment = at.timestamp()
        self._settle_members(moment)
        ended = [s for s in self._member_samples if s.state is not state]
        if ended:
            if state in KNOWN_STATES and self.model is not None:
                for sample in ended:
                    if sample.state in KNOWN_STATES:
                        actual = min(max(moment - sample.made_at, 0.0), HORIZON_SECONDS)
                        self.model.observe(sample.members, actual)
                self._changed()
            self._member_samples = [s for s in self._member_samples if s.state is state]
            self._member_every = MEMBER_SAMPLE_SECONDS
        return scores

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
                "params": self.model.to_dict(),
                "current_episode": None
                if self.current_episode is None
                else [self.current_episode.state.value, self.current_episode.start],
            }
        return RoomData(
            sensors=dict(self.logs), model=model, accuracy=self.accuracy.scores_as_dict()
        )

    def save_soon(self) -> None:
        """Save within a minute, and in any case when Home Assistant stops (not once closed)."""
        if not self._closed:
            self._store.async_delay_save(self._data)

    async def async_close(self) -> None:
        """Stop background work and save for the last time (on unload).

        A refit still running is cancelled, and nothing is saved after this:
        a room deleted at the reload must not get its file back from a
        delayed save of its old learner.
        """
        self._closed = True
        if self._refit_task is not None and not self._refit_task.done():
            self._refit_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refit_task
        await self._store.async_save(self._data())

    async def async_save(self) -> None:
        """Save now."""
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
