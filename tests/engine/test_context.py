"""Context model: labels, back-off and learned samples on hand-built homes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from custom_components.occupancy_prediction.engine.context import (
    MIN_BUCKET_EPISODES,
    ContextModel,
    Timeline,
    context_key,
    snapshot,
)
from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.hourly_median import HourlyMedianModel
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.packing import INT32, unpack

OCC, VAC, UNK = RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN
LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("state", "others", "expected"),
    [
        (OCC, {}, "here"),
        (OCC, {"kitchen": (OCC, 500.0)}, "here"),  # entered before this room
        (OCC, {"kitchen": (OCC, 3001.0)}, "left:recent"),  # under 10 min ago
        (OCC, {"kitchen": (OCC, 3000.0)}, "left:earlier"),  # exactly 10 min
        (OCC, {"kitchen": (VAC, 3000.0)}, "here"),  # a room left is no evidence
        (VAC, {}, "nobody"),
        (VAC, {"kitchen": (VAC, 100.0)}, "nobody"),
        (VAC, {"kitchen": (OCC, 3000.0)}, "kitchen:short"),
        (VAC, {"kitchen": (OCC, 3600.0 - 7199.0)}, "kitchen:mid"),
        (VAC, {"kitchen": (OCC, 3600.0 - 7200.0)}, "kitchen:long"),
        # The room entered last decides; one entered in the future is ignored.
        (VAC, {"kitchen": (OCC, 1000.0), "bath": (OCC, 3500.0)}, "bath:short"),
        (VAC, {"kitchen": (OCC, 1000.0), "bath": (OCC, 3700.0)}, "kitchen:mid"),
    ],
)
def test_context_key(state: RoomState, others: dict, expected: str) -> None:
    """Labels at now = 3600 s for a room in ``state`` since 1000 s."""
    assert context_key(state, 1000.0, 3600.0, others) == expected


def test_timeline_and_snapshot() -> None:
    """A moment maps to the episode holding it; its end, gaps and unknown give nothing."""
    timeline = Timeline(
        [
            Episode(VAC, 0.0, 100.0, OCC),
            Episode(OCC, 100.0, 200.0, UNK),
            Episode(UNK, 200.0, None, None),
        ]
    )
    assert timeline.at(-1.0) is None
    assert timeline.at(0.0) == (VAC, 0.0)
    assert timeline.at(150.0) == (OCC, 100.0)
    assert timeline.at(250.0) is None  # unknown
    closed = Timeline([Episode(OCC, 0.0, 100.0, VAC)])
    assert closed.at(100.0) is None  # past the last episode's end
    assert snapshot({"a": timeline, "b": closed}, 50.0) == {"a": (VAC, 0.0), "b": (OCC, 0.0)}
    assert snapshot({"a": timeline, "b": closed}, 250.0) == {}


def _mornings(days: int, first: datetime) -> tuple[list[Episode], list[Episode]]:
    """Bedroom occupied 00:00-07:00 local each day; kitchen occupied 06:50-07:30.

    Returns the bedroom's and the kitchen's episodes (contiguous, alternating).
    """

    def local(day: int, hours: int = 0, minutes: int = 0) -> float:
        midnight = datetime.combine(first.date() + timedelta(days=day), datetime.min.time(), LA)
        return (midnight + timedelta(hours=hours, minutes=minutes)).timestamp()

    bedroom: list[Episode] = []
    kitchen: list[Episode] = []
    kitchen_free = local(0)
    for day in range(days):
        bedroom.append(Episode(OCC, local(day), local(day, 7), VAC))
        bedroom.append(Episode(VAC, local(day, 7), local(day + 1), OCC))
        kitchen.append(Episode(VAC, kitchen_free, local(day, 6, 50), OCC))
        kitchen.append(Episode(OCC, local(day, 6, 50), local(day, 7, 30), VAC))
        kitchen_free = local(day, 7, 30)
    kitchen.append(Episode(VAC, kitchen_free, None, None))
    return bedroom, kitchen


def _fitted(days: int = 12, first: datetime = datetime(2026, 10, 20, tzinfo=LA)) -> ContextModel:
    bedroom, kitchen = _mornings(days, first)
    model = ContextModel(LA)
    model.fit(bedroom, {"kitchen": kitchen})
    return model


def test_learned_samples_by_context() -> None:
    """Hand-computed: the bedroom's hour-6 samples split by whether the kitchen was entered.

    Samples every 5 min from 00:00: at 06:50 and 06:55 the kitchen (entered
    06:50) says ``left:recent`` with 10 and 5 minutes left; 06:00..06:45 are
    ``here`` with 60..15 minutes left (median of those ten: 37.5 min).
    """
    model = _fitted()
    day = datetime(2026, 11, 10, tzinfo=LA)
    since = datetime.combine(day.date(), datetime.min.time(), LA).timestamp()
    at_652 = (
        datetime.combine(day.date(), datetime.min.time(), LA) + timedelta(hours=6, minutes=52)
    ).timestamp()
    left = model.samples(OCC, since, at_652, {"kitchen": (OCC, at_652 - 120)})
    assert sorted(set(left.tolist())) == [300.0, 600.0]
    assert left.size == 2 * 12
    at_630 = at_652 - 22 * 60
    here = model.samples(OCC, since, at_630, {"kitchen": (VAC, since)})
    assert np.median(here) == pytest.approx(2250.0)
    assert here.size == 10 * 12


def test_back_off_to_all_contexts() -> None:
    """A context never seen at that hour falls back to every context's samples."""
    model = _fitted()
    day = datetime(2026, 11, 10, tzinfo=LA)
    midnight = datetime.combine(day.date(), datetime.min.time(), LA).timestamp()
    # Vacant at 12:00 with the office (never seen) just entered.
    noon = midnight + 12 * 3600
    found = model.samples(VAC, midnight + 7 * 3600, noon, {"office": (OCC, noon - 60)})
    # All contexts at hour 12: the bedroom stays vacant until midnight.
    assert sorted(set(found.tolist())) == [12 * 3600.0 - k * 300.0 for k in range(11, -1, -1)]
    assert found.size == 12 * 12


