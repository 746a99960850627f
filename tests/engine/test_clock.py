"""Local clock features across both DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from custom_components.occupancy_prediction.engine.clock import (
    local_hour,
    local_weekend,
    utc_offsets,
)

BERLIN = ZoneInfo("Europe/Berlin")


def test_spring_forward_skips_two_oclock() -> None:
    # 2026-03-29 01:00 UTC is 03:00 CEST; the hour before was 01:00 CET.
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC).timestamp()
    hours = local_hour(start + np.arange(4) * 3600.0, BERLIN)
    assert hours.tolist() == [1, 3, 4, 5]


def test_fall_back_repeats_two_oclock() -> None:
    # 2026-10-25 00:30 UTC is 02:30 CEST, 01:30 UTC is 02:30 CET again.
    start = datetime(2026, 10, 24, 23, 30, tzinfo=UTC).timestamp()
    hours = local_hour(start + np.arange(4) * 3600.0, BERLIN)
    assert hours.tolist() == [1, 2, 2, 3]


def test_offsets_over_a_long_span_follow_the_zone() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    offsets = utc_offsets(start + np.arange(0, 365) * 86400.0, BERLIN)
    assert set(offsets.tolist()) == {3600.0, 7200.0}
    assert offsets[0] == 3600.0
    assert offsets[180] == 7200.0


def test_empty_input() -> None:
    assert utc_offsets(np.empty(0), BERLIN).size == 0


def test_weekend_is_read_locally() -> None:
    # Friday 23:30 UTC is Saturday 00:30 in Berlin (winter).
    friday_late = datetime(2026, 1, 2, 23, 30, tzinfo=UTC).timestamp()
    assert local_weekend(np.array([friday_late]), UTC).tolist() == [0]
    assert local_weekend(np.array([friday_late]), BERLIN).tolist() == [1]
    monday = datetime(2026, 1, 5, 12, tzinfo=UTC).timestamp()
    assert local_weekend(np.array([monday]), BERLIN).tolist() == [0]
