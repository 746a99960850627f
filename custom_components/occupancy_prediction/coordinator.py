"""The coordinator: follows every room's sensors, learns and predicts.

Data flows one way: sensor state changes -> :class:`RoomOccupancy` (the
engine's occupancy rules) -> transitions -> episodes -> model -> prediction ->
:class:`OccupancyData` for the entities. The event loop only applies state
changes and reads predictions; model fitting runs in the executor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_entity_registry_updated_event,
    async_track_point_in_utc_time,
    async_track_state_change_event,
    async_track_time_change,
)
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from .const import (
    CONF_COVERAGE_MAX,
    CONF_COVERAGE_MIN,
    CONF_DOOR_SENSORS,
    CONF_HISTORY_DAYS,
    CONF_MAE_THRESHOLD,
    CONF_OCCUPANCY_SENSORS,
    CONF_RETENTION_DAYS,
    CONF_RETRAIN_TIME,
    DEFAULT_OPTIONS,
    DOMAIN,
    LOGGER,
    MIN_HISTORY_DAYS,
    SENSOR_UNAVAILABLE_AFTER,
    SUBENTRY_ROOM,
    UPDATE_INTERVAL,
)
from .engine.context import Timeline
from .engine.drift import DriftEvent, ErrorDrift
from .engine.episodes import Episode
from .engine.occupancy import KNOWN_STATES, RoomOccupancy, RoomState, Transition
from .engine.prediction import InsufficientHistory, Prediction
from .engine.scoring import (
    DAY_SECONDS,
    WEEK_SECONDS,
    AccuracySummary,
    DegradationEvent,
    Score,
)
from .engine.timeutil import from_timestamp
from .repairs import async_set_warning_issue, async_sync_missing_entity_issues
from .room_config import RoomConfig
from .room_learner import RoomLearner
from .store import EntryIndex

type OccupancyConfigEntry = ConfigEntry[OccupancyCoordinator]

ADAPT_EVERY = timedelta(hours=6)
"""A room retrained for degradation or drift is not retrained for that again sooner."""

SIGNAL_DATA_UPDATED: SignalType[OccupancyCoordinator] = SignalType(f"{DOMAIN}_data_updated")
"""Sent with the coordinator after each data update (the websocket streams follow it)."""


class HubStatus(StrEnum):
    """Overall state shown by the hub's Status sensor."""

    LEARNING = "learning"
    READY = "ready"
    DEGRADED = "degraded"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class RoomSnapshot:
    """What the entities show for one room at one moment.

    Attributes:
        state: occupied, vacant or unknown (all sensors unavailable).
        since: when the room entered ``state`` (aware UTC), None if unknown.
        prediction: the next transition, or why there is none; None while the
            room's state is unknown.
        episodes: completed episodes learned from.
        trained_at: when the room's model was last fitted from scratch.
        degradation: accuracy degradation found at the last minute's check.
        drift: concept drift found in the last 24 h, if any.
        scored_24h: predictions scored in the last 24 h.
    """

    state: RoomState
    since: datetime | None
    prediction: Prediction | InsufficientHistory | None
    episodes: int
    trained_at: datetime | None = None
    degradation: tuple[DegradationEvent, ...] = ()
    drift: DriftEvent | None = None
    scored_24h: int = 0


@dataclass(frozen=True, slots=True)
class OccupancyData:
    """The coordinator's data: every room's snapshot and the hub status.

    Attributes:
        computed_at: the moment the predictions were made for (aware UTC).
    """

    rooms: dict[str, RoomSnapshot]
    status: HubStatus
    computed_at: datetime


@dataclass(slots=True)
class _Room:
    """Live state of one room inside the coordinator.

    ``last`` is the transition that began the room's current episode, so the
    next transition closes a finished episode to learn from.
    """

    config: RoomConfig
    tracker: RoomOccupancy
    learner: RoomLearner
    drift: ErrorDrift = field(default_factory=ErrorDrift)
    drift_event: DriftEvent | None = None
    degradation: tuple[DegradationEvent, ...] = ()
    scored_24h: int = 0
    adapted_at: float = float("-inf")
    last: Transition | None = None
    training_failed: bool = False
    hold_timer: CALLBACK_TYPE | None = None


