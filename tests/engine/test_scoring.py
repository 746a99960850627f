"""Live accuracy tracking on hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import Prediction
from custom_components.occupancy_prediction.engine.scoring import (
    AccuracyTracker,
    DegradationKind,
    Score,
)

OCC, VAC, UNK = RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN
T0 = datetime(2026, 5, 4, 8, tzinfo=UTC)


def predict(
    now: datetime, minutes: float | None, forecast: dict[int, float] | None = None
) -> Prediction:
    """A prediction of a change ``minutes`` ahead with a +-20 minute interval."""
    center = now + timedelta(minutes=minutes if minutes is not None else 24 * 60)
    return Prediction(
        transition_type=VAC,
        predicted_time=None if minutes is None else center,
        interval_lower=center - timedelta(minutes=20),
        interval_upper=center + timedelta(minutes=20),
        confidence=0.5,
        model="test",
        occupancy_forecast=forecast or {},
    )


def test_samples_every_five_minutes_and_scores_at_the_change() -> None:
    """Predictions at 08:00 (30 min ahead) and 08:05 (40 min ahead); change at 08:30.

    Errors 0 and 15 min: MAE 7.5 min, both within 15 min; intervals
    [10, 50] and [25, 65] min after their moments contain 30 and 25 min.
    """
    tracker = AccuracyTracker()
    tracker.state_changed(OCC, T0 - timedelta(hours=1))
    assert tracker.sample(predict(T0, 30), T0)
    assert not tracker.sample(predict(T0, 30), T0 + timedelta(minutes=2))
    assert tracker.sample(predict(T0 + timedelta(minutes=5), 40), T0 + timedelta(minutes=5))
    tracker.state_changed(VAC, T0 + timedelta(minutes=30))
    summary = tracker.summary(T0 + timedelta(hours=1))
    assert summary.samples == 2
    assert summary.mae_minutes == pytest.approx(7.5)
    assert summary.within15 == 1.0
    assert summary.coverage == 1.0


def test_change_to_unknown_is_censored_and_24_h_without_change_is_scored() -> None:
    tracker = AccuracyTracker()
    tracker.state_changed(OCC, T0)
    tracker.sample(predict(T0, 30), T0)
    tracker.state_changed(UNK, T0 + timedelta(minutes=10))
    assert tracker.summary(T0 + timedelta(hours=1)).samples == 0
    tracker.state_changed(VAC, T0 + timedelta(hours=1))
    start = T0 + timedelta(hours=2)
    tracker.sample(predict(start, None), start)
    tracker.advance(start + timedelta(hours=25))
    summary = tracker.summary(start + timedelta(hours=25))
    assert summary.samples == 1
    assert summary.mae_minutes == 0.0  # "no change within 24 h" was right
    assert summary.coverage == 1.0


def test_brier_of_the_occupancy_forecast() -> None:
    """P(occupied in 15 min) = 0.8 and 0.3; the room is vacant from 08:10 on."""
    tracker = AccuracyTracker()
    tracker.state_changed(OCC, T0 - timedelta(hours=1))
    tracker.sample(predict(T0, 10, {15: 0.8, 60: 0.5}), T0)
    tracker.state_changed(VAC, T0 + timedelta(minutes=10))
    tracker.sample(predict(T0 + timedelta(minutes=10), 10, {15: 0.3}), T0 + timedelta(minutes=10))
    tracker.advance(T0 + timedelta(minutes=30))
    summary = tracker.summary(T0 + timedelta(minutes=30))
    assert summary.brier == pytest.approx({15: (0.8**2 + 0.3**2) / 2})
    tracker.advance(T0 + timedelta(hours=2))
    assert tracker.summary(T0 + timedelta(hours=2)).brier[60] == pytest.approx(0.25)


def test_forecasts_due_while_unknown_are_dropped() -> None:
    tracker = AccuracyTracker()
    tracker.sample(predict(T0, 10, {15: 0.8}), T0)
    tracker.advance(T0 + timedelta(hours=1))
    assert tracker.summary(T0 + timedelta(hours=1)).brier == {}


def test_degradation_events() -> None:
    """Hourly predictions 60 min off, each inside its interval, two days running."""
    tracker = AccuracyTracker(sample_every=60)
    tracker.state_changed(OCC, T0)
    now = T0
    for _ in range(40):
        tracker.sample(predict(now, 90), now)
        now += timedelta(minutes=30)
        tracker.state_changed(VAC if _ % 2 == 0 else OCC, now)
    events = tracker.degradation(now, mae_threshold_minutes=30, min_samples=30)
    kinds = {e.kind: e for e in events}
    assert kinds[DegradationKind.MAE].value == pytest.approx(60.0)
    assert kinds[DegradationKind.MAE].score == pytest.approx(1.0)
    # Truth 30 min, interval [70, 110] min: never covered.
    assert kinds[DegradationKind.COVERAGE].value == 0.0
    assert kinds[DegradationKind.COVERAGE].limit == 0.70
    assert tracker.degradation(now, mae_threshold_minutes=90) == [
        e for e in events if e.kind is DegradationKind.COVERAGE
    ]
    assert tracker.degradation(now, mae_threshold_minutes=30, min_samples=100) == []
    # A configured range that allows no coverage at all raises nothing for it.
    assert tracker.degradation(now, mae_threshold_minutes=90, coverage_range=(0.0, 0.9)) == []
    wide = tracker.degradation(now, mae_threshold_minutes=90, coverage_range=(0.5, 0.9))
    assert [(e.kind, e.limit) for e in wide] == [(DegradationKind.COVERAGE, 0.5)]
    # A week later everything has rolled out of the windows.
    later = now + timedelta(days=8)
    tracker.advance(later)
    assert tracker.summary(later, 8 * 86400).samples == 0


def test_scores_are_saved_and_restored() -> None:
    tracker = AccuracyTracker()
    tracker.scores.append(Score(2.0, 60.0, True, False))
    tracker.scores.append(Score(1.0, 900.0, True, True))
    tracker.brier.append((1.0, 15, 0.25))
    data = json.loads(json.dumps(tracker.scores_as_dict()))
    assert data == {
        "scores": [[2.0, 60.0, True, False], [1.0, 900.0, True, True]],
        "brier": [[1.0, 15, 0.25]],
    }
    restored = AccuracyTracker()
    restored.restore_scores(data)
    # Restored oldest first.
    assert list(restored.scores) == [Score(1.0, 900.0, True, True), Score(2.0, 60.0, True, False)]
    assert list(restored.brier) == [(1.0, 15, 0.25)]


@pytest.mark.parametrize(
    "data", [{}, {"scores": [[1, 2]], "brier": []}, {"scores": [], "brier": [["x", 1, 2]]}]
)
def test_malformed_saved_scores_change_nothing(data: dict[str, object]) -> None:
    tracker = AccuracyTracker()
    tracker.scores.append(Score(1.0, 1.0, True, True))
    with pytest.raises(ValueError, match="malformed accuracy record"):
        tracker.restore_scores(data)
    assert list(tracker.scores) == [Score(1.0, 1.0, True, True)]
