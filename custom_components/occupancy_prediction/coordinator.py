"""The coordinator: follows every room's sensors, learns and predicts.

Data flows one way: sensor state changes -> :class:`RoomOccupancy` (the
engine's occupancy rules) -> transitions -> episodes -> model -> prediction ->
:class:`OccupancyData` for the entities. The event loop only applies state
changes and reads predictions; model fitting runs in the executor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from homeassistant.helpers.event import (
    async_track_entity_registry_updated_event,
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    CONF_DOOR_SENSORS,
    CONF_HISTORY_DAYS,
    CONF_OCCUPANCY_SENSORS,
    DEFAULT_OPTIONS,
    DOMAIN,
    LOGGER,
    SUBENTRY_ROOM,
    UPDATE_INTERVAL,
)
from .engine.episodes import Episode, episodes_from_transitions, transitions_from_events
from .engine.hourly_median import MIN_EPISODES, HourlyMedianModel
from .engine.occupancy import RoomOccupancy, RoomState, Transition
from .engine.prediction import InsufficientHistory, Prediction
from .engine.timeutil import from_timestamp
from .history import async_load_sensor_events
from .room_config import RoomConfig

type OccupancyConfigEntry = ConfigEntry[OccupancyCoordinator]


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
    """

    state: RoomState
    since: datetime | None
    prediction: Prediction | InsufficientHistory | None
    episodes: int


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
    """Live state of one room inside the coordinator."""

    config: RoomConfig
    tracker: RoomOccupancy
    history: list[Transition] = field(default_factory=list)
    live: list[Transition] = field(default_factory=list)
    model: HourlyMedianModel | None = None
    training_failed: bool = False
    hold_timer: CALLBACK_TYPE | None = None

    def episodes(self) -> list[Episode]:
        return episodes_from_transitions(self.history + self.live)


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
        self.history_loaded = False

    @property
    def room_configs(self) -> dict[str, RoomConfig]:
        """Each room's settings, by room id."""
        return {room_id: room.config for room_id, room in self._rooms.items()}

    async def _async_setup(self) -> None:
        """Start following the rooms' sensors from their current states."""
        entry = self.config_entry
        now = self._started_at = dt_util.utcnow()
        for subentry in entry.get_subentries_of_type(SUBENTRY_ROOM):
            config = RoomConfig.from_subentry(subentry)
            room = _Room(
                config, RoomOccupancy(config.sensor_kinds(self.hass), config.vacancy_delay)
            )
            for entity_id in config.entity_ids:
                state = self.hass.states.get(entity_id)
                room.live.extend(
                    room.tracker.update(entity_id, state.state if state else None, now)
                )
            self._rooms[config.room_id] = room
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
        entry.async_on_unload(self._cancel_hold_timers)
        entry.async_on_unload(async_at_started(self.hass, self._async_start_learning))

    async def _async_update_data(self) -> OccupancyData:
        """Re-predict every room for the current time."""
        now = dt_util.utcnow()
        for room in self._rooms.values():
            room.live.extend(room.tracker.advance(now))
        return self._snapshot(now)

    @callback
    def _publish(self) -> None:
        self.async_set_updated_data(self._snapshot(dt_util.utcnow()))

    def _snapshot(self, now: datetime) -> OccupancyData:
        rooms: dict[str, RoomSnapshot] = {}
        for room_id, room in self._rooms.items():
            state = room.tracker.state
            prediction: Prediction | InsufficientHistory | None = None
            episodes = 0
            if room.model is not None:
                episodes = sum(room.model.episode_counts.values())
            if state is not RoomState.UNKNOWN:
                prediction = (
                    room.model.predict(state, now)
                    if room.model is not None
                    else InsufficientHistory(episodes=0, needed=MIN_EPISODES)
                )
            since = room.tracker.since
            rooms[room_id] = RoomSnapshot(
                state=state,
                since=None
                if since is None or state is RoomState.UNKNOWN
                else from_timestamp(since),
                prediction=prediction,
                episodes=episodes,
            )
        return OccupancyData(rooms=rooms, status=self._status(rooms), computed_at=now)

    def _status(self, rooms: dict[str, RoomSnapshot]) -> HubStatus:
        if any(room.training_failed for room in self._rooms.values()):
            return HubStatus.ERROR
        if any(snap.state is RoomState.UNKNOWN for snap in rooms.values()):
            return HubStatus.DEGRADED
        if not rooms or any(not isinstance(snap.prediction, Prediction) for snap in rooms.values()):
            return HubStatus.LEARNING
        return HubStatus.READY

    @callback
    def _async_state_changed(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        new_state = event.data["new_state"]
        at = from_timestamp(event.time_fired_timestamp)
        changed = False
        for room in self._rooms.values():
            if entity_id not in room.tracker.sensors:
                continue
            transitions = room.tracker.update(entity_id, new_state.state if new_state else None, at)
            changed |= self._record(room, transitions)
        if changed:
            self._publish()

    def _record(self, room: _Room, transitions: list[Transition]) -> bool:
        """Keep a room's new transitions, re-arm its hold timer, retrain on a finished episode."""
        room.live.extend(transitions)
        self._arm_hold_timer(room)
        known = (RoomState.OCCUPIED, RoomState.VACANT)
        if any(t.state in known for t in transitions) and self.history_loaded:
            self.config_entry.async_create_background_task(
                self.hass, self._async_train(room), f"{DOMAIN} train {room.config.name}"
            )
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
                    room.live.extend(room.tracker.remove_sensor(data["entity_id"], now))
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

    @callback
    def _async_start_learning(self, _hass: HomeAssistant) -> None:
        self.config_entry.async_create_background_task(
            self.hass, self._async_learn_history(), f"{DOMAIN} learn history"
        )

    async def _async_learn_history(self) -> None:
        """Replay the recorder's history of every room, then train each room."""
        days = int(
            self.config_entry.options.get(CONF_HISTORY_DAYS, DEFAULT_OPTIONS[CONF_HISTORY_DAYS])
        )
        # Up to the moment live tracking began, so history and live transitions
        # join without overlapping.
        end = self._started_at
        start = end - timedelta(days=days)
        for room in self._rooms.values():
            events = await async_load_sensor_events(self.hass, room.config.entity_ids, start, end)
            room.history = transitions_from_events(
                events, room.tracker.sensors, room.config.vacancy_delay, until=end.timestamp()
            )
            await self._async_train(room)
        self.history_loaded = True
        self._publish()

    async def _async_train(self, room: _Room) -> None:
        """Fit the room's model on its episodes in the executor."""
        episodes = room.episodes()
        model = HourlyMedianModel(self._time_zone)
        try:
            await self.hass.async_add_executor_job(model.fit, episodes)
        except Exception:  # noqa: BLE001 - any fitting bug must not take the room down
            LOGGER.exception("Training failed for room %s", room.config.name)
            room.training_failed = True
        else:
            room.model = model
            room.training_failed = False
        self._publish()
