"""Scoring recorded predictions against the recorded occupancy, and the table."""

from __future__ import annotations

import pytest

from dev.check_report import (
    PredictionRow,
    RoomLine,
    Score,
    change_times,
    format_table,
    parse_time,
    score,
    states_between,
)

H = 3600.0


def test_parse_time() -> None:
    assert parse_time("1970-01-01T01:00:00+00:00") == H
    assert parse_time("unknown") is None
    assert parse_time(None) is None


def test_change_times_ignore_unknown_gaps() -> None:
    states = [(0.0, "off"), (10.0, "on"), (20.0, "unavailable"), (30.0, "off"), (40.0, "on")]
    assert change_times(states) == [10.0, 40.0]


def test_score_mae_and_coverage() -> None:
    occupancy = [(0.0, "off"), (2 * H, "on"), (3 * H, "off")]
    predictions = [
        PredictionRow(0.0, 1.5 * H, H, 2.5 * H),  # actual 2 h: 30 min off, inside
        PredictionRow(2 * H, 2.5 * H, 2.1 * H, 2.6 * H),  # actual 3 h: 30 min off, outside
    ]
    result = score(predictions, occupancy, start=0.0, end=4 * H, step=H)
    # Moments 0 h and 1 h use the first row, 2 h the second; 3 h has no later change.
    assert result.scored == 3
    assert result.mae_minutes == pytest.approx(30.0)
    assert result.coverage == pytest.approx(2 / 3)
    assert result.unpredicted == 0


def test_score_counts_moments_without_prediction() -> None:
    occupancy = [(0.0, "off"), (2 * H, "on")]
    predictions = [PredictionRow(0.0, None, None, None)]
    assert score(predictions, occupancy, 0.0, 2 * H, step=H) == Score(0, None, None, 2)
    assert score([], occupancy, 0.0, 2 * H, step=H) == Score(0, None, None, 2)


def test_states_between_keeps_the_state_in_effect() -> None:
    states = [(0.0, "off"), (10.0, "on"), (20.0, "off")]
    assert states_between(states, 15.0) == [(10.0, "on"), (20.0, "off")]
    assert states_between(states, -5.0) == states


def test_format_table_aligns_columns() -> None:
    line = RoomLine(
        "Kitchen", "vacant", "occupied Mon 08:00", "a - b", "40%", "m", Score(4, 12.34, 0.75, 0)
    )
    text = format_table(
        [line, RoomLine("Bed", "?", "none yet", "-", "-", "n/a", Score(0, None, None, 1))]
    )
    rows = text.splitlines()
    assert rows[0].startswith("room    | state")
    assert "12.3" in rows[2]
    assert "75%" in rows[2]
    assert rows[3].split("|")[6].strip() == "-"
    assert len({row.index("|") for row in rows if "|" in row}) == 1


def test_format_table_without_scores() -> None:
    line = RoomLine("Kitchen", "vacant", "x", "y", "1%", "m", Score(0, None, None, 0))
    assert "MAE" not in format_table([line], with_scores=False)
