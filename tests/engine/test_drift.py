"""Drift detection: quiet in normal life, raised by a real change of schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
import random

import pytest

from custom_components.occupancy_prediction.engine.drift import (
    DriftKind,
    ErrorDrift,
    PageHinkley,
    duration_drift,
    ks_two_sample,
)
from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.hazard import HazardModel
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import Prediction
from custom_components.occupancy_prediction.engine.scoring import AccuracyTracker

OCC, VAC = RoomState.OCCUPIED, RoomState.VACANT
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
HOUR = 3600.0


def bedroom_life(
    days: int,
    first_day: int = 0,
    unusual: int | None = None,
    shift_from: int | None = None,
    seed: int = 1,
) -> list[Episode]:
    """A bedroom occupied 8-12 h every night, longer at weekends.

    ``unusual``: that night lasts 3 h only. ``shift_from``: from that day on the
    resident works nights and sleeps 09:00-15:00 instead.
    """
    rng = random.Random(seed)
    nights: list[tuple[float, float]] = []
    for day in range(first_day, first_day + days):
        midnight = (START + timedelta(days=day)).timestamp()
        if shift_from is not None and day >= shift_from:
            begin = midnight + 9 * HOUR + rng.uniform(0, 0.5) * HOUR
            length = rng.uniform(5.5, 6.5) * HOUR
        elif (START + timedelta(days=day)).weekday() >= 4:  # Friday, Saturday night
            begin = midnight + 23.5 * HOUR + rng.uniform(0, 1) * HOUR
            length = rng.uniform(10, 12) * HOUR
        else:
            begin = midnight + 22.5 * HOUR + rng.uniform(0, 1) * HOUR
            length = rng.uniform(8, 10.5) * HOUR
        if day == unusual:
            length = 3 * HOUR
        nights.append((begin, begin + length))
    episodes: list[Episode] = []
    for index, (begin, end) in enumerate(nights):
        episodes.append(Episode(OCC, begin, end, VAC))
        if index + 1 < len(nights):
            episodes.append(Episode(VAC, end, nights[index + 1][0], OCC))
    return episodes


def test_page_hinkley_by_hand() -> None:
    """Values 1, 1, 4 with delta 0.5: cumulative -0.5, -1.0, then +0.5 (4 - mean 2 - 0.5)."""
    test = PageHinkley(delta=0.5, threshold=1.4)
    assert not test.update(1.0)
    assert not test.update(1.0)
    assert test.cumulative == pytest.approx(-1.0)
    assert test.update(4.0)
    assert test.statistic == pytest.approx(1.5)
    test.reset()
    assert test.count == 0


def test_ks_by_hand() -> None:
    """Disjoint samples of 10 each: D = 1 and p = Q(sqrt(5) + 0.12 + 0.11 / sqrt(5)).

    Q(x) = 2 exp(-2 x^2) - 2 exp(-8 x^2) + ...; the first term dominates.
    """
    statistic, p_value = ks_two_sample(list(range(10)), list(range(20, 30)))
    assert statistic == 1.0
    x = math.sqrt(5) + 0.12 + 0.11 / math.sqrt(5)
    assert p_value == pytest.approx(2 * math.exp(-2 * x * x), rel=1e-6)
    assert ks_two_sample([1.0, 2.0], []) == (0.0, 1.0)
    same = ks_two_sample([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same == (0.0, 1.0)


def test_normal_life_raises_no_duration_drift() -> None:
    training = bedroom_life(56)
    for seed in range(5):
        recent = bedroom_life(7, first_day=56, unusual=59, seed=seed + 10)
        assert duration_drift(training, recent, 0.0) is None


def test_new_schedule_raises_duration_drift_within_a_few_days() -> None:
    training = bedroom_life(56)
    found = None
    for day in range(1, 8):
        # The last seven days' episodes, of which ``day`` follow the new schedule.
        recent = bedroom_life(7, first_day=56 - 7 + day, shift_from=56, seed=3)
        event = duration_drift(training, recent, float(day))
        if event is not None:
            found = (day, event)
            break
    assert found is not None
    day, event = found
    assert day <= 5
    assert event.kind is DriftKind.DURATION
    assert event.score > 2
    assert duration_drift(training, [], 0.0) is None


def run_live(model: HazardModel, episodes: list[Episode], detector: ErrorDrift) -> list[int]:
    """Predict hourly along ``episodes``, score the changes, feed the errors to ``detector``.

    Returns the days (from START) on which error drift was raised.
    """
    tracker = AccuracyTracker(sample_every=HOUR)
    raised: list[int] = []
    seen = 0
    for episode in episodes:
        assert episode.end is not None
        tracker.state_changed(episode.state, datetime.fromtimestamp(episode.start, UTC))
        moment = episode.start
        while moment < episode.end:
            now = datetime.fromtimestamp(moment, UTC)
            since = datetime.fromtimestamp(episode.start, UTC)
            prediction = model.predict(episode.state, since, now)
            assert isinstance(prediction, Prediction)
            tracker.sample(prediction, now)
            moment += HOUR
        tracker.state_changed(episode.next_state or VAC, datetime.fromtimestamp(episode.end, UTC))
        for score in list(tracker.scores)[seen:]:
            event = detector.add(score.error / 60.0, score.scored_at)
            if event is not None:
                assert event.kind is DriftKind.ERROR
                raised.append(int((event.at - START.timestamp()) // 86400))
        seen = len(tracker.scores)
    return raised


def test_error_drift_quiet_in_normal_life_and_raised_by_a_new_schedule() -> None:
    model = HazardModel(UTC)
    model.fit(bedroom_life(56))
    detector = ErrorDrift(warmup_days=7)
    normal = bedroom_life(21, first_day=56, unusual=66, seed=7)
    assert run_live(model, normal, detector) == []
    assert detector.reference is not None
    changed = bedroom_life(10, first_day=77, shift_from=77, seed=8)
    raised = run_live(model, changed, detector)
    assert raised
    assert raised[0] - 77 <= 5
