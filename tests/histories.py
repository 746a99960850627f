"""Hand-built room histories shared by the engine and learner tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.occupancy import RoomState

T0 = datetime(2026, 5, 4, tzinfo=UTC)  # a Monday


def daily_hour(days: int, start_hour: int = 9, zone: ZoneInfo | None = None) -> list[Episode]:
    """Occupied one hour a day from ``start_hour`` (local), vacant the rest.

    From 4 May in UTC, or from 20 March in ``zone`` (across its DST change).
    """
    episodes: list[Episode] = []
    previous_end: float | None = None
    for day in range(days):
        if zone is None:
            begin = (T0 + timedelta(days=day, hours=start_hour)).timestamp()
        else:
            local = datetime(2026, 3, 20, start_hour, tzinfo=zone) + timedelta(days=day)
            begin = local.timestamp()
        if previous_end is not None:
            episodes.append(Episode(RoomState.VACANT, previous_end, begin, RoomState.OCCUPIED))
        episodes.append(Episode(RoomState.OCCUPIED, begin, begin + 3600, RoomState.VACANT))
        previous_end = begin + 3600
    return episodes
