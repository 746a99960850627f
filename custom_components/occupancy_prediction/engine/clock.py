"""Local clock features (hour of day, weekend) for arrays of UTC instants.

Models file their statistics under the home's wall-clock hour, read in its
``zoneinfo`` zone, so both DST changes are handled: the UTC offset is looked
up for every quarter hour the instants fall in (all real zones change offset
on a quarter-hour boundary), never assumed constant.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import numpy as np

QUARTER_SECONDS = 900
_QUARTERS_PER_DAY = 96


def utc_offsets(timestamps: np.ndarray, time_zone: tzinfo) -> np.ndarray:
    """UTC offset in seconds of ``time_zone`` at each POSIX instant.

    The offset is looked up once a day over the span; where two days differ, a
    binary search over that day's quarter hours finds the change (zones change
    offset at most once a day), so a year costs a few hundred look-ups.
    """
    times = np.asarray(timestamps, dtype=float)
    if times.size == 0:
        return np.empty(0)
    quarters = np.floor(times / QUARTER_SECONDS).astype(np.int64)
    first, last = int(quarters.min()), int(quarters.max())
    days = list(range(first, last + _QUARTERS_PER_DAY, _QUARTERS_PER_DAY))
    day_offsets = [_offset(q * QUARTER_SECONDS, time_zone) for q in days]
    changes: list[int] = []  # first quarter of each new offset
    values = [day_offsets[0]]
    for index in range(len(days) - 1):
        if day_offsets[index + 1] == day_offsets[index]:
            continue
        low, high = days[index], days[index + 1]  # offset at low is old, at high new
        while high - low > 1:
            middle = (low + high) // 2
            if _offset(middle * QUARTER_SECONDS, time_zone) == day_offsets[index]:
                low = middle
            else:
                high = middle
        changes.append(high)
        values.append(day_offsets[index + 1])
    if not changes:
        return np.full(times.shape, values[0])
    segment = np.searchsorted(np.asarray(changes), quarters, side="right")
    offsets: np.ndarray = np.asarray(values)[segment]
    return offsets


def _offset(timestamp: float, time_zone: tzinfo) -> float:
    local = datetime.fromtimestamp(timestamp, time_zone).replace(tzinfo=UTC)
    return (local - datetime.fromtimestamp(timestamp, UTC)).total_seconds()


def local_seconds(timestamps: np.ndarray, time_zone: tzinfo) -> np.ndarray:
    """Local wall-clock seconds since the epoch (POSIX seconds plus the offset)."""
    times = np.asarray(timestamps, dtype=float)
    wall: np.ndarray = times + utc_offsets(times, time_zone)
    return wall


def local_hour(timestamps: np.ndarray, time_zone: tzinfo) -> np.ndarray:
    """Local hour of day (0..23) at each instant."""
    return _hour(local_seconds(timestamps, time_zone))


def local_weekend(timestamps: np.ndarray, time_zone: tzinfo) -> np.ndarray:
    """1 on local Saturdays and Sundays, else 0 (1970-01-01 was a Thursday)."""
    return _weekend(local_seconds(timestamps, time_zone))


def local_hour_and_weekend(
    timestamps: np.ndarray, time_zone: tzinfo
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`local_hour` and :func:`local_weekend` with one offset look-up."""
    wall = local_seconds(timestamps, time_zone)
    return _hour(wall), _weekend(wall)


def _hour(wall: np.ndarray) -> np.ndarray:
    return (np.floor(wall / 3600) % 24).astype(np.int64)


def _weekend(wall: np.ndarray) -> np.ndarray:
    weekday = (np.floor(wall / 86400).astype(np.int64) + 3) % 7  # Monday = 0
    return (weekday >= 5).astype(np.int64)