def _recent(event: DriftEvent | None, now: datetime) -> DriftEvent | None:
    """``event`` if it is less than a day old."""
    return event if event is not None and now.timestamp() - event.at < DAY_SECONDS else None


class OccupancyCoordinator(DataUpdateCoordinator[OccupancyData]):
    """Follows the rooms of one config entry and publishes their predictions."""

    config_entry: OccupancyConfigEntry

    def __init__(self, hass: HomeAssistant, entry: OccupancyConfigEntry) -> None:
        """Read the rooms from ``entry``'s room subentries."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=UPDATE_INTERVAL,
        )
        self._rooms: dict[str, _Room] = {}
        self._time_zone = ZoneInfo(hass.config.time_zone)
        self._started_at = dt_util.utcnow()
        self._train_lock = asyncio.Lock()
        self._catch_up: asyncio.Task[None] | None = None
        self._catch_up_again = False
        self.history_loaded = False

    @property
    def room_configs(self) -> dict[str, RoomConfig]:
        """Each room's settings, by room id."""
        return {room_id: room.config for room_id, room in self._rooms.items()}

    @callback
    def async_update_listeners(self) -> None:
        """Update the entities, then whoever follows ``SIGNAL_DATA_UPDATED``."""
        super().async_update_listeners()
        async_dispatcher_send(self.hass, SIGNAL_DATA_UPDATED, self)

    async def async_retrain(self, room_ids: Iterable[str] | None = None) -> list[str]:
        """Refit the models of ``room_ids`` (default: every room) now, one after another.

        Returns:
            The ids of the rooms retrained.

        Raises:
            KeyError: an id is not a room of this entry.
        """
        rooms = (
            list(self._rooms.values()) if room_ids is None else [self._rooms[r] for r in room_ids]
        )
        for room in rooms:
            await self._async_train(room)
        return [room.config.room_id for room in rooms]

    def _option(self, key: str) -> int | float | str:
        value: int | float | str = self.config_entry.options.get(key, DEFAULT_OPTIONS[key])
        return value

    async def _async_setup(self) -> None:
        """Load what each room learned, then follow its sensors from their current states."""
        entry = self.config_entry
        now = self._started_at = dt_util.utcnow()
        for subentry in entry.get_subentries_of_type(SUBENTRY_ROOM):
            config = RoomConfig.from_subentry(subentry)
            kinds = config.sensor_kinds(self.hass)
            learner = RoomLearner(self.hass, config, kinds, self._time_zone)
            await learner.async_load()
            room = _Room(config, RoomOccupancy(kinds, config.vacancy_delay), learner)
            for entity_id in config.entity_ids:
                state = self.hass.states.get(entity_id)
                value = state.state if state else None
                room.tracker.update(entity_id, value, now)
                learner.observe(entity_id, now.timestamp(), value)
            room.last = Transition(now.timestamp(), room.tracker.state)
            room.learner.state_changed(room.tracker.state, now)
            self._rooms[config.room_id] = room
        # Data of rooms deleted since the last start goes now.
        await EntryIndex(self.hass, entry.entry_id).async_keep_only(set(self._rooms))
        async_sync_missing_entity_issues(self.hass, entry, self.room_configs.values())
        entity_ids = [e for room in self._rooms.values() for e in room.config.entity_ids]
        if entity_ids:
            entry.async_on_unload(
                async_track_state_change_event(self.hass, entity_ids, self._async_state_changed)
            )
            entry.async_on_unload(
                async_track_entity_registry_updated_event(
                    self.hass, entity_ids, self._async_registry_updated
                )
            )
        retrain = time.fromisoformat(str(self._option(CONF_RETRAIN_TIME)))
        entry.async_on_unload(
            async_track_time_change(
                self.hass,
                self._async_scheduled_retrain,
                hour=retrain.hour,
                minute=retrain.minute,
                second=retrain.second,
            )
        )
        entry.async_on_unload(self._cancel_hold_timers)
        entry.async_on_unload(async_at_started(self.hass, self._async_start_learning))

    async def async_shutdown(self) -> None:
        """Save every room's learned state when the entry unloads."""
        await super().async_shutdown()
        for room in self._rooms.values():
            await room.learner.async_close()

    async def _async_update_data(self) -> OccupancyData:
        """Re-predict every room for the current time; check for long-unavailable sensors."""
        now = dt_util.utcnow()
        for room in self._rooms.values():
            self._record(room, room.tracker.advance(now))
        self._sync_unavailable_issues(now)
        if self.history_loaded:
            self._sync_history_issues(now)
        threshold = float(self._option(CONF_MAE_THRESHOLD))
        coverage = (
            float(self._option(CONF_COVERAGE_MIN)),
            float(self._option(CONF_COVERAGE_MAX)),
        )
        for room in self._rooms.values():
            room.degradation = tuple(
                room.learner.accuracy.degradation(now, threshold, coverage_range=coverage)
            )
            room.scored_24h = room.learner.accuracy.summary(now, DAY_SECONDS).samples
            self._adapt(room, now)
        await self._async_predict_each(now)
        data = self._snapshot(now)
        for room_id, snapshot in data.rooms.items():
            # Kept every 5 minutes; scored when the room really changes.
            if isinstance(snapshot.prediction, Prediction):
                self._rooms[room_id].learner.sample(snapshot.prediction, now)
            else:
                self._rooms[room_id].learner.advance(now)
        return data

    def _adapt(self, room: _Room, now: datetime) -> None:
        """Retrain a room that degraded or drifted, at most every ``ADAPT_EVERY``."""
        drifted = room.drift_event is not None and room.drift_event.at > room.adapted_at
        if not self.history_loaded or not (room.degradation or drifted):
            return
        if now.timestamp() - room.adapted_at < ADAPT_EVERY.total_seconds():
            return
        room.adapted_at = now.timestamp()
        LOGGER.info("%s: retraining after degraded accuracy or drift", room.config.name)
        self.config_entry.async_create_background_task(
            self.hass, self._async_train(room), f"{DOMAIN} adaptive retrain {room.config.name}"
        )

    @callback
    def _publish(self) -> None:
        """Publish at once: the rooms that changed are predicted afresh, the others soon after.

        Not ``async_set_updated_data``: that would also push the one-minute
        refresh back by a minute, and in a busy home (a change every minute)
        it would never run, nor the accuracy sampling and checks it does.
        """
        self._push(self._snapshot(dt_util.utcnow(), stale_ok=True))
        self._schedule_catch_up()

    def _push(self, data: OccupancyData) -> None:
        """New data for the listeners, leaving the refresh timer alone."""
        self.data = data
        self.async_update_listeners()

    def _snapshot(self, now: datetime, *, stale_ok: bool = False) -> OccupancyData:
        rooms: dict[str, RoomSnapshot] = {}
        for room_id, room in self._rooms.items():
            state = room.tracker.state
            model = room.learner.model
            since = self._since(room)
            prediction = self._predict(room, state, since, now, stale_ok=stale_ok)
            rooms[room_id] = RoomSnapshot(
                state=state,
                since=None
                if since is None or state is RoomState.UNKNOWN
                else from_timestamp(since),
                prediction=prediction,
                episodes=0 if model is None else sum(model.episode_counts.values()),
                trained_at=room.learner.trained_at,
                degradation=room.degradation,
                drift=_recent(room.drift_event, now),
                scored_24h=room.scored_24h,
            )
        return OccupancyData(rooms=rooms, status=self._status(rooms, now), computed_at=now)

    def _predict(
        self,
        room: _Room,
        state: RoomState,
        since: float | None,
        now: datetime,
        *,
        stale_ok: bool = False,
        others: dict[str, tuple[RoomState, float]] | None = None,
    ) -> Prediction | InsufficientHistory | None:
        """The room's prediction at ``now``; None while its state is unknown.

        The only call of the learner's ``predict`` (cached there): whatever
        else a model needs at prediction time is gathered here (``others``
        when the caller has them already). ``stale_ok`` as in
        :meth:`RoomLearner.predict`.
        """
        if state is RoomState.UNKNOWN:
            return None
        return room.learner.predict(
            state,
            from_timestamp(now.timestamp() if since is None else since),
            now,
            self._others_now(room) if others is None else others,
            stale_ok=stale_ok,
        )

    async def _async_predict_each(self, now: datetime) -> bool:
        """Bring every room's cached prediction up to date, one room per loop iteration.

        One ensemble prediction costs 1-2 ms; twenty at once would hold the
        event loop for tens of milliseconds, so the loop gets a turn between
        rooms. Returns whether any room was predicted afresh.
        """
        predicted = False
        for room in list(self._rooms.values()):
            state, since = room.tracker.state, self._since(room)
            if state is RoomState.UNKNOWN:
                continue
            when = from_timestamp(now.timestamp() if since is None else since)
            others = self._others_now(room)
            if room.learner.is_fresh(state, when, now, others):
                continue
            self._predict(room, state, since, now, others=others)
            predicted = True
            await asyncio.sleep(0)
        return predicted

    def _schedule_catch_up(self) -> None:
        """After a publish with stale predictions, refresh them soon (one task at a time).

        A publish while the catch-up runs marks it to go round once more, so
        rooms it had already passed are not left stale until the next refresh.
        """
        self._catch_up_again = True
        if self._catch_up is not None and not self._catch_up.done():
            return
        self._catch_up = self.config_entry.async_create_background_task(
            self.hass, self._async_catch_up(), f"{DOMAIN} prediction catch-up"
        )

    async def _async_catch_up(self) -> None:
        while self._catch_up_again:
            self._catch_up_again = False
            await asyncio.sleep(0)
            now = dt_util.utcnow()
            if await self._async_predict_each(now):
                self._push(self._snapshot(now, stale_ok=True))

    def _others_now(self, room: _Room) -> dict[str, tuple[RoomState, float]]:
        """The other rooms' known states and since when (POSIX s), for the context model."""
        found = {}
        for room_id, other in self._rooms.items():
            if other is room or other.tracker.state not in KNOWN_STATES:
                continue
            since = self._since(other)
            if since is not None:
                found[room_id] = (other.tracker.state, since)
        return found

    def _timelines(self, room: _Room) -> dict[str, Timeline]:
        """The other rooms' timelines (episodes so far), for the context model's learning."""
        return {
            room_id: other.learner.timeline
            for room_id, other in self._rooms.items()
            if other is not room
        }

    @property
    def learners(self) -> dict[str, RoomLearner]:
        """Each room's learner (logs, model, training times), by room id."""
        return {room_id: room.learner for room_id, room in self._rooms.items()}

    def accuracy(
        self, room_id: str, now: datetime, window: str
    ) -> tuple[AccuracySummary, list[Score]]:
        """A room's rolling accuracy over ``window`` (``24h`` or ``7d``) and the scores in it.

        Raises:
            KeyError: for an unknown room or window.
        """
        seconds = {"24h": DAY_SECONDS, "7d": WEEK_SECONDS}[window]
        tracker = self._rooms[room_id].learner.accuracy
        since = now.timestamp() - seconds
        return tracker.summary(now, seconds), [s for s in tracker.scores if s.scored_at > since]

    @property
    def last_trained(self) -> datetime | None:
        """When a room was last fitted from scratch (aware UTC), None if never."""
        times = [r.learner.trained_at for r in self._rooms.values() if r.learner.trained_at]
        return max(times, default=None)

    def _since(self, room: _Room) -> float | None:
        """When the room entered its state: from its logs if nothing changed since start-up.

        The live tracker starts at start-up, so after a restart it would say
        "since the restart"; the logs' replay knows when the episode began.
        """
        since = room.tracker.since
        return None if since is None else self._began(room, room.tracker.state, since)

    def _began(self, room: _Room, state: RoomState, since: float) -> float:
        """When the room's episode of ``state``, live since ``since`` (POSIX s), really began.

        Earlier than ``since`` when ``since`` is the start-up and the room's
        current episode (from the logs' replay at the last training, or saved
        before the restart) is of the same state and already going on.
        """
        episode = room.learner.current_episode
        if (
            since == self._started_at.timestamp()
            and episode is not None
            and episode.state is state
            and episode.end is None
        ):
            return min(since, episode.start)
        return since

    def history_days(self, room_id: str, now: datetime) -> float:
        """Days of evidence kept for a room (0 when none)."""
        start = self._rooms[room_id].learner.history_start()
        return 0.0 if start is None else max(0.0, (now.timestamp() - start) / 86400)

    def _status(self, rooms: dict[str, RoomSnapshot], now: datetime) -> HubStatus:
        if any(room.training_failed for room in self._rooms.values()):
            return HubStatus.ERROR
        if any(snap.state is RoomState.UNKNOWN for snap in rooms.values()):
            return HubStatus.DEGRADED
        if (
            not rooms
            or any(not isinstance(snap.prediction, Prediction) for snap in rooms.values())
            or any(self.history_days(room_id, now) < MIN_HISTORY_DAYS for room_id in rooms)
        ):
            return HubStatus.LEARNING
        return HubStatus.READY

    @callback
    def _async_state_changed(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        new_state = event.data["new_state"]
        value = new_state.state if new_state else None
        timestamp = event.time_fired_timestamp
        if new_state is None:
            # The entity is gone entirely (its registry entry may have gone first).
            async_sync_missing_entity_issues(
                self.hass, self.config_entry, self.room_configs.values()
            )
        changed = False
        for room in self._rooms.values():
            if entity_id not in room.tracker.sensors:
                continue
            room.learner.observe(entity_id, timestamp, value)
            changed |= self._record(
                room, room.tracker.update(entity_id, value, from_timestamp(timestamp))
            )
        if changed:
            self._publish()

    def _record(self, room: _Room, transitions: list[Transition]) -> bool:
        """Learn each finished episode (cheap, incremental) and re-arm the hold timer."""
        for transition in transitions:
            for score in room.learner.state_changed(transition.state, transition.at):
                if (event := room.drift.add(score.error, score.scored_at)) is not None:
                    LOGGER.info("%s: concept drift (%s)", room.config.name, event.detail)
                    room.drift_event = event
            if transition.state is RoomState.UNKNOWN:
                LOGGER.info("%s: every occupancy sensor is unavailable", room.config.name)
            elif room.last is not None and room.last.state is RoomState.UNKNOWN:
                LOGGER.info("%s: occupancy sensors report again", room.config.name)
            if room.last is not None:
                # The first episode after a restart began before it, as the logs tell.
                began = self._began(room, room.last.state, room.last.timestamp)
                room.learner.learn(
                    Episode(room.last.state, began, transition.timestamp, transition.state),
                    self._timelines(room),
                )
            room.learner.episode_began(transition.state, transition.timestamp)
            room.last = transition
        self._arm_hold_timer(room)
        return bool(transitions)

    def _arm_hold_timer(self, room: _Room) -> None:
        if room.hold_timer is not None:
            room.hold_timer()
            room.hold_timer = None
        expiry = room.tracker.next_expiry()
        if expiry is None:
            return

        @callback
        def _expired(now: datetime) -> None:
            room.hold_timer = None
            if self._record(room, room.tracker.advance(now)):
                self._publish()

        room.hold_timer = async_track_point_in_utc_time(self.hass, _expired, from_timestamp(expiry))

    @callback
    def _cancel_hold_timers(self) -> None:
        for room in self._rooms.values():
            if room.hold_timer is not None:
                room.hold_timer()
                room.hold_timer = None

    @callback
    def _async_registry_updated(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        """Follow a renamed sensor in the room's settings; stop counting a removed one."""
        data = event.data
        if data["action"] == "remove":
            now = dt_util.utcnow()
            for room in self._rooms.values():
                if data["entity_id"] in room.tracker.sensors:
                    self._record(room, room.tracker.remove_sensor(data["entity_id"], now))
                    room.learner.forget_sensor(data["entity_id"])
            async_sync_missing_entity_issues(
                self.hass, self.config_entry, self.room_configs.values()
            )
            self._publish()
            return
        if data["action"] != "update" or "old_entity_id" not in data:
            return
        old, new = data["old_entity_id"], data["entity_id"]
        entry = self.config_entry
        for subentry in entry.get_subentries_of_type(SUBENTRY_ROOM):
            updated = {
                key: [new if e == old else e for e in subentry.data.get(key, [])]
                for key in (CONF_OCCUPANCY_SENSORS, CONF_DOOR_SENSORS)
            }
            if any(updated[k] != list(subentry.data.get(k, [])) for k in updated):
                LOGGER.debug("Room %s: sensor %s renamed to %s", subentry.title, old, new)
                # The entry's update listener reloads it with the new entity id.
                self.hass.config_entries.async_update_subentry(
                    entry, subentry, data={**subentry.data, **updated}
                )

    def _sync_unavailable_issues(self, now: datetime) -> None:
        """Open a repair for each sensor without evidence for over an hour; close recovered ones.

        Only ``unavailable``/``unknown`` counts: a sensor that is simply ``on``
        all night is evidence, not a fault (AOD#468).
        """
        for room in self._rooms.values():
            # A room with no evidence at all has a critical sensor_unavailable
            # alert (and its repair) already; per-sensor issues would repeat it.
            whole_room = room.tracker.state is RoomState.UNKNOWN
            for entity_id in room.config.entity_ids:
                issue_id = f"sensor_unavailable_{room.config.room_id}_{entity_id}"
                state = self.hass.states.get(entity_id)
                silent_since = (
                    state.last_changed
                    if state is not None and state.state in ("unavailable", "unknown")
                    else None
                )
                placeholders = None
                if (
                    not whole_room
                    and silent_since is not None
                    and now - silent_since > SENSOR_UNAVAILABLE_AFTER
                ):
                    placeholders = {
                        "room": room.config.name,
                        "entity_id": entity_id,
                        "since": silent_since.isoformat(timespec="minutes"),
                    }
                async_set_warning_issue(self.hass, issue_id, "sensor_unavailable", placeholders)

    def _sync_history_issues(self, now: datetime) -> None:
        """Explain a room with under a week of history with a repair; close it afterwards."""
        keep_days = get_instance(self.hass).keep_days
        for room_id, room in self._rooms.items():
            days = self.history_days(room_id, now)
            async_set_warning_issue(
                self.hass,
                f"insufficient_history_{room_id}",
                "insufficient_history",
                {
                    "room": room.config.name,
                    "days": f"{days:.1f}",
                    "needed": str(MIN_HISTORY_DAYS),
                    "keep_days": str(keep_days),
                }
                if days < MIN_HISTORY_DAYS
                else None,
            )

    @callback
    def _async_start_learning(self, _hass: HomeAssistant) -> None:
        self.config_entry.async_create_background_task(
            self.hass, self._async_learn_history(), f"{DOMAIN} learn history"
        )

    async def _async_learn_history(self) -> None:
        """Bring every room's logs up to date from the recorder, then train each room."""
        days = int(self._option(CONF_HISTORY_DAYS))
        # Up to the moment live tracking began; live states seen since are
        # applied after the import, so nothing overlaps or goes missing.
        end = self._started_at
        for room in self._rooms.values():
            await room.learner.async_import(end - timedelta(days=days), end)
        # Every room's timeline first: each room's context model learns from
        # the others' episodes.
        for room in self._rooms.values():
            await room.learner.async_replay()
        for room in self._rooms.values():
            # Published once below: predicting every room after each room's
            # training cost the loop rooms x rooms predictions.
            await self._async_train(room, publish=False)
        self.history_loaded = True
        now = dt_util.utcnow()
        self._sync_history_issues(now)
        await self._async_predict_each(now)
        self._publish()

    @callback
    def _async_scheduled_retrain(self, _now: datetime) -> None:
        if not self.history_loaded:
            return
        self.config_entry.async_create_background_task(
            self.hass, self.async_retrain(), f"{DOMAIN} scheduled retrain"
        )

    async def _async_train(self, room: _Room, publish: bool = True) -> None:
        """Refit a room from its logs in the executor; one training at a time."""
        retention = timedelta(days=int(self._option(CONF_RETENTION_DAYS)))
        async with self._train_lock:
            room.learner.trim(dt_util.utcnow() - retention)
            try:
                await room.learner.async_train(self._timelines(room))
            except Exception:  # noqa: BLE001 - any fitting bug must not take the room down
                LOGGER.exception("Training failed for room %s", room.config.name)
                room.training_failed = True
            else:
                room.training_failed = False
        if publish:
            self._publish()
