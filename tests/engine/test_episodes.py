"""Episodes cut from transitions and replayed sensor events."""

from __future__ import annotations

from datetime import UTC, datetime
import itertools

from hypothesis import given, settings, strategies as st

from custom_components.occupancy_prediction.engine.episodes import (
    Episode,
    SensorEvent,
    episodes_from_transitions,
    transitions_from_events,
)
from custom_components.occupancy_prediction.engine.occupancy import (
    RoomState,
    SensorKind,
    Transition,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
OCC, VAC, UNK = RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN
SENSORS = {
    "binary_sensor.motion": SensorKind.MOTION,
    "binary_sensor.presence": SensorKind.PRESENCE,
    "binary_sensor.door": SensorKind.DOOR,
}


def test_no_transitions_no_episodes() -> None:
    assert episodes_from_transitions([]) == []


def test_one_transition_is_one_open_episode() -> None:
    assert episodes_from_transitions([Transition(T0, OCC)]) == [Episode(OCC, T0, None, None)]


def test_episodes_alternate_and_repeats_are_skipped() -> None:
    transitions = [
        Transition(T0, VAC),
        Transition(T0 + 60, OCC),
        Transition(T0 + 90, OCC),
        Transition(T0 + 600, UNK),
        Transition(T0 + 700, VAC),
    ]
    episodes = episodes_from_transitions(transitions)
    assert episodes == [
        Episode(VAC, T0, T0 + 60, OCC),
        Episode(OCC, T0 + 60, T0 + 600, UNK),
        Episode(UNK, T0 + 600, T0 + 700, VAC),
        Episode(VAC, T0 + 700, None, None),
    ]
    assert [e.duration for e in episodes] == [60, 540, 100, None]
    # Only the first ended in an observed occupied <-> vacant change.
    assert [e.ends_in_change for e in episodes] == [True, False, False, False]


def test_replay_closes_a_hold_after_the_last_event() -> None:
    events = [
        SensorEvent(T0 + 60, "binary_sensor.motion", "on"),
        SensorEvent(T0, "binary_sensor.motion", "off"),
        SensorEvent(T0 + 120, "binary_sensor.motion", "off"),
    ]
    transitions = transitions_from_events(events, SENSORS, 300, until=T0 + 3600)
    assert transitions == [
        Transition(T0, VAC),
        Transition(T0 + 60, OCC),
        Transition(T0 + 420, VAC),
    ]


def test_replay_of_nothing_is_nothing() -> None:
    assert transitions_from_events([], SENSORS, 300, until=T0) == []


EVENT = st.builds(
    SensorEvent,
    timestamp=st.integers(min_value=0, max_value=86_400).map(lambda s: T0 + s),
    entity_id=st.sampled_from([*SENSORS, "binary_sensor.not_in_room"]),
    value=st.sampled_from(["on", "off", "unavailable", "unknown", None]),
)


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(EVENT, max_size=60),
    delay=st.sampled_from([0, 60, 300, 3600]),
    duplicate=st.booleans(),
)
def test_episodes_are_contiguous_alternating_and_never_overlap(
    events: list[SensorEvent], delay: int, duplicate: bool
) -> None:
    """Whatever the order and duplicates of events, episodes tile the timeline."""
    if duplicate:
        events = events + events[::2]
    until = T0 + 90_000
    episodes = episodes_from_transitions(transitions_from_events(events, SENSORS, delay, until))
    for before, after in itertools.pairwise(episodes):
        assert before.end == after.start
        assert before.state is not after.state
        assert before.next_state is after.state
        assert before.start <= before.end
    if episodes:
        assert episodes[-1].end is None
        assert all(T0 <= e.start <= until for e in episodes)


@settings(max_examples=100, deadline=None)
@given(events=st.lists(EVENT, max_size=40), seed=st.randoms(use_true_random=False))
def test_replay_does_not_depend_on_the_order_events_arrive_in(
    events: list[SensorEvent], seed: object
) -> None:
    """Events with distinct times give the same transitions in any arrival order."""
    unique = list({e.timestamp: e for e in events}.values())
    shuffled = list(unique)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert transitions_from_events(unique, SENSORS, 300, T0 + 90_000) == transitions_from_events(
        shuffled, SENSORS, 300, T0 + 90_000
    )