def test_too_little_history_gives_nothing() -> None:
    """Fewer than three episodes of a state, or an unknown state: no samples, never made up."""
    model = _fitted(days=2)
    assert model.samples(OCC, 0.0, 3600.0, {}).size == 0
    model = _fitted()
    assert model.samples(UNK, 0.0, 3600.0, {}).size == 0
    # Buckets need MIN_BUCKET_EPISODES episodes even after widening to all hours.
    assert MIN_BUCKET_EPISODES > 2
    assert ContextModel(UTC).samples(VAC, 0.0, 10.0, {}).size == 0


def test_hours_are_local_across_dst() -> None:
    """Days on both sides of the November DST change file 06:50 under hour 6 alike."""
    model = _fitted(days=12, first=datetime(2026, 10, 25, tzinfo=LA))  # DST ends 2026-11-01
    for day in (datetime(2026, 10, 28, tzinfo=LA), datetime(2026, 11, 4, tzinfo=LA)):
        midnight = datetime.combine(day.date(), datetime.min.time(), LA)
        at = (midnight + timedelta(hours=6, minutes=52)).timestamp()
        left = model.samples(OCC, midnight.timestamp(), at, {"kitchen": (OCC, at - 120)})
        assert sorted(set(left.tolist())) == [300.0, 600.0]


