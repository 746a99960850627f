"""Room occupancy from binary sensor states: the one implementation of the rules.

The live Home Assistant path and the history import both feed sensor states
through :class:`RoomOccupancy`, so a room is occupied by exactly the same rules
whether the states arrive now or come from the recorder.

Rules (each has a test in ``tests/engine/test_occupancy.py``):

* A presence or occupancy sensor makes the room occupied exactly while it is
  ``on``.
* A motion sensor makes the room occupied while it is ``on`` and for the
  vacancy delay after an observed ``on`` -> ``off`` change (the hold).
  Repeated ``off`` updates do not restart the hold.
* A door sensor never makes a room occupied on its own state; an observed
  open/close change counts as activity and holds the room occupied for the
  vacancy delay, like a motion pulse.
* ``unavailable``, ``unknown``, a missing state or any other value gives no
  evidence and is never carried forward: a sensor that leaves ``on`` for
  ``unavailable`` leaves no hold behind, and one that becomes unavailable
  drops its hold.
* A room whose presence and motion sensors all give no evidence is
  ``unknown``, not vacant.
* Times never run backwards: an update stamped before the previous one (a
  clock jump) is taken as happening at the previous update's time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .timeutil import from_timestamp, to_timestamp

STATE_ON = "on"
STATE_OFF = "off"


class SensorKind(StrEnum):
    """How a sensor's state is read as occupancy evidence."""

    PRESENCE = "presence"
    MOTION = "motion"
    DOOR = "door"


class RoomState(StrEnum):
    """The derived state of a room."""

    OCCUPIED = "occupied"
    VACANT = "vacant"
    UNKNOWN = "unknown"


KNOWN_STATES = (RoomState.OCCUPIED, RoomState.VACANT)
"""The states a room can predictably change between."""

NEXT_STATE = {RoomState.OCCUPIED: RoomState.VACANT, RoomState.VACANT: RoomState.OCCUPIED}
"""The state a room in a known state enters next."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of a room's state.

    Attributes:
        timestamp: when the room entered ``state``, POSIX seconds (UTC).
        state: the state entered.
    """

    timestamp: float
    state: RoomState

    @property
    def at(self) -> datetime:
        """The moment of the change as an aware UTC datetime."""
        return from_timestamp(self.timestamp)


class RoomOccupancy:
    """Tracks one room's occupancy from its sensors' successive states.

    Args:
        sensors: entity id -> how that sensor is read.
        vacancy_delay: the motion and door hold, in seconds (>= 0).

    Raises:
        ValueError: for a negative vacancy delay.
    """

    def __init__(self, sensors: Mapping[str, SensorKind], vacancy_delay: float) -> None:
        """Start with every sensor unknown, so the room is unknown."""
        if vacancy_delay < 0:
            raise ValueError(f"vacancy delay must be >= 0 seconds, got {vacancy_delay}")
        self._kinds: dict[str, SensorKind] = dict(sensors)
        self._delay = float(vacancy_delay)
        # True for on, False for off; absent when the sensor gives no evidence.
        self._on: dict[str, bool] = {}
        self._hold_until: dict[str, float] = {}
        self._last = float("-inf")
        self.state = RoomState.UNKNOWN
        self.since: float | None = None

    @property
    def sensors(self) -> Mapping[str, SensorKind]:
        """The sensors followed, entity id -> kind."""
        return self._kinds

    def update(self, entity_id: str, value: str | None, at: datetime) -> list[Transition]:
        """Apply a sensor's new state and return the room's resulting transitions.

        Args:
            entity_id: a sensor given to the constructor; others are ignored.
            value: the new state string (``on``/``off``; anything else, or None
                for a removed entity, is no evidence).
            at: when the sensor changed, an aware datetime.

        Returns:
            The transitions this caused, oldest first: a hold that expired
            before ``at`` comes first, then the change at ``at`` if any.

        Raises:
            ValueError: if ``at`` is naive.
        """
        return self.update_ts(entity_id, value, to_timestamp(at))

    def update_ts(self, entity_id: str, value: str | None, timestamp: float) -> list[Transition]:
        """Like :meth:`update` with ``timestamp`` in POSIX seconds (UTC)."""
        kind = self._kinds.get(entity_id)
        if kind is None:
            return []
        now = max(timestamp, self._last)
        transitions = self._expire(now)
        was_on = self._on.get(entity_id)
        is_on = {STATE_ON: True, STATE_OFF: False}.get(value) if value is not None else None
        if is_on is None:
            self._on.pop(entity_id, None)
            self._hold_until.pop(entity_id, None)
        else:
            self._on[entity_id] = is_on
            changed = was_on is not None and was_on != is_on
            if (kind is SensorKind.MOTION and was_on and not is_on) or (
                kind is SensorKind.DOOR and changed
            ):
                self._hold_until[entity_id] = now + self._delay
        self._last = now
        transitions.extend(self._settle(now))
        return transitions

    def remove_sensor(self, entity_id: str, at: datetime) -> list[Transition]:
        """Stop following ``entity_id`` (deleted entity) and return any transition."""
        now = max(to_timestamp(at), self._last)
        transitions = self._expire(now)
        self._kinds.pop(entity_id, None)
        self._on.pop(entity_id, None)
        self._hold_until.pop(entity_id, None)
        self._last = now
        transitions.extend(self._settle(now))
        return transitions

    def advance(self, at: datetime) -> list[Transition]:
        """Let time pass to ``at`` and return the transitions of holds that expired."""
        return self.advance_ts(to_timestamp(at))

    def advance_ts(self, timestamp: float) -> list[Transition]:
        """Like :meth:`advance` with ``timestamp`` in POSIX seconds (UTC)."""
        now = max(timestamp, self._last)
        transitions = self._expire(now)
        self._last = now
        return transitions

    def next_expiry(self) -> float | None:
        """When the room will turn vacant if nothing else happens, POSIX seconds.

        None when no hold is what keeps the room occupied.
        """
        if self.state is not RoomState.OCCUPIED or self._any_on():
            return None
        return max(self._hold_until.values(), default=None)

    def _evidence_known(self) -> bool:
        return any(self._kinds[e] is not SensorKind.DOOR for e in self._on)

    def _any_on(self) -> bool:
        return any(on and self._kinds[e] is not SensorKind.DOOR for e, on in self._on.items())

    def _evaluate(self, now: float) -> RoomState:
        if not self._evidence_known():
            return RoomState.UNKNOWN
        if self._any_on():
            return RoomState.OCCUPIED
        if any(until > now for until in self._hold_until.values()):
            return RoomState.OCCUPIED
        return RoomState.VACANT

    def _expire(self, now: float) -> list[Transition]:
        """Close a hold that ran out at or before ``now``, at the moment it ran out."""
        expiry = self.next_expiry()
        self._hold_until = {e: u for e, u in self._hold_until.items() if u > now}
        if expiry is None or expiry > now:
            return []
        return self._enter(RoomState.VACANT, expiry)

    def _settle(self, now: float) -> list[Transition]:
        return self._enter(self._evaluate(now), now)

    def _enter(self, state: RoomState, timestamp: float) -> list[Transition]:
        if state is self.state:
            return []
        self.state = state
        self.since = timestamp
        return [Transition(timestamp, state)]
