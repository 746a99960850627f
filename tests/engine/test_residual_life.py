"""Baseline B1 (median residual life) on hand-computed histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import (
    InsufficientHistory,
    Prediction,
)
from custom_components.occupancy_prediction.engine.residual_life import ResidualLifeModel

OCC, VAC, UNK = RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN
T0 = datetime(2026, 5, 4, tzinfo=UTC)


def occupied_for(minutes: list[float]) -> list[Episode]:
    """Occupied episodes of the given lengths, each followed by 10 vacant minutes."""
    episodes: list[Episode] = []
    start = T0.timestamp()
    for length in minutes:
        end = start + 60 * length
        episodes.append(Episode(OCC, start, end, VAC))
        episodes.append(Episode(VAC, end, end + 600, OCC))
        start = end + 600
    return episodes


def test_median_of_the_survivors_residuals() -> None:
    """Durations 10, 20, 30, 40 min, 15 min elapsed: residuals 5, 15, 25 min.

    Median 15 min; linear quantiles at 0.1 and 0.9 (positions 0.2 and 1.8) are
    7 and 23 min; all three residuals lie within 15 +- 15 min.
    """
    model = ResidualLifeModel()
    model.fit(occupied_for([10, 20, 30, 40]))
    now = T0 + timedelta(days=1)
    prediction = model.predict(OCC, now - timedelta(minutes=15), now)
    assert prediction == Prediction(
        transition_type=VAC,
        predicted_time=now + timedelta(minutes=15),
        interval_lower=now + timedelta(minutes=7),
        interval_upper=now + timedelta(minutes=23),
        confidence=1.0,
        model="residual_life",
    )
    assert model.episode_counts == {OCC: 4, VAC: 4}


def test_too_few_survivors_or_episodes() -> None:
    model = ResidualLifeModel()
    model.fit(occupied_for([10, 20, 30, 40]))
    now = T0 + timedelta(days=1)
    # Only the 40-minute episode outlasted 35 minutes.
    assert model.predict(OCC, now - timedelta(minutes=35), now) == InsufficientHistory(4, 3)
    assert model.predict(UNK, now, now) == InsufficientHistory(0, 3)
    empty = ResidualLifeModel()
    empty.fit([])
    assert empty.predict(OCC, now, now) == InsufficientHistory(0, 3)


def test_incremental_learning_matches_a_refit() -> None:
    history = occupied_for([10, 40, 20, 30])
    learnt = ResidualLifeModel()
    for episode in history:
        learnt.learn(episode)
    learnt.learn(Episode(OCC, 0.0, 60.0, UNK))  # censored: ignored
    refit = ResidualLifeModel()
    refit.fit(history)
    now = T0 + timedelta(days=1)
    assert learnt.predict(OCC, now, now) == refit.predict(OCC, now, now)
    assert learnt.residuals(OCC, 0.0).tolist() == [600.0, 1200.0, 1800.0, 2400.0]


def test_naive_datetimes_raise() -> None:
    model = ResidualLifeModel()
    with pytest.raises(ValueError, match="naive"):
        model.predict(OCC, datetime(2026, 5, 4), T0)


def test_saved_and_restored() -> None:
    model = ResidualLifeModel()
    model.fit(occupied_for([30, 10, 20]))
    data = json.loads(json.dumps(model.to_dict()))
    assert data == {"occupied": [600.0, 1200.0, 1800.0], "vacant": [600.0, 600.0, 600.0]}
    restored = ResidualLifeModel.from_dict(data)
    now = T0 + timedelta(minutes=5)
    assert restored.predict(OCC, T0, now) == model.predict(OCC, T0, now)
    assert restored.episode_counts == model.episode_counts
    for bad in ({"occupied": [600.0]}, [1, 2]):
        with pytest.raises(ValueError, match="malformed"):
            ResidualLifeModel.from_dict(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bad durations"):
        ResidualLifeModel.from_dict({"occupied": [-1.0], "vacant": []})
    with pytest.raises(ValueError, match="could not convert"):
        ResidualLifeModel.from_dict({"occupied": ["x"], "vacant": []})
