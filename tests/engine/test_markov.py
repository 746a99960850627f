"""Hour-of-day x state Markov baseline on hand-computed histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.markov import HourlyMarkovModel
from custom_components.occupancy_prediction.engine.occupancy import RoomState

OCC, VAC, UNK = RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN
T0 = datetime(2026, 5, 4, tzinfo=UTC)


def one_day() -> list[Episode]:
    """Occupied 00:00-01:00, vacant 01:00-24:00."""
    start = T0.timestamp()
    return [
        Episode(OCC, start, start + 3600, VAC),
        Episode(VAC, start + 3600, start + 86400, OCC),
    ]


def test_counts_and_matrices() -> None:
    """Samples at 00:00, 00:15, 00:30, 00:45 are occupied, 01:00 on vacant.

    Hour 0 from occupied: 3 stays and 1 change; with the add-one prior
    P(occupied -> vacant) = 2/6. The last sample (23:45) has no successor.
    """
    model = HourlyMarkovModel(UTC)
    model.fit(one_day())
    assert model.counts[0].tolist() == [[0.0, 0.0], [1.0, 3.0]]
    assert model.counts[1].tolist() == [[4.0, 0.0], [0.0, 0.0]]
    assert model.counts[23].tolist() == [[3.0, 0.0], [0.0, 0.0]]
    assert model.matrices[0, 1].tolist() == pytest.approx([2 / 6, 4 / 6])
    assert model.matrices[5, 1].tolist() == [0.5, 0.5]


def test_forecast_propagates_through_the_hours() -> None:
    model = HourlyMarkovModel(UTC)
    model.fit(one_day())
    now = T0 + timedelta(days=1)
    forecast = model.forecast(OCC, now, minutes=(0, 15, 30))
    stay = 4 / 6
    # Second step: 2/3 stays again, and the 1/3 now vacant comes back with
    # the uniform hour-0 vacant row (no vacant samples in hour 0): 1/2.
    assert forecast == pytest.approx({0: 1.0, 15: stay, 30: stay * stay + (1 - stay) / 2})
    # From vacant in hour 0 (no vacant samples there): uniform matrix.
    assert model.forecast(VAC, now, minutes=(15,)) == pytest.approx({15: 0.5})
    assert model.forecast(UNK, now) is None


def test_hours_are_local_across_dst() -> None:
    """In Berlin the same UTC history is filed two hours later in summer."""
    model = HourlyMarkovModel(ZoneInfo("Europe/Berlin"))
    model.fit(one_day())
    assert model.counts[2].tolist() == [[0.0, 0.0], [1.0, 3.0]]


def test_empty_and_unknown_histories() -> None:
    model = HourlyMarkovModel(UTC)
    model.fit([])
    assert np.all(model.counts == 0)
    model.fit([Episode(UNK, 0.0, 3600.0, OCC), Episode(OCC, 3600.0, None, None)])
    assert np.all(model.counts == 0)
    assert model.forecast(OCC, T0, minutes=(60,)) == pytest.approx({60: 0.5})


def test_naive_datetime_raises() -> None:
    with pytest.raises(ValueError, match="naive"):
        HourlyMarkovModel(UTC).forecast(OCC, datetime(2026, 5, 4))
