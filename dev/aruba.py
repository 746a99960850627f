"""Load the CASAS Aruba minute-location recording as a demo household.

The shared dataset (``aruba_minute_location``, 16 weeks from 2010-11-04, one
resident, America/Los_Angeles) stores one room code per minute in
``location.min``. The codes do not match the shipped ``location.names``; the
mapping below is the one inferred in the dataset's README. The hallway
(5), corridor (6), rarely used room (8) and "outside" (9) get no sensor.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .household import Household, Room

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "aruba_minute_location"
LOCATION_FILE = "location.min"
START = datetime(2010, 11, 4)  # line 1 is 2010-11-04 00:00 local time, a Thursday
TIME_ZONE = "America/Los_Angeles"

ROOMS_BY_CODE: dict[int, Room] = {
    1: Room("bedroom", "Bedroom"),
    2: Room("bathroom", "Bathroom"),
    3: Room("living_room", "Living room"),
    4: Room("kitchen", "Kitchen"),
    7: Room("office", "Office"),
}


def is_aruba(path: Path) -> bool:
    """Whether ``path`` looks like the Aruba minute-location dataset."""
    return (path / LOCATION_FILE).is_file()


def parse_locations(text: str) -> list[str | None]:
    """Room keys, one per minute, from the text of ``location.min``.

    Raises:
        ValueError: on a line that is not a room code.
    """
    location: list[str | None] = []
    for number, line in enumerate(text.split(), start=1):
        try:
            code = int(line)
        except ValueError:
            msg = f"{LOCATION_FILE} line {number}: not a room code: {line!r}"
            raise ValueError(msg) from None
        room = ROOMS_BY_CODE.get(code)
        location.append(None if room is None else room.key)
    return location


def load_aruba(path: Path = DEFAULT_PATH) -> Household:
    """Read the recording at ``path`` (a folder holding ``location.min``)."""
    text = (path / LOCATION_FILE).read_text(encoding="ascii")
    return Household(
        title="CASAS Aruba (real household, replayed)",
        synthetic=False,
        start=START,
        time_zone=TIME_ZONE,
        rooms=tuple(ROOMS_BY_CODE.values()),
        location=parse_locations(text),
        source=str(path),
    )
