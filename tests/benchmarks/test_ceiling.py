"""The ceiling study's features, by hand on tiny inputs (LightGBM itself is not needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks import ceiling
from benchmarks.datasets import ARUBA_ROOMS, Home, load_aruba
from benchmarks.evaluate import Query, make_queries
from benchmarks.run import DAY, all_episodes
from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from tests.benchmarks.test_benchmark import write_synthetic_aruba

CAP = ceiling.CAP_MINUTES
OCC, VAC = RoomState.OCCUPIED, RoomState.VACANT


def test_run_lengths_count_minutes_in_the_code_and_give_the_code_before() -> None:
    lasted, before = ceiling._run_lengths(np.array([3, 3, 1, 1, 1, 3]))
    assert lasted.tolist() == [0, 1, 0, 1, 2, 0]
    assert before.tolist() == [-1, -1, 3, 3, 3, 1]


def write_minutes(folder: Path, location: list[int], activity: list[int]) -> None:
    target = folder / "aruba_minute_location"
    target.mkdir(parents=True)
    np.savetxt(target / "location.min", location, fmt="%d")
    np.savetxt(target / "activity.min", activity, fmt="%d")


def test_minute_features_by_hand(tmp_path: Path) -> None:
    write_minutes(tmp_path, [0, 1, 1, 2, 1], [0, 0, 5, 5, 5])
    minutes = ceiling.load_minutes(tmp_path)

    # Columns: location, minutes in it, the one before, minutes since each
    # of the 3 codes was seen, share of each over the last 60 and 1440 minutes.
    assert minutes.features.shape == (5, 12)
    np.testing.assert_array_equal(minutes.since, minutes.features[:, 3:6])
    np.testing.assert_array_equal(minutes.features[:, 0], [0, 1, 1, 2, 1])
    np.testing.assert_array_equal(minutes.features[:, 1], [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(minutes.features[:, 2], [np.nan, 0, 0, 1, 2])
    np.testing.assert_array_equal(
        minutes.features[:, 3:6],
        [[0, CAP, CAP], [1, 0, CAP], [2, 0, CAP], [3, 1, 0], [4, 0, 1]],
    )
    # Minute 2 has seen codes 0, 1, 1; minute 4 has seen 0, 1, 1, 2, 1.
    np.testing.assert_allclose(minutes.features[2, 6:9], [1 / 3, 2 / 3, 0])
    np.testing.assert_allclose(minutes.features[4, 6:9], [1 / 5, 3 / 5, 1 / 5])
    np.testing.assert_allclose(minutes.features[:, 9:12], minutes.features[:, 6:9])
    np.testing.assert_array_equal(minutes.oracle, [[0, 0], [0, 1], [5, 0], [5, 1], [5, 2]])


def test_the_hour_window_forgets_older_minutes(tmp_path: Path) -> None:
    write_minutes(tmp_path, [1] * 30 + [2] * 60, [0] * 90)
    minutes = ceiling.load_minutes(tmp_path)
    # At minute 89 the last hour is minutes 30-89: all code 2; the day holds both.
    np.testing.assert_allclose(minutes.features[89, 6:9], [0, 0, 1])
    np.testing.assert_allclose(minutes.features[89, 9:12], [0, 1 / 3, 2 / 3])


def test_rows_give_the_clock_the_rooms_and_the_minute_features(tmp_path: Path) -> None:
    start = 1_000_000_000.0 - 1_000_000_000.0 % 86400  # a midnight, UTC
    episodes = {
        "bedroom": [Episode(OCC, start, start + 3600, VAC), Episode(VAC, start + 3600, None, None)],
        # Entered exactly at the query time: the new episode counts.
        "kitchen": [Episode(VAC, start, start + 4500, OCC), Episode(OCC, start + 4500, None, None)],
        "office": [Episode(VAC, start + 5000, None, None)],  # starts after the query
    }
    home = Home("test", {}, start, start + 86400)
    # The resident: bedroom (code 1) for 50 min, hallway (3, no sensor) for
    # 25, then kitchen (2). The office's sensor (0) is never on.
    write_minutes(tmp_path, [1] * 50 + [3] * 25 + [2] * 15, [7] * 90)
    sensors = {"bedroom": 1, "kitchen": 2, "office": 0}
    rows = ceiling.Rows(home, ceiling.load_minutes(tmp_path), episodes, sensors)
    query = Query(start + 4500, VAC, start + 3600, 600.0, {})

    # 75 minutes past midnight on the first day, vacant for 15 min.
    clock = rows.matrix([query], "bedroom", "clock")
    np.testing.assert_allclose(clock.values, [[75, 0, 0, 15]])
    assert clock.categorical == []
    # Then kitchen occupied for 0 min, office unknown (no episode yet), and
    # the sensors: bedroom last on 26 min ago (minute 49), kitchen on now,
    # office never on (capped).
    rooms = rows.matrix([query], "bedroom", "rooms")
    np.testing.assert_allclose(rooms.values, [[75, 0, 0, 15, 1, 0, 0, CAP, 26, 0, CAP]])
    assert rooms.categorical == []

    # Four codes (0-3): place now, minutes in it, place before, then since,
    # hour share (minutes 16-75) and day share (minutes 0-75) of each code.
    location = rows.matrix([query], "bedroom", "location")
    assert location.values.shape == (1, 11 + 15)
    np.testing.assert_allclose(location.values[0, 11:14], [2, 0, 3])
    np.testing.assert_allclose(location.values[0, 14:18], [CAP, 26, 0, 1])
    np.testing.assert_allclose(location.values[0, 18:22], np.array([0, 34, 1, 25]) / 60)
    np.testing.assert_allclose(location.values[0, 22:26], np.array([0, 50, 1, 25]) / 76)
    assert location.categorical == [11, 13]
    activity = rows.matrix([query], "bedroom", "activity")
    np.testing.assert_allclose(activity.values[0, -2:], [7, 75])
    assert activity.categorical == [11, 13, 26]


def synthetic_study(folder: Path, days: int) -> tuple[Home, dict[str, list[Episode]], ceiling.Rows]:
    """The benchmark's synthetic Aruba (activity all 0): home, episodes and rows."""
    write_synthetic_aruba(folder, days)
    np.savetxt(folder / "aruba_minute_location" / "activity.min", np.zeros(days * 1440), fmt="%d")
    home = load_aruba(folder)
    episodes = all_episodes(home)
    return home, episodes, ceiling.Rows(home, ceiling.load_minutes(folder), episodes, ARUBA_ROOMS)


