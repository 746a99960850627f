"""``script/ceiling``: do richer features let a flexible learner reach the accuracy targets?

An offline study, not part of the integration or of CI. The prediction
engine's issue sets accuracy targets on the fixed Aruba protocol: MAE 20 %
below B2 and Brier at 30 and 60 min 10 % below the Markov chain. The shipped
ensemble reaches 1-5 % and 0-7 %. This study asks whether the information is
there to do much better, by training a flexible learner, gradient-boosted
trees (LightGBM: Ke et al., "LightGBM: a highly efficient gradient boosting
decision tree", NeurIPS 2017), on more and more information, and by being
generous to it:

* the same protocol: 10-minute hold, train on days 1-56, the queries of
  days 57-112 every 15 minutes, the same truths (``benchmarks.evaluate``).
  Training rows are every 5 minutes of days 1-56, those whose truth lies
  after day 56 left out;
* the median remaining time from the L1 objective (minutes, clipped to
  0-1440 like the truth); P(occupied at +h) from the binary log-loss
  objective, one model per horizon;
* feature sets, each adding to the one before:

  - ``clock``: a control with the baselines' information: minute of day and
    day of week (from the data's first midnight, local time), the room's
    state and minutes in it;
  - ``rooms``: what the integration sees: plus every other room's state and
    minutes in it, and every room's sensor (on now, minutes since it was
    last on);
  - ``location``: plus the resident's raw minute location, which includes
    the hallway, the corridor and "outside", which have no sensor here: the
    place now, minutes in it and the place before, minutes since each place
    was last seen, the share of each over the last hour and the last day;
  - ``activity``: plus the annotated activity (Sleeping, Relax,
    Meal_Preparation...) and minutes in it, which no sensor gives;

* ``location x-fit``: the ``location`` set with each test week predicted
  from all the other weeks, later ones included (twice the training data);
  rows whose truth reaches into the predicted week are left out;
* each figure is the best of a small grid of tree settings chosen *on the
  test queries*.

The figures are not a bound on what any model can do (the trees are below
the shipped ensemble on some rooms), but they show how much a capable
learner gains from each kind of information over its own ``clock`` control.
The learner is deterministic (fixed seed); two runs print the same figures.

Needs LightGBM, which the integration does not use: ``script/ceiling``
installs it next to the virtualenv (``.study/``, not committed).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import importlib
import json
from pathlib import Path
import sys
from typing import Any

import numpy as np

from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.occupancy import RoomState

from .datasets import ARUBA_ROOMS, Home, load_aruba
from .evaluate import Query, make_queries, score, truncate
from .models import B2, Markov
from .run import DAY, DEFAULT_DATA, all_episodes

TRAIN_DAYS = 56
TRAIN_EVERY = 300.0
"""Seconds between training rows (the test queries are every 15 minutes)."""
CAP_MINUTES = 2880.0
"""'Minutes since' features are capped at two days."""
HORIZONS = (30, 60)
LEVELS = ("clock", "rooms", "location", "activity")
GRID = ({"num_leaves": 7}, {"num_leaves": 15}, {"num_leaves": 31})
BASE = {
    "learning_rate": 0.03,
    "min_data_in_leaf": 40,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "seed": 0,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "verbose": -1,
}
ROUNDS = 300
WEEK = 7 * DAY


@dataclass
class Minutes:
    """Aruba's minute files and the features derived from them, one row a minute.

    Minute ``i`` is ``i`` minutes after the data's start; codes are the
    files' integers (location 0-9, activity 0-11).
    """

    since: np.ndarray
    """Minutes since each location code was last seen (0 while it is), capped
    at ``CAP_MINUTES``, shape (n, codes)."""
    features: np.ndarray
    """``location`` columns, shape (n, 3 + 3 x codes): the code now, minutes in
    it, the code before (NaN at the start), then ``since``, then the share of
    each code over the last 60 and over the last 1440 minutes (0-1)."""
    oracle: np.ndarray
    """``activity`` columns, shape (n, 2): the activity code and minutes in it."""


def _run_lengths(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minutes each minute's code has lasted, and the code before it (-1 at the start)."""
    change = np.ones(len(codes), dtype=bool)
    change[1:] = codes[1:] != codes[:-1]
    starts = np.flatnonzero(change)
    index = np.cumsum(change) - 1
    lasted = np.arange(len(codes)) - starts[index]
    before = np.full(len(starts), -1)
    before[1:] = codes[starts[1:] - 1]
    return lasted.astype(float), before[index].astype(float)


