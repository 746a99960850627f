"""``script/benchmark``: score every model on the shared real homes and print tables.

Protocols:

* ``aruba_fixed``: CASAS Aruba minute location with a 10-minute hold, train on
  the first 56 days, test on the last 56, a prediction every 15 minutes (the
  protocol of the reference numbers in the dataset README).
* ``rolling``: every home, rolling origin by week: train on weeks 1..k (all
  models refit), test week k+1 (predict, then the week is learnt), a
  prediction every 30 minutes. Rooms with fewer than 20 changes are left out.

Each model's abstentions (InsufficientHistory) are answered by B2 and counted
in the ``abstained`` column. Figures: MAE / MedAE of the predicted median in
minutes (a median beyond 24 h counts as 24 h; the truth is capped at 24 h),
share within +-15 min, coverage of the 10-90 % interval and its median width,
mean confidence (to compare with within15: calibration), Brier of
P(occupied) at 15/30/60/120 min, and MAE skill against B2.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
import json
import math
from pathlib import Path
import statistics
import sys
import time
import tracemalloc

import numpy as np

from custom_components.occupancy_prediction.engine.context import Timeline, snapshot
from custom_components.occupancy_prediction.engine.ensemble import EnsembleModel
from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.occupancy import RoomOccupancy
from custom_components.occupancy_prediction.engine.timeutil import from_timestamp

from .datasets import Home, available, load_aruba, load_kasteren
from .evaluate import Adapter, Tally, make_queries, score, truncate
from .models import B1, B2, Context, Ensemble, Hazard, Markov

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
DAY = 86400.0
WEEK = 7 * DAY
MIN_ROOM_EPISODES = 20
ROLLING_EVERY = 1800.0
"""Rolling origin predicts every 30 minutes (the fixed protocol every 15) to keep the run short."""
PASSES = 5
"""Passes over the speed benchmark's predictions; the fastest pass's median is reported."""


def adapters(others: Mapping[str, Sequence[Episode]]) -> list[Adapter]:
    """Every model, for one room; ``others`` are the other rooms' episodes (context)."""
    hazard, context = Hazard(), Context(others)
    return [B1(), B2(), Markov(), hazard, context, Ensemble(hazard, context)]


def all_episodes(home: Home) -> dict[str, list[Episode]]:
    """Every room's episodes over the whole data."""
    return {name: room.episodes(home.end) for name, room in home.rooms.items()}


def evaluate_fixed(home: Home, train_days: float = 56, test_days: float = 56) -> dict:
    split = home.start + train_days * DAY
    results: dict[str, dict] = {}
    everything = all_episodes(home)
    for name, episodes in everything.items():
        models = adapters({other: e for other, e in everything.items() if other != name})
        for model in models:
            model.fit(truncate(episodes, split), home.time_zone)
        queries = make_queries(episodes, max(split, home.end - test_days * DAY), home.end)
        baseline = models[1]
        tallies = score(models, queries, fallback=baseline.answer)
        results[name] = {m.name: tallies[m.name].figures(m.gives_times) for m in models}
    return results