def test_round_trip_and_malformed() -> None:
    """as_dict/from_dict restores identical samples; malformed data raises ValueError."""
    model = _fitted()
    restored = ContextModel.from_dict(LA, model.as_dict())
    assert restored.episode_counts == model.episode_counts
    for args in (
        (OCC, 0.0, 1_793_000_000.0, {}),
        (VAC, 0.0, 1_793_040_000.0, {"kitchen": (OCC, 1_793_039_000.0)}),
    ):
        np.testing.assert_array_equal(restored.samples(*args), model.samples(*args))
    data = model.as_dict()
    with pytest.raises(ValueError, match="malformed"):
        ContextModel.from_dict(LA, {"buckets": []})
    with pytest.raises(ValueError, match="bad bucket"):
        ContextModel.from_dict(LA, {**data, "buckets": [["occupied", 24, "here", [1], [0]]]})
    with pytest.raises(ValueError, match="uneven"):
        ContextModel.from_dict(LA, {**data, "buckets": [["occupied", 1, "here", [1, 2], [0]]]})
    with pytest.raises(ValueError, match="not a valid RoomState"):
        ContextModel.from_dict(LA, {**data, "buckets": [["sleeping", 1, "here", [1], [0]]]})
    with pytest.raises(ValueError, match="not numbers"):  # beyond 32 bits
        ContextModel.from_dict(LA, {**data, "buckets": [["occupied", 1, "here", [2**40], [0]]]})
    with pytest.raises(ValueError, match="not base64"):
        ContextModel.from_dict(LA, {**data, "buckets": [["occupied", 1, "here", "AQ?A", "AA=="]]})
    with pytest.raises(ValueError, match="whole"):  # 3 bytes: not whole 32-bit numbers
        ContextModel.from_dict(LA, {**data, "buckets": [["occupied", 1, "here", "AQID", "AQID"]]})
    with pytest.raises(ValueError, match="lacks"):
        ContextModel.from_dict(LA, {**data, "episode_counts": {"occupied": 3}})


def test_buckets_saved_as_lists_are_read() -> None:
    """Stores written before the arrays were packed hold JSON lists: the same model comes back."""
    model = _fitted()
    packed = model.as_dict()
    as_lists = {
        **packed,
        "buckets": [
            [s, h, label, unpack(values, INT32).tolist(), unpack(owners, INT32).tolist()]
            for s, h, label, values, owners in packed["buckets"]
        ],
    }
    assert as_lists["buckets"][0][3] == [
        int(v) for v in np.frombuffer(base64.b64decode(packed["buckets"][0][3]), "<i4")
    ]
    assert ContextModel.from_dict(LA, as_lists).as_dict() == packed


def test_b2_samples_from_the_same_store() -> None:
    """hourly_samples gives exactly HourlyMedianModel's samples, for every state and hour."""
    bedroom, kitchen = _mornings(12, datetime(2026, 10, 20, tzinfo=LA))
    model = ContextModel(LA)
    model.fit(bedroom, {"kitchen": kitchen})
    baseline = HourlyMedianModel(LA)
    baseline.fit(bedroom)
    for state in (OCC, VAC):
        for hour in range(24):
            np.testing.assert_array_equal(
                np.sort(model.hourly_samples(state, hour)),
                np.sort(baseline.remaining_samples(state, hour)),
            )
    assert model.hourly_samples(UNK, 3).size == 0


def test_b2_samples_follow_what_was_learned_since_they_were_last_read() -> None:
    """B2's samples follow learning and refits, and each change moves the generation."""
    bedroom, kitchen = _mornings(12, datetime(2026, 10, 20, tzinfo=LA))
    others = {"kitchen": kitchen}
    model = ContextModel(LA)
    baseline = HourlyMedianModel(LA)

    def same_as_baseline_on(episodes: list[Episode]) -> None:
        baseline.fit(episodes)
        for state, hour in ((OCC, 3), (VAC, 12)):
            np.testing.assert_array_equal(
                np.sort(model.hourly_samples(state, hour)),
                np.sort(baseline.remaining_samples(state, hour)),
            )

    model.fit(bedroom[:12], others)
    same_as_baseline_on(bedroom[:12])
    fitted = model.generation
    model.learn_many(bedroom[12:], others)
    same_as_baseline_on(bedroom)
    assert model.generation == fitted + 1
    model.learn_many([], others)  # nothing learned: nothing changed
    assert model.generation == fitted + 1
    model.fit(bedroom[:8], others)
    same_as_baseline_on(bedroom[:8])
    assert model.generation > fitted + 1