def load_minutes(data: Path) -> Minutes:
    """Read ``location.min`` and ``activity.min`` under ``data`` and derive the features."""
    folder = data / "aruba_minute_location"
    location = np.loadtxt(folder / "location.min", dtype=np.int64)
    activity = np.loadtxt(folder / "activity.min", dtype=np.int64)
    n, codes = len(location), int(location.max()) + 1
    minute = np.arange(n)
    since = np.empty((n, codes))
    for code in range(codes):
        seen = np.where(location == code, minute, -1)
        last = np.maximum.accumulate(seen)
        since[:, code] = np.where(last < 0, CAP_MINUTES, np.minimum(minute - last, CAP_MINUTES))
    counts = np.vstack([np.zeros(codes), np.cumsum(np.eye(codes)[location], axis=0)])

    def share(window: int) -> np.ndarray:
        low = np.maximum(minute + 1 - window, 0)
        return (counts[minute + 1] - counts[low]) / (minute + 1 - low)[:, None]

    lasted, before = _run_lengths(location)
    before[before < 0] = np.nan  # nothing before the first minute: missing, to the trees
    features = np.column_stack([location, lasted, before, since, share(60), share(1440)])
    activity_lasted, _ = _run_lengths(activity)
    return Minutes(since, features, np.column_stack([activity, activity_lasted]))


@dataclass
class Table:
    """Feature rows, shape (queries, columns), and which columns are categories."""

    values: np.ndarray
    categorical: list[int]


