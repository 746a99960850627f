"""The benchmark pipeline on a small synthetic home; on the real data when present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import run
from benchmarks.datasets import ARUBA_ROOMS, available, load_aruba, load_kasteren
from benchmarks.evaluate import make_queries, truncate
from custom_components.occupancy_prediction.engine.occupancy import RoomState

SHARED = run.DEFAULT_DATA


def write_synthetic_aruba(folder: Path, days: int) -> None:
    """Bedroom 23:00-07:00, bathroom 07:00-07:20, kitchen 07:20-08:00, living room else."""
    minutes = np.arange(days * 1440) % 1440
    codes = np.full(minutes.shape, ARUBA_ROOMS["living_room"])
    codes[(minutes >= 23 * 60) | (minutes < 7 * 60)] = ARUBA_ROOMS["bedroom"]
    codes[(minutes >= 7 * 60) & (minutes < 7 * 60 + 20)] = ARUBA_ROOMS["bathroom"]
    codes[(minutes >= 7 * 60 + 20) & (minutes < 8 * 60)] = ARUBA_ROOMS["kitchen"]
    codes[(minutes >= 14 * 60) & (minutes < 15 * 60)] = ARUBA_ROOMS["office"]
    target = folder / "aruba_minute_location"
    target.mkdir(parents=True)
    np.savetxt(target / "location.min", codes, fmt="%d")


def write_synthetic_house(folder: Path) -> None:
    target = folder / "kasteren_mit_houses"
    target.mkdir(parents=True)
    (target / "houseD.sensor_names").write_text("1\tKitchen,Fridge\n2\tBathroom,Toilet Flush\n")
    start = 1_048_000_000
    rows = []
    for day in range(15):
        for hour in (8, 12, 19):
            rows.append((start + day * 86400 + hour * 3600, 120, 1))
        rows.append((start + day * 86400 + 7 * 3600, 60, 2))
    np.savetxt(target / "houseD.sensors", np.array(rows), fmt="%d", delimiter="\t")


def test_nothing_available_in_an_empty_folder(tmp_path: Path) -> None:
    assert available(tmp_path) == {}


def test_fixed_protocol_and_speed_on_a_synthetic_aruba(tmp_path: Path) -> None:
    write_synthetic_aruba(tmp_path, 21)
    home = load_aruba(tmp_path)
    bedroom = home.rooms["bedroom"].episodes(home.end)
    split = home.start + 14 * run.DAY
    train = truncate(bedroom, split)
    assert train[-1].end is None
    queries = make_queries(bedroom, split, home.end)
    assert queries
    assert all(q.state in (RoomState.OCCUPIED, RoomState.VACANT) for q in queries)
    fixed = run.evaluate_fixed(home, train_days=14, test_days=7)
    assert fixed["bedroom"]["B2"]["mae_min"] < 30
    assert fixed["bedroom"]["hazard"]["mae_min"] < 30
    assert set(fixed["bedroom"]["markov"]) == {"brier"}
    figures = run.speed(home, year_days=28, copies=2)
    assert set(run.SPEED_KEYS) < set(figures)
    assert run._for_json({"aruba_fixed": {}, "rolling": {}, "speed": figures})["speed"] == {
        k: figures[k] for k in run.SPEED_KEYS
    }


def test_rolling_protocol_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_synthetic_house(tmp_path)
    house = load_kasteren(tmp_path, "houseD")
    assert set(house.rooms) == {"kitchen", "bathroom"}
    out = tmp_path / "report.json"
    assert run.main(["--data", str(tmp_path), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report) == {"aruba_fixed", "rolling", "speed"}
    figures = report["rolling"]["houseD"]["kitchen"]
    assert set(figures) == {"B1", "B2", "markov", "hazard", "context", "ensemble"}
    assert set(figures["hazard"]) == set(run.JSON_KEYS)
    assert set(figures["markov"]) == {"brier"}
    assert set(figures["hazard"]["brier"]) == {"15", "30", "60", "120"}
    printed = capsys.readouterr().out
    assert "houseD / kitchen" in printed


def test_missing_data_is_reported(tmp_path: Path) -> None:
    assert run.main(["--data", str(tmp_path)]) == 2


@pytest.mark.skipif(not available(SHARED), reason="shared datasets not present")
def test_real_aruba_loads() -> None:
    home = load_aruba(SHARED)
    assert set(home.rooms) == set(ARUBA_ROOMS)
    assert (home.end - home.start) / run.DAY == 112
