"""The room occupancy rules, one test per rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.occupancy_prediction.engine.occupancy import (
    RoomOccupancy,
    RoomState,
    SensorKind,
    Transition,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DELAY = 300.0  # five minutes
MOTION = "binary_sensor.motion"
MOTION2 = "binary_sensor.motion_2"
PRESENCE = "binary_sensor.presence"
DOOR = "binary_sensor.door"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ts(minutes: float) -> float:
    return at(minutes).timestamp()


def tracker(*kinds: tuple[str, SensorKind]) -> RoomOccupancy:
    return RoomOccupancy(dict(kinds), DELAY)


def test_new_room_is_unknown() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    assert room.state is RoomState.UNKNOWN
    assert room.since is None


def test_first_on_after_start_occupies_at_once() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    assert room.update(MOTION, "on", at(0)) == [Transition(ts(0), RoomState.OCCUPIED)]
    assert room.since == ts(0)


def test_first_off_after_start_is_vacant_without_hold() -> None:
    """An off state seen at start-up was never seen on: no hold is invented."""
    room = tracker((MOTION, SensorKind.MOTION))
    assert room.update(MOTION, "off", at(0)) == [Transition(ts(0), RoomState.VACANT)]
    assert room.next_expiry() is None


def test_motion_holds_for_the_vacancy_delay() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    room.update(MOTION, "on", at(0))
    assert room.update(MOTION, "off", at(1)) == []
    assert room.state is RoomState.OCCUPIED
    assert room.next_expiry() == ts(6)
    assert room.advance(at(5.99)) == []
    # The room turns vacant at the moment the hold ran out, not when we looked.
    assert room.advance(at(10)) == [Transition(ts(6), RoomState.VACANT)]


def test_repeated_off_updates_do_not_restart_the_hold() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    room.update(MOTION, "on", at(0))
    room.update(MOTION, "off", at(1))
    assert room.update(MOTION, "off", at(3)) == []
    assert room.update(MOTION, "off", at(5)) == []
    assert room.next_expiry() == ts(6)
    assert room.update(MOTION, "off", at(7)) == [Transition(ts(6), RoomState.VACANT)]


def test_presence_has_no_hold() -> None:
    room = tracker((PRESENCE, SensorKind.PRESENCE))
    room.update(PRESENCE, "on", at(0))
    assert room.update(PRESENCE, "off", at(1)) == [Transition(ts(1), RoomState.VACANT)]


def test_any_sensor_on_keeps_the_room_occupied() -> None:
    room = tracker((MOTION, SensorKind.MOTION), (PRESENCE, SensorKind.PRESENCE))
    room.update(MOTION, "off", at(0))
    room.update(PRESENCE, "on", at(1))
    room.update(MOTION, "on", at(2))
    assert room.update(PRESENCE, "off", at(3)) == []
    room.update(MOTION, "off", at(4))
    assert room.state is RoomState.OCCUPIED
    assert room.advance(at(20)) == [Transition(ts(9), RoomState.VACANT)]


def test_latest_hold_of_several_motion_sensors_counts() -> None:
    room = tracker((MOTION, SensorKind.MOTION), (MOTION2, SensorKind.MOTION))
    room.update(MOTION, "on", at(0))
    room.update(MOTION2, "on", at(0))
    room.update(MOTION2, "off", at(1))
    room.update(MOTION, "off", at(3))
    assert room.next_expiry() == ts(8)
    assert room.advance(at(8)) == [Transition(ts(8), RoomState.VACANT)]


def test_unavailable_is_no_evidence_and_not_carried_forward() -> None:
    room = tracker((MOTION, SensorKind.MOTION), (PRESENCE, SensorKind.PRESENCE))
    room.update(PRESENCE, "off", at(0))
    room.update(MOTION, "on", at(1))
    # Motion goes from on to unavailable: its on is dropped at once, no hold.
    assert room.update(MOTION, "unavailable", at(2)) == [Transition(ts(2), RoomState.VACANT)]
    assert room.next_expiry() is None


def test_unavailable_drops_a_running_hold() -> None:
    room = tracker((MOTION, SensorKind.MOTION), (PRESENCE, SensorKind.PRESENCE))
    room.update(PRESENCE, "off", at(0))
    room.update(MOTION, "on", at(1))
    room.update(MOTION, "off", at(2))
    assert room.update(MOTION, "unknown", at(3)) == [Transition(ts(3), RoomState.VACANT)]


def test_all_sensors_unavailable_is_unknown_not_vacant() -> None:
    room = tracker((MOTION, SensorKind.MOTION), (PRESENCE, SensorKind.PRESENCE))
    room.update(MOTION, "off", at(0))
    room.update(PRESENCE, "off", at(0))
    room.update(MOTION, "unavailable", at(1))
    assert room.state is RoomState.VACANT
    assert room.update(PRESENCE, "unknown", at(2)) == [Transition(ts(2), RoomState.UNKNOWN)]
    # Back from unknown straight to on: occupied at once.
    assert room.update(MOTION, "on", at(3)) == [Transition(ts(3), RoomState.OCCUPIED)]


def test_on_to_unavailable_to_off_gives_no_hold() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    room.update(MOTION, "on", at(0))
    room.update(MOTION, "unavailable", at(1))
    assert room.update(MOTION, "off", at(2)) == [Transition(ts(2), RoomState.VACANT)]


def test_removed_state_counts_as_no_evidence() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    room.update(MOTION, "on", at(0))
    assert room.update(MOTION, None, at(1)) == [Transition(ts(1), RoomState.UNKNOWN)]


def test_door_change_is_activity_but_door_state_is_not() -> None:
    room = tracker((MOTION, SensorKind.MOTION), (DOOR, SensorKind.DOOR))
    room.update(MOTION, "off", at(0))
    # The first door state seen is not a change.
    assert room.update(DOOR, "on", at(1)) == []
    assert room.update(DOOR, "off", at(2)) == [Transition(ts(2), RoomState.OCCUPIED)]
    assert room.advance(at(30)) == [Transition(ts(7), RoomState.VACANT)]
    # An open door left open is not occupancy.
    room.update(DOOR, "on", at(40))
    assert room.advance(at(100)) == [Transition(ts(45), RoomState.VACANT)]


def test_door_alone_cannot_make_a_room_known() -> None:
    room = tracker((MOTION, SensorKind.MOTION), (DOOR, SensorKind.DOOR))
    room.update(DOOR, "off", at(0))
    assert room.update(DOOR, "on", at(1)) == []
    assert room.state is RoomState.UNKNOWN


def test_removed_sensor_stops_counting() -> None:
    room = tracker((MOTION, SensorKind.MOTION), (PRESENCE, SensorKind.PRESENCE))
    room.update(MOTION, "off", at(0))
    room.update(PRESENCE, "on", at(0))
    assert room.remove_sensor(PRESENCE, at(1)) == [Transition(ts(1), RoomState.VACANT)]
    assert room.update(PRESENCE, "on", at(2)) == []
    assert PRESENCE not in room.sensors


def test_unknown_entities_are_ignored() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    assert room.update("binary_sensor.other", "on", at(0)) == []
    assert room.state is RoomState.UNKNOWN


def test_clock_jump_backwards_keeps_time_monotone() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    room.update(MOTION, "on", at(10))
    # Stamped before the previous update: taken as happening at minute 10.
    room.update(MOTION, "off", at(0))
    assert room.next_expiry() == ts(15)


def test_zero_delay_vacates_with_the_motion() -> None:
    room = RoomOccupancy({MOTION: SensorKind.MOTION}, 0)
    room.update(MOTION, "on", at(0))
    assert room.update(MOTION, "off", at(1)) == [Transition(ts(1), RoomState.VACANT)]


def test_naive_datetime_and_negative_delay_raise() -> None:
    room = tracker((MOTION, SensorKind.MOTION))
    with pytest.raises(ValueError, match="naive datetime"):
        room.update(MOTION, "on", datetime(2026, 3, 1, 8, 0))
    with pytest.raises(ValueError, match="vacancy delay"):
        RoomOccupancy({MOTION: SensorKind.MOTION}, -1)


def test_transition_at_is_aware_utc() -> None:
    assert Transition(ts(0), RoomState.OCCUPIED).at == T0