class Rows:
    """Feature rows of one room's queries, for each feature set (``LEVELS``).

    Args:
        home: the home (its ``start`` is minute 0 of ``minutes``).
        minutes: the minute features.
        episodes: every room's episodes over the whole data.
        sensors: each room's location code (its sensor is on while the
            resident is there).
    """

    def __init__(
        self,
        home: Home,
        minutes: Minutes,
        episodes: dict[str, list[Episode]],
        sensors: dict[str, int],
    ) -> None:
        """Index the episodes by start time."""
        self.home, self.minutes, self.sensors = home, minutes, sensors
        self.index = {
            room: (np.array([e.start for e in eps]), eps) for room, eps in episodes.items()
        }

    def _minute(self, query: Query) -> int:
        return round((query.time - self.home.start) / 60.0)

    def _clock(self, query: Query) -> list[float]:
        minute = self._minute(query)
        return [
            minute % 1440,
            (minute // 1440) % 7,
            float(query.state is RoomState.OCCUPIED),
            min((query.time - query.since) / 60.0, CAP_MINUTES),
        ]

    def _rooms(self, query: Query, room: str) -> list[float]:
        row: list[float] = []
        for other, (starts, eps) in self.index.items():
            if other == room:
                continue
            index = int(np.searchsorted(starts, query.time, side="right")) - 1
            if index < 0:  # before the room's first episode: nothing known yet
                row += [0.0, CAP_MINUTES]
                continue
            row.append(float(eps[index].state is RoomState.OCCUPIED))
            row.append(min((query.time - eps[index].start) / 60.0, CAP_MINUTES))
        since = self.minutes.since[self._minute(query)]
        row += [float(since[code]) for code in self.sensors.values()]
        return row

    def matrix(self, queries: Sequence[Query], room: str, level: str) -> Table:
        """The rows of ``queries`` for feature set ``level`` (one of ``LEVELS``)."""
        parts = [np.array([self._clock(q) for q in queries])]
        if level != "clock":
            parts.append(np.array([self._rooms(q, room) for q in queries]))
        categorical: list[int] = []
        if level in ("location", "activity"):
            width = sum(part.shape[1] for part in parts)
            categorical += [width, width + 2]  # the place now and the place before
            minute = np.array([self._minute(q) for q in queries])
            parts.append(self.minutes.features[minute])
            if level == "activity":
                categorical.append(width + self.minutes.features.shape[1])
                parts.append(self.minutes.oracle[minute])
        return Table(np.column_stack(parts), categorical)


def fit_predict(
    setting: dict[str, Any], train: tuple[Table, np.ndarray], test: Table
) -> np.ndarray:
    """Train LightGBM (``BASE`` updated by ``setting``) on ``train``; predict ``test``'s rows.

    LightGBM is imported here, so the rest of the study (and its tests) does
    not need it.
    """
    lgb = importlib.import_module("lightgbm")
    table, target = train
    data = lgb.Dataset(table.values, target, categorical_feature=table.categorical)
    booster = lgb.train({**BASE, **setting}, data, num_boost_round=ROUNDS)
    return np.asarray(booster.predict(test.values))


def best_of_grid(
    train: tuple[Table, np.ndarray],
    test: Table,
    objective: str,
    loss: Callable[[np.ndarray], float],
) -> float:
    """Fit each grid setting on ``train``; the lowest ``loss`` of its predictions of ``test``."""
    return min(loss(fit_predict({**s, "objective": objective}, train, test)) for s in GRID)


def study_room(home: Home, rows: Rows, room: str, episodes: list[Episode]) -> dict[str, Any]:
    """Every figure of one room: MAE (minutes) and Brier per feature set and horizon.

    Also B2's MAE and the Markov chain's Brier on the same queries, as the
    benchmark computes them.
    """
    split = home.start + TRAIN_DAYS * DAY
    test_start = max(split, home.end - TRAIN_DAYS * DAY)
    b2, markov = B2(), Markov()
    for model in (b2, markov):
        model.fit(truncate(episodes, split), home.time_zone)
    queries = make_queries(episodes, test_start, home.end)
    tallies = score([b2, markov], queries)
    brier: dict[str, float] = tallies["markov"].figures(times=False)["brier"]  # type: ignore[assignment]
    result: dict[str, Any] = {
        "B2_mae_min": tallies["B2"].figures()["mae_min"],
        "markov_brier": {str(h): brier[str(h)] for h in HORIZONS},
        "mae_min": {},
        "brier": {str(h): {} for h in HORIZONS},
    }
    # Training rows whose truth is only known after the split are left out.
    training = make_queries(episodes, home.start, split, TRAIN_EVERY)
    timed_train = [q for q in training if q.remaining is not None and q.time + q.remaining <= split]
    timed_test = [q for q in queries if q.remaining is not None]
    truth = np.array([q.remaining for q in timed_test]) / 60.0

    target = np.array([q.remaining for q in timed_train]) / 60.0
    # Per horizon: the training rows, their truths, the test queries and theirs.
    occupancy = {}
    for h in HORIZONS:
        fit = [q for q in training if h in q.future and q.time + 60 * h <= split]
        ask = [q for q in queries if h in q.future]
        occupancy[h] = (
            fit,
            np.array([q.future[h] for q in fit]),
            ask,
            np.array([q.future[h] for q in ask]),
        )

    def mae(predicted: np.ndarray) -> float:
        return float(np.mean(np.abs(np.clip(predicted, 0.0, 1440.0) - truth)))

    for level in LEVELS:
        result["mae_min"][level] = best_of_grid(
            (rows.matrix(timed_train, room, level), target),
            rows.matrix(timed_test, room, level),
            "l1",
            mae,
        )
        for h, (fit, fit_truth, ask, seen) in occupancy.items():
            result["brier"][str(h)][level] = best_of_grid(
                (rows.matrix(fit, room, level), fit_truth),
                rows.matrix(ask, room, level),
                "binary",
                lambda p, seen=seen: float(np.mean((p - seen) ** 2)),
            )
    result["mae_min"]["location x-fit"] = cross_fitted(home, rows, room, episodes, test_start)
    return result


def cross_fitted(
    home: Home, rows: Rows, room: str, episodes: list[Episode], test_start: float
) -> float:
    """MAE (minutes) of the ``location`` set, each test week predicted from the other weeks.

    The predicted queries are the protocol's (from ``test_start``, every 15
    minutes, timed); a training row is left out when its truth reaches into
    the week it would help predict.
    """
    every = make_queries(episodes, home.start, home.end, TRAIN_EVERY)
    timed = [q for q in every if q.remaining is not None]
    table = rows.matrix(timed, room, "location")
    target = np.array([q.remaining for q in timed]) / 60.0
    times = np.array([q.time for q in timed])
    ends = times + 60.0 * target
    week = ((times - home.start) // WEEK).astype(int)
    asked = (times >= test_start) & ((times - home.start) % 900.0 == 0.0)
    best = np.inf
    for setting in GRID:
        errors: list[np.ndarray] = []
        for held in np.unique(week[asked]):
            held_start = home.start + held * WEEK
            fit = (week != held) & ((times >= held_start + WEEK) | (ends <= held_start))
            test = asked & (week == held)
            predicted = fit_predict(
                {**setting, "objective": "l1"},
                (Table(table.values[fit], table.categorical), target[fit]),
                Table(table.values[test], table.categorical),
            )
            errors.append(np.abs(np.clip(predicted, 0.0, 1440.0) - target[test]))
        best = min(best, float(np.mean(np.concatenate(errors))))
    return best


def print_tables(report: dict[str, dict[str, Any]]) -> None:
    """MAE skill against B2 and Brier gain against the Markov chain, one row per room."""
    names = (*LEVELS, "location x-fit")
    print("== MAE (min) and skill vs B2; best of the grid on the test queries (optimistic)")
    print(f"  {'room':<12} {'B2':>6}" + "".join(f" {name:>21}" for name in names))
    for room, result in report.items():
        b2 = result["B2_mae_min"]
        values = [result["mae_min"][name] for name in names]
        cells = "".join(f" {value:>12.1f} ({1 - value / b2:+.3f})" for value in values)
        print(f"  {room:<12} {b2:>6.1f}{cells}")
    for h in HORIZONS:
        print(f"== Brier@{h} and gain vs the Markov chain")
        print(f"  {'room':<12} {'markov':>7}" + "".join(f" {name:>18}" for name in LEVELS))
        for room, result in report.items():
            base = result["markov_brier"][str(h)]
            values = [result["brier"][str(h)][name] for name in LEVELS]
            cells = "".join(f" {value:>9.4f} ({1 - value / base:+.3f})" for value in values)
            print(f"  {room:<12} {base:>7.4f}{cells}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study on every Aruba room; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared datasets folder")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not (args.data / "aruba_minute_location").is_dir():
        print(f"script/ceiling: no Aruba data under {args.data}", file=sys.stderr)
        return 1
    home = load_aruba(args.data)
    episodes = all_episodes(home)
    rows = Rows(home, load_minutes(args.data), episodes, ARUBA_ROOMS)
    report = {}
    for room in ARUBA_ROOMS:
        report[room] = study_room(home, rows, room, episodes[room])
        print(f"  ({room} done)", file=sys.stderr, flush=True)
    print_tables(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
