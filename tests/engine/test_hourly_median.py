"""Baseline B2 on tiny histories with hand-computed answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from custom_components.occupancy_prediction.engine.episodes import (
    Episode,
    episodes_from_transitions,
)
from custom_components.occupancy_prediction.engine.hourly_median import HourlyMedianModel
from custom_components.occupancy_prediction.engine.occupancy import RoomState, Transition
from custom_components.occupancy_prediction.engine.prediction import (
    InsufficientHistory,
    Prediction,
)

OCC, VAC = RoomState.OCCUPIED, RoomState.VACANT
DAY0 = datetime(2026, 5, 4, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def moment(day: int, hour: int, minute: int = 0) -> datetime:
    return DAY0 + timedelta(days=day, hours=hour, minutes=minute)


def three_mornings() -> list[Episode]:
    """Vacant 08:00-09:00 and occupied 09:00-08:00 next day, three days running."""
    transitions: list[Transition] = []
    for day in range(3):
        transitions.append(Transition(moment(day, 8).timestamp(), VAC))
        transitions.append(Transition(moment(day, 9).timestamp(), OCC))
    return episodes_from_transitions(transitions)


def test_untrained_model_has_insufficient_history() -> None:
    model = HourlyMedianModel(UTC)
    assert model.predict(VAC, moment(3, 8)) == InsufficientHistory(episodes=0, needed=3)


def test_quantiles_of_the_hour_bucket() -> None:
    """Each vacant hour gives remaining 60, 55, ..., 5 min at 08:xx; three of them.

    36 samples, each of 5..60 min three times. Sorted, the 18th and 19th are 30
    and 35 (median 32.5); linear quantiles at 0.1 (position 3.5) and 0.9
    (position 31.5) are 10 and 55 min. Within 32.5 +- 15 min lie 20..45: 6 of
    the 12 values, so confidence is 0.5.
    """
    model = HourlyMedianModel(UTC)
    model.fit(three_mornings())
    now = moment(3, 8, 20)
    prediction = model.predict(VAC, now)
    assert prediction == Prediction(
        transition_type=OCC,
        predicted_time=now + timedelta(minutes=32.5),
        interval_lower=now + timedelta(minutes=10),
        interval_upper=now + timedelta(minutes=55),
        confidence=0.5,
        model="hourly_median",
    )
    assert model.episode_counts == {OCC: 2, VAC: 3}


def test_two_episodes_of_a_state_are_not_enough() -> None:
    model = HourlyMedianModel(UTC)
    model.fit(three_mornings())
    assert model.predict(OCC, moment(3, 12)) == InsufficientHistory(episodes=2, needed=3)


def test_unknown_state_gets_no_prediction() -> None:
    model = HourlyMedianModel(UTC)
    model.fit(three_mornings())
    assert isinstance(model.predict(RoomState.UNKNOWN, moment(3, 8)), InsufficientHistory)


def test_empty_hour_widens_to_neighbouring_hours() -> None:
    """At 10:xx no vacant sample exists; the window grows to 08..12 and finds the 08:xx ones."""
    model = HourlyMedianModel(UTC)
    model.fit(three_mornings())
    samples = model.remaining_samples(VAC, 10)
    assert sorted(samples.tolist()) == sorted([m * 60.0 for m in range(5, 61, 5)] * 3)


def test_remaining_time_is_capped_at_24_hours() -> None:
    """Vacant for 3 days at a time: at 00:xx most remaining times exceed 24 h."""
    transitions = []
    for block in range(4):
        transitions.append(Transition(moment(3 * block, 0).timestamp(), VAC))
        transitions.append(Transition(moment(3 * block + 3, 0).timestamp() - 60, OCC))
    model = HourlyMedianModel(UTC)
    model.fit(episodes_from_transitions(transitions))
    prediction = model.predict(VAC, moment(20, 0, 10))
    assert isinstance(prediction, Prediction)
    assert prediction.predicted_time is None
    assert prediction.interval_upper == moment(20, 0, 10) + timedelta(hours=24)
    assert float(np.max(model.remaining_samples(VAC, 0))) == 24 * 3600


def test_spring_dst_change_files_samples_under_wall_clock_hour() -> None:
    """Vacant 03:00-03:30 local on 27, 28 and 29 March 2026 (DST starts on the 29th).

    In UTC those are 02:00, 02:00 and 01:00; by local hour all 18 samples
    belong to 03:xx.
    """
    starts = [
        datetime(2026, 3, 27, 2, tzinfo=UTC),
        datetime(2026, 3, 28, 2, tzinfo=UTC),
        datetime(2026, 3, 29, 1, tzinfo=UTC),
    ]
    episodes = [Episode(VAC, s.timestamp(), s.timestamp() + 1800, OCC) for s in starts]
    model = HourlyMedianModel(BERLIN)
    model.fit(episodes)
    assert sorted(model.remaining_samples(VAC, 3).tolist()) == sorted(
        [m * 60.0 for m in range(5, 31, 5)] * 3
    )


def test_autumn_dst_change_repeats_the_hour() -> None:
    """25 October 2026: local 02:xx happens twice (00:xx and 01:xx UTC).

    A vacant spell 00:00-02:00 UTC is local 02:00 CEST to 03:00 CET: all 24
    samples are in local hour 2, plus 6 from 02:00-02:30 local the day before.
    """
    long_start = datetime(2026, 10, 25, 0, tzinfo=UTC).timestamp()
    short_start = datetime(2026, 10, 24, 0, tzinfo=UTC).timestamp()
    episodes = [
        Episode(VAC, short_start, short_start + 1800, OCC),
        Episode(VAC, long_start, long_start + 7200, OCC),
    ]
    model = HourlyMedianModel(BERLIN)
    model.fit(episodes)
    assert model.remaining_samples(VAC, 2).size == 30
    assert model.remaining_samples(VAC, 3).size == 30  # nothing at 03:xx: widened to 02:xx


def test_naive_now_raises() -> None:
    model = HourlyMedianModel(UTC)
    with pytest.raises(ValueError, match="naive"):
        model.predict(VAC, datetime(2026, 5, 4, 8))


def test_learning_one_episode_at_a_time_equals_fitting_all() -> None:
    episodes = three_mornings()
    batch = HourlyMedianModel(UTC)
    batch.fit(episodes)
    incremental = HourlyMedianModel(UTC)
    for episode in episodes:
        incremental.learn(episode)
    assert incremental.as_dict() == batch.as_dict()
    now = moment(3, 8, 20)
    assert incremental.predict(VAC, now) == batch.predict(VAC, now)


def test_saved_model_predicts_the_same() -> None:
    model = HourlyMedianModel(BERLIN)
    model.fit(three_mornings())
    data = json.loads(json.dumps(model.as_dict()))
    assert data["episode_counts"] == {"occupied": 2, "vacant": 3}
    restored = HourlyMedianModel.from_dict(BERLIN, data)
    for hour in range(24):
        now = moment(3, hour, 7)
        assert restored.predict(VAC, now) == model.predict(VAC, now)
        assert restored.predict(OCC, now) == model.predict(OCC, now)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"episode_counts": {"occupied": 1}, "buckets": []},
        {"episode_counts": {"occupied": 1, "vacant": 1}, "buckets": [["unknown", 3, [], []]]},
        {"episode_counts": {"occupied": 1, "vacant": 1}, "buckets": [["vacant", 24, [], []]]},
        {"episode_counts": {"occupied": 1, "vacant": 1}, "buckets": [["vacant", 3, [1], []]]},
        {"episode_counts": {"occupied": 1, "vacant": 1}, "buckets": [["bogus", 3, [], []]]},
        {"episode_counts": [], "buckets": []},
    ],
)
def test_malformed_saved_model_raises(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        HourlyMedianModel.from_dict(UTC, data)
