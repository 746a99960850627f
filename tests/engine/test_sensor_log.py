"""The per-sensor evidence log kept beyond the recorder's purge window."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.occupancy_prediction.engine.episodes import (
    SensorEvent,
    episodes_from_transitions,
    transitions_from_events,
)
from custom_components.occupancy_prediction.engine.occupancy import SensorKind
from custom_components.occupancy_prediction.engine.sensor_log import SensorLog, replay_logs

T0 = 1_780_000_000.0


def test_record_keeps_only_changes_of_evidence() -> None:
    log = SensorLog()
    assert log.record(T0, "off")
    assert not log.record(T0 + 5, "off")  # attribute-only update
    assert log.record(T0 + 10, "on")
    assert log.record(T0 + 20, "unavailable")
    assert not log.record(T0 + 25, "unknown")  # still no evidence
    assert log.record(T0 + 30, "off")
    assert list(log.events()) == [(T0, "off"), (T0 + 10, "on"), (T0 + 20, None), (T0 + 30, "off")]
    assert log.watermark == T0 + 30
    assert len(log) == 4


def test_clock_jump_backwards_never_reorders() -> None:
    log = SensorLog()
    log.record(T0 + 100, "on")
    log.record(T0, "off")
    assert list(log.events()) == [(T0 + 100, "on"), (T0 + 100, "off")]


def test_merge_adds_only_what_is_after_the_watermark() -> None:
    log = SensorLog()
    log.merge([(T0 + 10, "on"), (T0, "off")], until=T0 + 60)
    assert list(log.events()) == [(T0, "off"), (T0 + 10, "on")]
    assert log.watermark == T0 + 60
    # The next import repeats the state at its window start and adds two changes.
    added = log.merge(
        [(T0 + 60, "on"), (T0 + 50, "on"), (T0 + 70, "off"), (T0 + 80, "on")], until=T0 + 120
    )
    assert added == 2
    assert list(log.events()) == [
        (T0, "off"),
        (T0 + 10, "on"),
        (T0 + 70, "off"),
        (T0 + 80, "on"),
    ]
    assert log.watermark == T0 + 120


def test_trim_keeps_the_state_in_force() -> None:
    log = SensorLog()
    for offset, value in ((0, "off"), (10, "on"), (20, "off"), (30, "on")):
        log.record(T0 + offset, value)
    log.trim(T0 + 25)
    assert list(log.events()) == [(T0 + 25, "off"), (T0 + 30, "on")]
    log.trim(T0 + 30)
    assert list(log.events()) == [(T0 + 30, "on")]
    log.trim(T0)  # nothing older: unchanged
    assert list(log.events()) == [(T0 + 30, "on")]
    log.trim(T0 + 40)
    assert list(log.events()) == [(T0 + 40, "on")]


def test_round_trip_through_json() -> None:
    log = SensorLog()
    for offset, value in ((0.0004, "off"), (10.25, "on"), (20.5, None), (1e6, "off")):
        log.record(T0 + offset, value)
    data = json.loads(json.dumps(log.as_dict()))
    assert data == {
        "start": T0 + 0.0004,
        "deltas_ms": [10250, 10250, 999_979_500],
        "states": "01-0",
        "watermark": T0 + 1e6,
    }
    again = SensorLog.from_dict(data)
    assert [(round(t - T0, 3), v) for t, v in again.events()] == [
        (0.0, "off"),
        (10.25, "on"),
        (20.5, None),
        (1e6, "off"),
    ]
    assert again.watermark == log.watermark


def test_empty_log_round_trip() -> None:
    log = SensorLog()
    assert log.as_dict() == {"start": None, "deltas_ms": [], "states": "", "watermark": None}
    assert len(SensorLog.from_dict(log.as_dict())) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "missing"),
        ([], "missing"),
        ({"start": 1.0, "deltas_ms": "x", "states": "0", "watermark": None}, "must be"),
        ({"start": None, "deltas_ms": [], "states": "0", "watermark": None}, "no start"),
        ({"start": "2026-01-01T00:00:00", "deltas_ms": [], "states": "0", "watermark": 1}, "start"),
        ({"start": 1.0, "deltas_ms": [5], "states": "0", "watermark": 1}, "lengths"),
        ({"start": 1.0, "deltas_ms": [5], "states": "0x", "watermark": 1}, "code"),
        ({"start": 1.0, "deltas_ms": [-5], "states": "01", "watermark": 1}, "delta"),
        ({"start": 1.0, "deltas_ms": [0.5], "states": "01", "watermark": 1}, "delta"),
        ({"start": 1.0, "deltas_ms": [], "states": "0", "watermark": "2026-01-01"}, "watermark"),
    ],
)
def test_malformed_data_raises(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SensorLog.from_dict(data)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1e7, allow_nan=False),
            st.sampled_from(["on", "off", "unavailable", None]),
        ),
        max_size=50,
    )
)
def test_round_trip_keeps_order_and_values(events: list[tuple[float, str | None]]) -> None:
    log = SensorLog()
    for offset, value in events:
        log.record(T0 + offset, value)
    again = SensorLog.from_dict(json.loads(json.dumps(log.as_dict())))
    original, restored = list(log.events()), list(again.events())
    assert [v for _, v in restored] == [v for _, v in original]
    assert all(abs(a[0] - b[0]) <= 0.0005 for a, b in zip(original, restored, strict=True))
    assert [t for t, _ in restored] == sorted(t for t, _ in restored)


def test_copy_is_independent() -> None:
    log = SensorLog()
    log.record(T0, "on")
    other = log.copy()
    log.record(T0 + 1, "off")
    assert list(other.events()) == [(T0, "on")]
    assert other.watermark == T0
    assert other.first_timestamp == T0
    assert SensorLog().first_timestamp is None


def test_replay_logs_applies_the_room_rules() -> None:
    """Motion on 10-20 s with a 60 s hold; presence on from 200 s; an unknown sensor is ignored."""
    motion, presence, stray = SensorLog(), SensorLog(), SensorLog()
    motion.record(T0, "off")
    motion.record(T0 + 10, "on")
    motion.record(T0 + 20, "off")
    presence.record(T0, "off")
    presence.record(T0 + 200, "on")
    stray.record(T0 + 100, "on")
    episodes = replay_logs(
        {"m": motion, "p": presence, "x": stray},
        {"m": SensorKind.MOTION, "p": SensorKind.PRESENCE},
        60,
        until=T0 + 300,
    )
    assert [
        (e.state.value, e.start - T0, None if e.end is None else e.end - T0) for e in episodes
    ] == [
        ("vacant", 0, 10),
        ("occupied", 10, 80),
        ("vacant", 80, 200),
        ("occupied", 200, None),
    ]


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(
        st.tuples(st.integers(0, 1000), st.sampled_from(["on", "off", None])), max_size=10
    ),
    imported=st.lists(
        st.tuples(st.integers(0, 2000), st.sampled_from(["on", "off", "unknown", None])),
        max_size=40,
    ),
)
def test_merge_equals_recording_the_new_events_in_time_order(
    before: list[tuple[int, str | None]], imported: list[tuple[int, str | None]]
) -> None:
    """The vectorised merge keeps exactly what record() would, one event at a time."""
    merged, recorded = SensorLog(), SensorLog()
    for offset, value in before:
        merged.record(T0 + offset, value)
        recorded.record(T0 + offset, value)
    watermark = recorded.watermark
    merged.merge([(T0 + t, v) for t, v in imported], until=T0 + 3000)
    for offset, value in sorted(imported, key=lambda event: event[0]):
        if watermark is None or T0 + offset > watermark:
            recorded.record(T0 + offset, value)
    assert list(merged.events()) == list(recorded.events())
    assert merged.watermark == T0 + 3000


def test_replay_logs_without_sensors_has_no_episodes() -> None:
    episodes = replay_logs({"x": SensorLog()}, {}, 60, until=T0)
    assert episodes == []


@settings(max_examples=300, deadline=None)
@given(
    changes=st.lists(
        st.lists(
            st.tuples(st.integers(0, 600), st.sampled_from(["on", "off", "unavailable", None])),
            max_size=30,
        ),
        min_size=1,
        max_size=4,
    ),
    kinds=st.lists(st.sampled_from(list(SensorKind)), min_size=4, max_size=4),
    delay=st.sampled_from([0, 30, 60.5]),
)
def test_replay_logs_equals_replaying_sensor_events(
    changes: list[list[tuple[int, str | None]]], kinds: list[SensorKind], delay: float
) -> None:
    """The array replay gives what transitions_from_events gives on the logs' events.

    Equal times across sensors (ties) keep the logs' order, as the stable sort does.
    """
    logs = {f"s{i}": SensorLog() for i in range(len(changes))}
    for log, sensor_changes in zip(logs.values(), changes, strict=True):
        for offset, value in sorted(sensor_changes, key=lambda change: change[0]):
            log.record(T0 + offset, value)
    logs["stray"] = SensorLog()
    logs["stray"].record(T0 + 5, "on")
    sensors = {entity_id: kinds[i] for i, entity_id in enumerate(logs) if entity_id != "stray"}
    events = [
        SensorEvent(timestamp, entity_id, value)
        for entity_id, log in logs.items()
        for timestamp, value in log.events()
    ]
    expected = episodes_from_transitions(
        transitions_from_events(events, sensors, delay, until=T0 + 700)
    )
    assert replay_logs(logs, sensors, delay, until=T0 + 700) == expected
