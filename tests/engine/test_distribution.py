"""Remaining-time distributions on a grid and the predictions made from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from custom_components.occupancy_prediction.engine.distribution import (
    RemainingTime,
    prediction_from,
)
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import HORIZON_SECONDS

NOW = datetime(2026, 5, 4, 12, tzinfo=UTC)


def test_uniform_over_one_hour() -> None:
    """Four 15-minute steps of 1/4 each: the remaining time is uniform on 0..60 min."""
    distribution = RemainingTime(900.0, np.full(4, 0.25))
    assert distribution.cdf(0) == 0.0
    assert distribution.cdf(450) == pytest.approx(0.125)
    assert distribution.cdf(7200) == pytest.approx(1.0)
    assert distribution.quantile(0.5) == pytest.approx(1800)
    assert distribution.quantile(0.1) == pytest.approx(360)
    assert distribution.quantile(0.9) == pytest.approx(3240)
    assert distribution.quantile(0.0) == 0.0
    # +-15 min around 30 min covers 15..45 min: half the mass.
    assert distribution.within(1800) == pytest.approx(0.5)


def test_mass_beyond_the_horizon_has_no_quantile() -> None:
    distribution = RemainingTime(900.0, np.array([0.2, 0.2]))
    assert distribution.quantile(0.3) == pytest.approx(1350)
    assert distribution.quantile(0.5) is None


def test_prediction_from_a_distribution() -> None:
    distribution = RemainingTime(900.0, np.full(4, 0.25))
    prediction = prediction_from(
        distribution, RoomState.VACANT, NOW.timestamp(), "test", {15: 0.75}
    )
    assert prediction.transition_type is RoomState.VACANT
    assert prediction.predicted_time == NOW + timedelta(minutes=30)
    assert prediction.interval_lower == NOW + timedelta(minutes=6)
    assert prediction.interval_upper == NOW + timedelta(minutes=54)
    assert prediction.confidence == pytest.approx(0.5)
    assert prediction.occupancy_forecast == {15: 0.75}
    assert prediction.model == "test"


def test_no_transition_expected_within_24_hours() -> None:
    """Only 5 % of the mass in the first step: median and upper bound beyond 24 h."""
    pmf = np.zeros(int(HORIZON_SECONDS / 300))
    pmf[0] = 0.05
    pmf[-1] = 0.02
    prediction = prediction_from(
        RemainingTime(300.0, pmf), RoomState.OCCUPIED, NOW.timestamp(), "m"
    )
    assert prediction.predicted_time is None
    assert prediction.interval_lower == NOW + timedelta(seconds=HORIZON_SECONDS)
    assert prediction.interval_upper == NOW + timedelta(seconds=HORIZON_SECONDS)
    # P(no transition before 23:45 h from now) = 1 - 0.05 - (part of the last step's 0.02).
    assert prediction.confidence == pytest.approx(0.95)
    assert prediction.occupancy_forecast == {}
