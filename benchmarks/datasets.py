"""Turn the shared real datasets into Home Assistant-like binary sensor streams.

Every home becomes rooms, each with its sensors (entity id -> kind) and a list
of :class:`SensorEvent` (``on``/``off`` states), which the engine's one
implementation of the occupancy rules (``RoomOccupancy``) turns into episodes.

* CASAS Aruba minute location (Krajnik et al. FreMEn benchmark, derived from
  Cook 2012): the resident's room every minute becomes one motion-like sensor
  per room, ``on`` while she is in it; the hold (vacancy delay) then keeps the
  room occupied 10 minutes after she leaves, as a PIR with an off-delay would.
* van Kasteren houses A/B and MIT PlaceLab houses D/E: each sensor's
  on-intervals become ``on``/``off`` states; sensors are grouped into rooms
  (MIT: the ``Room,Object`` prefix; van Kasteren: by name). Object and door
  switches are activity (door kind: a change holds the room occupied), PIRs
  are motion and bed pressure mats are presence.

The timestamps of all these files are local wall-clock time; they carry no
DST information, so the homes are modelled in UTC (wall clock as UTC), which
keeps hours of day exactly as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import numpy as np

from custom_components.occupancy_prediction.engine.episodes import (
    Episode,
    SensorEvent,
    episodes_from_transitions,
    transitions_from_events,
)
from custom_components.occupancy_prediction.engine.occupancy import SensorKind

ARUBA_START = datetime(2010, 11, 4, tzinfo=UTC).timestamp()
ARUBA_ROOMS = {"bedroom": 1, "bathroom": 2, "living_room": 3, "kitchen": 4, "office": 7}
"""Aruba location codes, as inferred in the dataset README (not location.names)."""

HOLD_SECONDS = 600.0


@dataclass
class Room:
    """One room of a home: its sensors and their recorded states."""

    name: str
    sensors: dict[str, SensorKind]
    events: list[SensorEvent] = field(default_factory=list)
    vacancy_delay: float = HOLD_SECONDS

    def episodes(self, until: float) -> list[Episode]:
        """Episodes by the engine's occupancy rules, up to ``until``."""
        transitions = transitions_from_events(self.events, self.sensors, self.vacancy_delay, until)
        return episodes_from_transitions(transitions)


@dataclass
class Home:
    """A home: its rooms, its zone and the span of its data (POSIX seconds)."""

    name: str
    rooms: dict[str, Room]
    start: float
    end: float
    time_zone: tzinfo = UTC


def load_aruba(data: Path, hold: float = HOLD_SECONDS) -> Home:
    """CASAS Aruba minute location: one presence stream per room."""
    codes = np.loadtxt(data / "aruba_minute_location" / "location.min", dtype=np.int64)
    rooms: dict[str, Room] = {}
    for name, code in ARUBA_ROOMS.items():
        entity = f"binary_sensor.{name}_motion"
        inside = codes == code
        changes = np.flatnonzero(np.diff(inside.astype(np.int8))) + 1
        events = [SensorEvent(ARUBA_START, entity, "on" if inside[0] else "off")]
        events.extend(
            SensorEvent(ARUBA_START + 60.0 * int(i), entity, "on" if inside[i] else "off")
            for i in changes
        )
        rooms[name] = Room(name, {entity: SensorKind.MOTION}, events, hold)
    return Home("aruba", rooms, ARUBA_START, ARUBA_START + 60.0 * len(codes))


_KASTEREN_ROOMS = {
    "houseA": {
        "bathroom": ("toilet", "hall-bathroom"),
        "kitchen": (
            "microwave",
            "cups",
            "fridge",
            "plates",
            "dishwasher",
            "freezer",
            "pans",
            "groceries",
        ),
        "bedroom": ("hall-bedroom",),
    },
    "houseB": {
        "bathroom": ("toilet", "badkamer"),
        "kitchen": (
            "fridge",
            "cupboard",
            "cutlary",
            "stove",
            "gootsteen",
            "toaster",
            "magnetron",
            "keuken",
        ),
        "bedroom": ("bedroom door", "press bed", "slaapkamer", "dresser"),
    },
}


def _kind(name: str) -> SensorKind:
    """Doors are activity; bed mats are presence; PIRs and object switches are motion.

    An object switch (cupboard, fridge, toilet flush, light switch) is on while
    the object is in use, which is the evidence a PIR gives, so it is read as a
    motion sensor with the hold; a room door alone gives no evidence.
    """
    lowered = name.lower()
    if "press bed" in lowered:
        return SensorKind.PRESENCE
    if "door" in lowered:
        return SensorKind.DOOR
    return SensorKind.MOTION


def _room_of(house: str, name: str) -> str | None:
    if house in _KASTEREN_ROOMS:
        lowered = name.lower()
        for room, keys in _KASTEREN_ROOMS[house].items():
            if any(k in lowered for k in keys):
                return room
        return None
    room = name.split(",", maxsplit=1)[0].strip().lower().replace(" ", "_")
    return room or None


def load_kasteren(data: Path, house: str, hold: float = HOLD_SECONDS) -> Home:
    """A van Kasteren / MIT house: on-intervals grouped into rooms."""
    folder = data / "kasteren_mit_houses"
    names: dict[int, str] = {}
    for line in (folder / f"{house}.sensor_names").read_text().splitlines():
        if line.strip():
            ident, _, name = line.strip().partition("\t")
            names[int(ident)] = name.strip()
    rows = np.loadtxt(folder / f"{house}.sensors", dtype=np.int64, ndmin=2)
    rooms: dict[str, Room] = {}
    for start, duration, ident in rows:
        name = names.get(int(ident))
        room = None if name is None else _room_of(house, name)
        if room is None or name is None:
            continue
        entity = f"binary_sensor.s{int(ident)}"
        target = rooms.setdefault(room, Room(room, {}, [], hold))
        if entity not in target.sensors:
            target.sensors[entity] = _kind(name)
            target.events.append(SensorEvent(float(rows[0][0]), entity, "off"))
        target.events.append(SensorEvent(float(start), entity, "on"))
        target.events.append(SensorEvent(float(start + max(duration, 1)), entity, "off"))
    start = float(rows[:, 0].min())
    end = float((rows[:, 0] + rows[:, 1]).max())
    return Home(house, rooms, start, end)


def available(data: Path) -> dict[str, Path]:
    """Which datasets are present under ``data``."""
    found = {}
    if (data / "aruba_minute_location" / "location.min").is_file():
        found["aruba"] = data
    for house in ("houseA", "houseB", "houseD", "houseE"):
        if (data / "kasteren_mit_houses" / f"{house}.sensors").is_file():
            found[house] = data
    return found