def evaluate_rolling(home: Home, every: float = ROLLING_EVERY) -> dict:
    results: dict[str, dict] = {}
    weeks = int((home.end - home.start) // WEEK)
    everything = all_episodes(home)
    for name, episodes in everything.items():
        if sum(e.ends_in_change for e in episodes) < MIN_ROOM_EPISODES:
            continue
        tallies: dict[str, Tally] = {}
        models = adapters({other: e for other, e in everything.items() if other != name})
        for k in range(1, weeks + (1 if weeks * WEEK < home.end - home.start else 0)):
            split = home.start + k * WEEK
            for model in models:
                model.fit(truncate(episodes, split), home.time_zone)
            queries = make_queries(episodes, split, min(split + WEEK, home.end), every)
            score(models, queries, fallback=models[1].answer, tallies=tallies)
        if tallies:
            results[name] = {m.name: tallies[m.name].figures(m.gives_times) for m in models}
    return results


def speed(home: Home, year_days: float = 365, copies: int = 20) -> dict:
    """Median update and prediction cost, refit time on 112 days, memory of 20 x 365 days.

    All for the whole ensemble (hazard, context and B2 models; the context
    model sees the other rooms) on the Aruba bedroom; the event update is the
    occupancy rules' (``RoomOccupancy``), what the event loop does per event.
    The prediction cost is the median over a prediction every hour of the
    last week but one, the best of ``PASSES`` passes.
    """
    room = home.rooms["bedroom"]
    tracker = RoomOccupancy(room.sensors, room.vacancy_delay)
    costs = []
    for event in room.events[:5000]:
        begin = time.perf_counter()
        tracker.update_ts(event.entity_id, event.value, event.timestamp)
        costs.append(time.perf_counter() - begin)
    everything = all_episodes(home)
    episodes = everything.pop("bedroom")
    timelines = {name: Timeline(found) for name, found in everything.items()}
    model = EnsembleModel(home.time_zone)
    refits = []
    for _ in range(3):
        begin = time.perf_counter()
        model.fit(episodes, everything)
        refits.append(time.perf_counter() - begin)
    queries = []
    for moment in np.arange(home.end - 7 * DAY, home.end - DAY, 3600.0):
        episode = next(e for e in reversed(episodes) if e.start <= moment)
        queries.append(
            (
                episode.state,
                from_timestamp(episode.start),
                from_timestamp(float(moment)),
                snapshot(timelines, float(moment)),
            )
        )
    # The median of each pass over the hourly moments, best of PASSES: a
    # busy shared machine only ever adds time (timeit's rule).
    pass_medians = []
    for _ in range(PASSES):
        predicts = []
        for query in queries:
            begin = time.perf_counter()
            model.predict(*query)
            predicts.append(time.perf_counter() - begin)
        pass_medians.append(statistics.median(predicts))
    learns = []
    learner = EnsembleModel(home.time_zone)
    for episode in episodes[:2000]:
        # Live, the other rooms' timelines are kept up to date as they change.
        begin = time.perf_counter()
        learner.learn(episode, timelines)
        learns.append(time.perf_counter() - begin)
    span = home.end - home.start
    year = _tile(episodes, span, year_days * DAY)
    year_others = {name: _tile(found, span, year_days * DAY) for name, found in everything.items()}
    tracemalloc.start()
    models = []
    for _ in range(copies):
        fitted = EnsembleModel(home.time_zone)
        fitted.fit(year, year_others)
        models.append(fitted)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "update_us_median": round(statistics.median(costs) * 1e6, 2),
        "predict_ms_median": round(min(pass_medians) * 1e3, 3),
        "refit_s_112d": round(min(refits), 3),
        "memory_mb_20x365": round(peak / 2**20, 2),
        "learn_episode_us_median": round(statistics.median(learns) * 1e6, 2),
    }


def _tile(episodes: Sequence[Episode], span: float, length: float) -> list[Episode]:
    """Repeat a history end to end up to ``length`` seconds (for the memory figure)."""
    tiled: list[Episode] = []
    shift = 0.0
    while shift < length:
        tiled.extend(
            Episode(
                e.state, e.start + shift, None if e.end is None else e.end + shift, e.next_state
            )
            for e in episodes
            if e.end is not None
        )
        shift += span
    return tiled


SPEED_KEYS = ("update_us_median", "predict_ms_median", "refit_s_112d", "memory_mb_20x365")
JSON_KEYS = ("mae_min", "medae_min", "within15", "coverage80", "width80_min", "brier")


def _for_json(report: dict) -> dict:
    """The report with exactly the issue's keys; NaN (no such figure) as null."""

    def clean(value: object) -> object:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    def model_figures(figures: dict) -> dict:
        return {k: clean(figures[k]) for k in JSON_KEYS if k in figures}

    def rooms(table: dict) -> dict:
        return {
            room: {m: model_figures(f) for m, f in models.items()} for room, models in table.items()
        }

    return {
        "aruba_fixed": rooms(report["aruba_fixed"]),
        "rolling": {home: rooms(table) for home, table in report["rolling"].items()},
        "speed": {k: report["speed"][k] for k in SPEED_KEYS if k in report["speed"]},
    }


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "   -  " if math.isnan(value) else f"{value:6.3f}" if value < 1 else f"{value:6.1f}"
    return str(value)