def test_timeline_grows_by_appending() -> None:
    """The going-on episode is replaced by its finished self; older ones are ignored."""
    empty = Timeline()
    assert len(empty) == 0
    assert empty.at(5.0) is None
    going = empty.appended(Episode(OCC, 0.0, None, None))
    assert len(empty) == 0  # immutable
    assert going.at(1e9) == (OCC, 0.0)  # open: holds for any later moment
    done = going.appended(Episode(OCC, 0.0, 100.0, VAC))
    assert len(done) == 1
    assert done.at(100.0) is None
    following = done.appended(Episode(VAC, 100.0, None, None))
    assert len(following) == 2
    assert following.at(150.0) == (VAC, 100.0)
    assert following.appended(Episode(OCC, 50.0, 60.0, VAC)) is following  # older
    # The same finished episode again is a repeat.
    assert done.appended(Episode(OCC, 0.0, 100.0, VAC)) is done


def test_timeline_keeps_episodes_after_a_zero_length_one() -> None:
    """Vacant and occupied again at the same instant (a hold expiring as motion comes)."""
    timeline = Timeline()
    for episode in (
        Episode(OCC, 0.0, None, None),
        Episode(OCC, 0.0, 1000.0, VAC),
        Episode(VAC, 1000.0, None, None),
        Episode(VAC, 1000.0, 1000.0, OCC),
        Episode(OCC, 1000.0, None, None),
    ):
        timeline = timeline.appended(episode)
    assert timeline.at(1500.0) == (OCC, 1000.0)
    timeline = timeline.appended(Episode(OCC, 1000.0, 5000.0, VAC))
    assert timeline.at(3000.0) == (OCC, 1000.0)
    assert timeline.at(5000.0) is None
    rebuilt = Timeline(
        [
            Episode(OCC, 0.0, 1000.0, VAC),
            Episode(VAC, 1000.0, 1000.0, OCC),
            Episode(OCC, 1000.0, 5000.0, VAC),
        ]
    )
    assert rebuilt.at(3000.0) == timeline.at(3000.0)
    np.testing.assert_array_equal(
        rebuilt.occupied_since(np.array([500.0, 3000.0])),
        timeline.occupied_since(np.array([500.0, 3000.0])),
    )


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from([OCC, VAC, UNK]),
            st.integers(min_value=0, max_value=7200),
        ),
        min_size=0,
        max_size=12,
    ),
    own=st.lists(
        st.tuples(st.sampled_from([OCC, VAC]), st.integers(min_value=0, max_value=9000)),
        min_size=1,
        max_size=6,
    ),
)
def test_vectorised_labels_match_context_key(data: list, own: list) -> None:
    """Learning files every sample under the label context_key gives at its moment.

    The learned buckets are compared with a direct, one-sample-at-a-time
    computation with :func:`context_key` and :meth:`Timeline.at`.
    """
    others: dict[str, list[Episode]] = {}
    clocks = {"a": 0.0, "b": 0.0, "c": 0.0}
    for room, state, length in data:
        start = clocks[room]
        others.setdefault(room, []).append(Episode(state, start, start + length, None))
        clocks[room] = start + length
    if "a" in others:  # room a's last episode is still going on
        last = others["a"][-1]
        others["a"][-1] = Episode(last.state, last.start, None, None)
    episodes = []
    start = 0.0
    for state, length in own:
        episodes.append(Episode(state, start, start + length, VAC if state is OCC else OCC))
        start += length
    model = ContextModel(UTC)
    model.fit(episodes, others)
    timelines = {room: Timeline(found) for room, found in others.items()}
    expected: dict[tuple[RoomState, int, str], list[int]] = {}
    for episode in episodes:
        assert episode.end is not None
        point = episode.start
        while point < episode.end:
            label = context_key(episode.state, episode.start, point, snapshot(timelines, point))
            hour = datetime.fromtimestamp(point, UTC).hour
            expected.setdefault((episode.state, hour, label), []).append(
                round(min(episode.end - point, 86400.0))
            )
            point += 300
    learned = model.as_dict()["buckets"]
    assert {
        (RoomState(s), h, label): unpack(values, INT32).tolist()
        for s, h, label, values, _ in learned
    } == expected
    assert sum(model.episode_counts.values()) == len(episodes)
