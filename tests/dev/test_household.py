"""Presence events from a per-minute location, and placing them on the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools
from zoneinfo import ZoneInfo

import pytest

from dev.household import (
    Household,
    Placement,
    Room,
    SensorEvent,
    calendar_time,
    place,
    presence_events,
    timeline,
)

ROOMS = (Room("a", "A"), Room("b", "B"))


def home(location: list[str | None], start: datetime = datetime(2026, 1, 5)) -> Household:
    return Household("test", True, start, "Europe/Amsterdam", ROOMS, location, "test")


def test_presence_holds_after_leaving() -> None:
    events = presence_events(home(["a", "a", None, None, None, None, "b", None]), hold_minutes=2)
    assert events == [
        SensorEvent(0, "a", True),
        SensorEvent(0, "b", False),
        SensorEvent(4, "a", False),  # left after minute 1, held for 2 more minutes
        SensorEvent(6, "b", True),
    ]


def test_coming_back_within_the_hold_keeps_the_sensor_on() -> None:
    events = presence_events(home(["a", None, "a", None, None, None]), hold_minutes=2)
    assert events == [
        SensorEvent(0, "a", True),
        SensorEvent(0, "b", False),
        SensorEvent(5, "a", False),
    ]


def test_no_off_event_beyond_the_recording() -> None:
    events = presence_events(home([None, "a", "a"]), hold_minutes=10)
    assert events[-1] == SensorEvent(1, "a", True)


def test_every_sensor_alternates_on_and_off() -> None:
    location: list[str | None] = (["a"] * 3 + ["b"] * 20 + [None] * 15) * 10
    events = presence_events(home(location), hold_minutes=10)
    for key in ("a", "b"):
        states = [e.on for e in events if e.room == key]
        assert all(x != y for x, y in itertools.pairwise(states))


def test_place_aligns_weekday_and_time_of_day() -> None:
    household = home([None] * (40 * 1440))
    now = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # Thursday
    placement = place(household, now, history_days=28)
    assert 28 * 1440 <= placement.history_end_minute < 35 * 1440
    placed = datetime.fromtimestamp(
        calendar_time(household, placement, placement.history_end_minute), UTC
    )
    assert abs(placed - now) < timedelta(minutes=1)
    local = household.start + timedelta(minutes=placement.history_end_minute)
    assert local.weekday() == now.astimezone(ZoneInfo(household.time_zone)).weekday()


def test_place_refuses_a_too_short_recording() -> None:
    with pytest.raises(ValueError, match="needs 35"):
        place(home([None] * (30 * 1440)), datetime.now(UTC), history_days=28)


def test_timeline_is_sorted_across_a_dst_change() -> None:
    # 2026-03-29 02:00 does not exist in Europe/Amsterdam.
    household = home([None] * 240, start=datetime(2026, 3, 29, 1, 0))
    events = [SensorEvent(m, "a", m % 2 == 0) for m in range(0, 240, 30)]
    placed = timeline(household, Placement(weeks=0, history_end_minute=0), events)
    times = [ts for ts, _, _ in placed]
    assert times == sorted(times)