def print_room(title: str, figures: dict[str, dict]) -> None:
    print(f"\n{title}")
    header = (
        f"  {'model':<8} {'MAE':>6} {'MedAE':>6} {'w15':>6} {'cov80':>6} {'width':>6} "
        f"{'conf':>6} {'abst':>6} {'Br15':>6} {'Br30':>6} {'Br60':>6} {'Br120':>6} {'skill':>6}"
    )
    print(header)
    base = figures.get("B2", {}).get("mae_min", math.nan)
    for model, row in figures.items():
        brier = row["brier"]
        if "mae_min" in row:
            skill = 1 - row["mae_min"] / base if base else math.nan
            cells = [
                row["mae_min"], row["medae_min"], row["within15"], row["coverage80"],
                row["width80_min"], row["confidence"], row["abstained"],
            ]  # fmt: skip
        else:
            skill, cells = math.nan, [math.nan] * 7
        cells += [brier[k] for k in ("15", "30", "60", "120")] + [skill]
        print(f"  {model:<8} " + " ".join(_cell(float(c)) for c in cells))


def print_summary(report: dict) -> None:
    """MAE skill against B2 and Brier gains against Markov, one line per room."""
    print(
        "\n== Summary: MAE skill vs B2 (hazard / context / ensemble), "
        "ensemble Brier@30 and @60 gain vs markov"
    )
    tables = [("aruba_fixed", report["aruba_fixed"])]
    tables += [(f"rolling {home}", rooms) for home, rooms in report["rolling"].items()]
    for title, rooms in tables:
        for room, figures in rooms.items():
            base = figures["B2"]["mae_min"]
            skills = [1 - figures[m]["mae_min"] / base for m in ("hazard", "context", "ensemble")]
            gains = []
            for minutes in ("30", "60"):
                markov = figures["markov"]["brier"][minutes]
                gains.append(
                    1 - figures["ensemble"]["brier"][minutes] / markov if markov else math.nan
                )
            print(
                f"  {title:<16} {room:<16} B2 {base:6.1f}  skill {skills[0]:+.3f} / "
                f"{skills[1]:+.3f} / {skills[2]:+.3f}  Brier gain {gains[0]:+.3f} / {gains[1]:+.3f}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared datasets folder")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--skip-rolling", action="store_true", help="only the Aruba protocol")
    args = parser.parse_args(argv)
    found = available(args.data)
    if not found:
        print(f"benchmark: no datasets under {args.data}", file=sys.stderr)
        return 2
    report: dict[str, dict] = {"aruba_fixed": {}, "rolling": {}, "speed": {}}
    started = time.perf_counter()
    homes: dict[str, Home] = {}
    if "aruba" in found:
        homes["aruba"] = load_aruba(args.data)
        print(
            "== Aruba fixed protocol: 10-min hold, train days 1-56, test days 57-112, every 15 min"
        )
        print("   (MAE, MedAE, width in minutes; skill = 1 - MAE / MAE of B2)")
        report["aruba_fixed"] = evaluate_fixed(homes["aruba"])
        for room, figures in report["aruba_fixed"].items():
            print_room(f"aruba / {room}", figures)
    for house in ("houseA", "houseB", "houseD", "houseE"):
        if house in found:
            homes[house] = load_kasteren(args.data, house)
    if not args.skip_rolling:
        print("\n== Rolling origin: train weeks 1..k, test week k+1, weekly refit, every 30 min")
        for name, home in homes.items():
            report["rolling"][name] = evaluate_rolling(home)
            for room, figures in report["rolling"][name].items():
                print_room(f"{name} / {room}", figures)
    print_summary(report)
    if "aruba" in homes:
        report["speed"] = speed(homes["aruba"])
        print("\n== Speed and memory (the whole ensemble; Aruba bedroom)")
        for key, value in report["speed"].items():
            print(f"  {key:<24} {value}")
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(_for_json(report), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
