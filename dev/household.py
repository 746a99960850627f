"""A demo household: who was in which room, minute by minute, and its sensor events.

Both demo sources (the real CASAS Aruba home and the synthetic household)
produce the same thing: a per-minute room location of one resident. From it
come one presence sensor per room (on while the resident is in the room, held
on for a few minutes after she leaves, as a real presence sensor with a hold
time does), and the sensor events are placed on the real calendar so that
the history ends "now" with weekdays and times of day aligned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

MINUTE = 60
WEEK = timedelta(days=7)
DEFAULT_HOLD_MINUTES = 10
"""How long a demo presence sensor stays on after the resident left the room.

The location data flickers minute to minute (the room whose sensors fired
last); the CASAS Aruba notes recommend a 10-minute hold for an HA-like
occupancy signal.
"""


@dataclass(frozen=True, slots=True)
class Room:
    """One room of a demo household.

    Attributes:
        key: short identifier used in entity ids (``binary_sensor.demo_<key>_presence``).
        name: human name, used as the Occupancy Prediction room name.
    """

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Household:
    """A resident's room, minute by minute.

    Attributes:
        title: what the demo is called in logs and on the dashboard.
        synthetic: True for generated data; real recordings are False.
        start: local wall-clock time of minute 0 (naive).
        time_zone: IANA zone of ``start`` (the home's zone).
        rooms: the rooms that get a presence sensor.
        location: per minute, the key of the room the resident was in, or None
            (another room, a hallway, or away).
        source: where the data came from (a path or "generated").
    """

    title: str
    synthetic: bool
    start: datetime
    time_zone: str
    rooms: tuple[Room, ...]
    location: Sequence[str | None]
    source: str

    @property
    def minutes(self) -> int:
        """Length of the recording in minutes."""
        return len(self.location)


@dataclass(frozen=True, slots=True)
class SensorEvent:
    """A presence sensor turning on or off.

    Attributes:
        minute: minute index in the household's recording (or, after
            :func:`place_on_calendar`, unused).
        room: the room's key.
        on: the new state.
    """

    minute: int
    room: str
    on: bool


def presence_events(
    household: Household, hold_minutes: int = DEFAULT_HOLD_MINUTES
) -> list[SensorEvent]:
    """Turn the per-minute location into on/off events of one presence sensor per room.

    A room's sensor turns on at the first minute the resident is in it and
    turns off ``hold_minutes`` after the end of the last minute she was in it,
    unless she came back before. Every sensor starts off at minute 0 (an
    event is emitted for it), so the events fully describe each sensor.

    Returns:
        Events sorted by minute, then room key.
    """
    keys = [room.key for room in household.rooms]
    events = [SensorEvent(0, key, False) for key in keys]
    off_at: dict[str, int | None] = dict.fromkeys(keys)
    for minute, where in enumerate(household.location):
        for key in keys:
            due = off_at[key]
            if due is not None and due <= minute and where != key:
                events.append(SensorEvent(due, key, False))
                off_at[key] = None
        if where in off_at:
            if off_at[where] is None:
                events.append(SensorEvent(minute, where, True))
            off_at[where] = minute + 1 + hold_minutes
    for key, due in off_at.items():
        if due is not None and due < household.minutes:
            events.append(SensorEvent(due, key, False))
    events = _drop_redundant(events)
    events.sort(key=lambda event: (event.minute, event.room))
    return events


def _drop_redundant(events: list[SensorEvent]) -> list[SensorEvent]:
    """Drop the initial off of a room whose sensor turns on at minute 0."""
    on_at_zero = {e.room for e in events if e.minute == 0 and e.on}
    return [e for e in events if e.on or e.minute != 0 or e.room not in on_at_zero]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the recording sits on the real calendar.

    Attributes:
        weeks: whole weeks added to the recording's wall-clock times.
        history_end_minute: the recording minute that falls on "now": the
            events before it are history, the rest is replayed live.
    """

    weeks: int
    history_end_minute: int


def place(household: Household, now: datetime, history_days: int) -> Placement:
    """Choose the whole-week shift that puts ``now`` at least ``history_days`` into the data.

    Shifting by whole weeks keeps weekdays and times of day as recorded. The
    chosen minute lies in ``[history_days, history_days + 7)`` days of the
    recording.

    Args:
        household: the recording.
        now: the current moment (aware).
        history_days: minimum history before ``now``, in days.

    Raises:
        ValueError: if the recording is too short for that history plus a week.
    """
    if household.minutes < (history_days + 7) * 1440:
        msg = f"{household.title} holds {household.minutes // 1440} days, needs {history_days + 7}"
        raise ValueError(msg)
    local_now = now.astimezone(ZoneInfo(household.time_zone)).replace(tzinfo=None)
    earliest = household.start + timedelta(days=history_days)
    weeks = (local_now - earliest) // WEEK
    minute = int((local_now - weeks * WEEK - household.start).total_seconds() // MINUTE)
    return Placement(weeks=weeks, history_end_minute=minute)


def calendar_time(household: Household, placement: Placement, minute: int) -> float:
    """The UTC timestamp at which recording ``minute`` happens once placed."""
    local = household.start + timedelta(minutes=minute) + placement.weeks * WEEK
    return local.replace(tzinfo=ZoneInfo(household.time_zone)).timestamp()


def timeline(
    household: Household, placement: Placement, events: Sequence[SensorEvent]
) -> list[tuple[float, str, bool]]:
    """The events as ``(utc_timestamp, room_key, on)``, sorted by time.

    Sorting matters around daylight-saving changes, where wall-clock minutes
    map to UTC non-monotonically.
    """
    placed = [(calendar_time(household, placement, e.minute), e.room, e.on) for e in events]
    placed.sort(key=lambda item: (item[0], item[1]))
    return placed