def test_study_room_scores_the_protocol_queries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wiring, with a stand-in for LightGBM that always predicts 0."""
    home, episodes, rows = synthetic_study(tmp_path, 14)
    calls: list[tuple[int, int, int]] = []

    def stand_in(
        setting: dict[str, object], train: tuple[ceiling.Table, np.ndarray], test: ceiling.Table
    ) -> np.ndarray:
        calls.append((len(train[1]), len(test.values), train[0].values.shape[1]))
        return np.zeros(len(test.values))

    monkeypatch.setattr(ceiling, "fit_predict", stand_in)
    monkeypatch.setattr(ceiling, "TRAIN_DAYS", 7)
    result = ceiling.study_room(home, rows, "bedroom", episodes["bedroom"])

    split = home.start + 7 * DAY
    asked = make_queries(episodes["bedroom"], split, home.end)
    timed = [q.remaining for q in asked if q.remaining is not None]
    # Predicting 0 min: the MAE is the mean truth in minutes, for every set.
    for level in (*ceiling.LEVELS, "location x-fit"):
        assert result["mae_min"][level] == pytest.approx(np.mean(timed) / 60)
    # Predicting P(occupied) = 0: the Brier score is the share occupied.
    for h in ceiling.HORIZONS:
        occupied = [q.future[h] for q in asked if h in q.future]
        for level in ceiling.LEVELS:
            assert result["brier"][str(h)][level] == pytest.approx(np.mean(occupied))
    assert 0 < result["B2_mae_min"] < 30

    # Per feature set: MAE then each horizon, each over the grid; then x-fit.
    grid = len(ceiling.GRID)
    per_level = grid * (1 + len(ceiling.HORIZONS))
    assert len(calls) == len(ceiling.LEVELS) * per_level + grid
    mae_train = {c[0] for c in calls[: per_level * len(ceiling.LEVELS) : per_level]}
    assert len(mae_train) == 1  # the same training rows for every set
    # x-fit predicts the one test week from week one, without the rows whose
    # truth reaches into the test week: the same rows as the fixed split.
    assert [c[:2] for c in calls[-grid:]] == [(*mae_train, len(timed))] * grid
    widths = [c[2] for c in calls[: per_level * len(ceiling.LEVELS) : per_level]]
    # clock 4; rooms + 4 other rooms x 2 + 5 sensors; location + 3 + 3 x 8 codes
    # (0-7 in the synthetic home); activity + 2.
    assert widths == [4, 17, 44, 46]


def test_tables_show_skill_and_gain(capsys: pytest.CaptureFixture[str]) -> None:
    figures = dict.fromkeys((*ceiling.LEVELS, "location x-fit"), 50.0)
    brier = {str(h): dict.fromkeys(ceiling.LEVELS, 0.09) for h in ceiling.HORIZONS}
    report = {
        "bedroom": {
            "B2_mae_min": 62.5,
            "markov_brier": {"30": 0.1, "60": 0.12},
            "mae_min": figures,
            "brier": brier,
        }
    }
    ceiling.print_tables(report)
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["bedroom", "62.5"] + ["50.0", "(+0.200)"] * 5
    assert lines[5].split() == ["bedroom", "0.1000"] + ["0.0900", "(+0.100)"] * 4
    assert lines[8].split() == ["bedroom", "0.1200"] + ["0.0900", "(+0.250)"] * 4


def test_main_refuses_a_folder_without_aruba(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ceiling.main(["--data", str(tmp_path)]) == 1
    assert "no Aruba data" in capsys.readouterr().err


def test_minutes_line_up_with_the_episodes_of_load_aruba(tmp_path: Path) -> None:
    """A room is occupied exactly while its sensor was on in the last 10 minutes (the hold)."""
    home, episodes, rows = synthetic_study(tmp_path, 3)
    for room, code in ARUBA_ROOMS.items():
        queries = make_queries(episodes[room], home.start + 3600, home.end, 60.0)
        since = rows.matrix(queries, room, "location").values[:, 17 + 3 + code]
        occupied = np.array([q.state is OCC for q in queries])
        assert occupied.any()
        assert (~occupied).any()
        np.testing.assert_array_equal(occupied, since <= 10, err_msg=room)
