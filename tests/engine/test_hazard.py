"""Duration-aware hazard model: hand-computed cases, DST and degenerate histories."""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta
import json
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.hazard import (
    ELAPSED_EDGES_MINUTES,
    STEP_SECONDS,
    HazardModel,
    elapsed_bin,
    fit_hazard_table,
    fit_tables,
)
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.packing import FLOAT64, unpack
from custom_components.occupancy_prediction.engine.prediction import (
    HORIZON_SECONDS,
    InsufficientHistory,
    Prediction,
)
from tests.histories import T0, daily_hour

OCC, VAC, UNK = RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN
BERLIN = ZoneInfo("Europe/Berlin")
SHAPE = (len(ELAPSED_EDGES_MINUTES), 24, 2)


def constant_model(hazard: float) -> HazardModel:
    model = HazardModel(UTC)
    model.set_tables({OCC: np.full(SHAPE, hazard), VAC: np.full(SHAPE, hazard)})
    return model


def test_elapsed_bins() -> None:
    assert elapsed_bin(np.array([0.0, 299.0, 300.0, 3600.0, 10 * 86400.0])).tolist() == [
        0,
        0,
        1,
        7,
        len(ELAPSED_EDGES_MINUTES) - 1,
    ]


def test_constant_rate_is_fitted_exactly() -> None:
    """Every cell ends 10 % of its steps: the smoothed fit is 0.1 everywhere."""
    exposure = np.full(SHAPE, 100.0)
    fitted = fit_hazard_table(exposure * 0.1, exposure)
    assert fitted == pytest.approx(np.full(SHAPE, 0.1), abs=1e-3)


def test_empty_cells_borrow_from_their_neighbours() -> None:
    """Hour 5 has no exposure; the hour penalty fills it from hours 4 and 6."""
    exposure = np.full(SHAPE, 50.0)
    exposure[:, 5, :] = 0.0
    fitted = fit_hazard_table(exposure * 0.2, exposure)
    assert fitted[:, 5, :] == pytest.approx(np.full((SHAPE[0], 2), 0.2), abs=1e-2)


def test_geometric_remaining_time() -> None:
    """A hazard of 0.1 per 5-minute step: P(end by step k) = 1 - 0.9 ** k.

    The median lies in step 7 (F6 = 0.4686, F7 = 0.5217), at 6 + (0.5 - F6) /
    (F7 - F6) steps; the 10 % quantile is in step 1 at 0.1 / 0.1 = 1 step.
    """
    model = constant_model(0.1)
    now = T0 + timedelta(hours=12)
    prediction = model.predict(OCC, now - timedelta(minutes=3), now)
    assert isinstance(prediction, Prediction)
    f6, f7 = 1 - 0.9**6, 1 - 0.9**7
    median = (6 + (0.5 - f6) / (f7 - f6)) * STEP_SECONDS
    assert prediction.transition_type is VAC
    assert prediction.predicted_time is not None
    assert (prediction.predicted_time - now).total_seconds() == pytest.approx(median)
    assert (prediction.interval_lower - now).total_seconds() == pytest.approx(STEP_SECONDS)
    assert prediction.model == "hazard"


def test_constant_hazards_forecast_like_a_two_state_chain() -> None:
    """Both states end with 0.1 per step: P(occupied after k steps) = (1 + 0.8 ** k) / 2."""
    model = constant_model(0.1)
    now = T0 + timedelta(hours=12)
    prediction = model.predict(OCC, now, now)
    assert isinstance(prediction, Prediction)
    expected = {m: (1 + 0.8 ** (m // 5)) / 2 for m in (15, 30, 60, 120, 240)}
    assert prediction.occupancy_forecast == pytest.approx(expected)
    vacant = model.predict(VAC, now, now)
    assert isinstance(vacant, Prediction)
    assert vacant.occupancy_forecast == pytest.approx({m: 1 - p for m, p in expected.items()})


def cohort_forecast(
    tables: dict[RoomState, np.ndarray],
    state: RoomState,
    elapsed: float,
    now: datetime,
    *,
    zone: ZoneInfo,
    steps: int,
) -> list[float]:
    """P(occupied) after each step, following every episode cohort one step at a time.

    Independent of the model's code: clock features from ``datetime``, elapsed
    bins from the edges by ``bisect``, and one cohort per (state, birth step).
    """
    cohorts: list[tuple[RoomState, float | None, float]] = [(state, None, 1.0)]
    occupied = []
    for k in range(steps):
        local = (now + timedelta(seconds=k * STEP_SECONDS)).astimezone(zone)
        hour, weekend = local.hour, int(local.weekday() >= 5)
        born = {OCC: 0.0, VAC: 0.0}
        moved = []
        for cohort_state, age, mass in cohorts:
            seconds = elapsed + k * STEP_SECONDS if age is None else age * STEP_SECONDS
            column = bisect.bisect_right(ELAPSED_EDGES_MINUTES, seconds / 60) - 1
            hazard = float(tables[cohort_state][column, hour, weekend])
            moved.append((cohort_state, None if age is None else age + 1, mass * (1 - hazard)))
            born[VAC if cohort_state is OCC else OCC] += mass * hazard
        cohorts = moved + [(s, 0, m) for s, m in born.items()]
        occupied.append(sum(m for s, _, m in cohorts if s is OCC))
    return occupied


@pytest.mark.parametrize("state", [OCC, VAC])
@pytest.mark.parametrize("elapsed_minutes", [0, 37, 600])
def test_forecast_matches_a_cohort_by_cohort_recursion_across_dst(
    state: RoomState, elapsed_minutes: int
) -> None:
    """Random hazards by cell; the forecast window crosses the March change in Berlin."""
    rng = np.random.default_rng(elapsed_minutes)
    tables = {OCC: rng.uniform(0.0, 0.3, SHAPE), VAC: rng.uniform(0.0, 0.3, SHAPE)}
    model = HazardModel(BERLIN)
    model.set_tables(tables)
    now = datetime(2026, 3, 29, 0, 10, tzinfo=UTC)  # 01:10 CET; 03:00 CEST at 01:00 UTC
    since = now - timedelta(minutes=elapsed_minutes)
    prediction = model.predict(state, since, now)
    assert isinstance(prediction, Prediction)
    expected = cohort_forecast(tables, state, elapsed_minutes * 60.0, now, zone=BERLIN, steps=48)
    assert prediction.occupancy_forecast == pytest.approx(
        {m: expected[m // 5 - 1] for m in (15, 30, 60, 120, 240)}, abs=1e-12
    )


def test_learns_a_daily_hour() -> None:
    """Occupied 09:00-10:00 every day for three weeks: at 09:00 the end is an hour away."""
    model = HazardModel(UTC)
    model.fit(daily_hour(21))
    assert model.episode_counts == {OCC: 21, VAC: 20}
    now = T0 + timedelta(days=21, hours=9)
    prediction = model.predict(OCC, now, now)
    assert isinstance(prediction, Prediction)
    assert prediction.predicted_time is not None
    assert abs((prediction.predicted_time - now).total_seconds() - 3600) < 600
    assert prediction.occupancy_forecast[15] > 0.95
    assert prediction.occupancy_forecast[240] < 0.1
    # Vacant at 10:00: the next occupancy is about 23 hours away.
    later = now + timedelta(hours=1)
    vacant = model.predict(VAC, later, later)
    assert isinstance(vacant, Prediction)
    assert vacant.transition_type is OCC
    assert vacant.predicted_time is not None
    assert abs((vacant.predicted_time - later).total_seconds() - 23 * 3600) < 3600
    assert vacant.occupancy_forecast[60] < 0.1


def test_stuck_sensor_days_without_end() -> None:
    """A state open for three days: censored in training, capped at 24 h when predicting."""
    history = daily_hour(10)
    stuck_start = history[-1].end
    assert stuck_start is not None
    history.append(Episode(VAC, stuck_start, None, None))
    model = HazardModel(UTC)
    model.fit(history)
    since = datetime.fromtimestamp(stuck_start, UTC)
    now = since + timedelta(days=3)
    prediction = model.predict(VAC, since, now)
    assert isinstance(prediction, Prediction)
    assert prediction.interval_upper <= now + timedelta(seconds=HORIZON_SECONDS)
    assert 0.0 <= prediction.confidence <= 1.0


def test_degenerate_histories_say_so() -> None:
    now = T0 + timedelta(days=5)
    model = HazardModel(UTC)
    model.fit([])
    assert model.predict(OCC, now, now) == InsufficientHistory(episodes=0, needed=3)
    # One episode only.
    model.fit([Episode(OCC, T0.timestamp(), T0.timestamp() + 600, VAC)])
    assert model.predict(OCC, now, now) == InsufficientHistory(episodes=1, needed=3)
    # A training window with no occupied time at all (one open vacant episode).
    model.fit([Episode(VAC, T0.timestamp(), None, None)])
    assert model.predict(VAC, now, now) == InsufficientHistory(episodes=0, needed=3)
    assert model.predict(UNK, now, now) == InsufficientHistory(episodes=0, needed=3)


def test_two_day_history_predicts_without_forecast_for_an_unlearnt_state() -> None:
    """Two days give 2 occupied, 1 vacant episode: too few for both states."""
    model = HazardModel(UTC)
    model.fit(daily_hour(2))
    assert model.episode_counts == {OCC: 2, VAC: 1}
    now = T0 + timedelta(days=2, hours=9)
    assert isinstance(model.predict(OCC, now, now), InsufficientHistory)
    model.set_tables({OCC: np.full(SHAPE, 0.05)})
    prediction = model.predict(OCC, now, now)
    assert isinstance(prediction, Prediction)
    assert prediction.occupancy_forecast == {}


def test_person_periods_use_local_hours_across_dst() -> None:
    """Episodes start at 09:00 Berlin time before and after the March change."""
    model = HazardModel(BERLIN)
    history = daily_hour(20, zone=BERLIN)
    events, exposure, completed = model.person_periods(history, OCC)
    assert completed == 20
    # Each one-hour episode has 12 steps at local 09:xx, its first in elapsed bin 0.
    assert exposure[0, 9].sum() == 20
    assert exposure[:, 9].sum() == 240
    assert exposure[:, 8].sum() == 0
    assert events.sum() == 20


def test_bad_table_and_naive_datetimes() -> None:
    model = HazardModel(UTC)
    with pytest.raises(ValueError, match="shape"):
        model.set_tables({OCC: np.zeros((2, 2))})
    with pytest.raises(ValueError, match="naive"):
        model.predict(OCC, T0, datetime(2026, 5, 4))


def test_incremental_learning_then_refit_matches_a_full_fit() -> None:
    history = daily_hour(8)
    full = HazardModel(UTC)
    full.fit(history)
    learnt = HazardModel(UTC)
    learnt.fit(history[:5])
    for episode in history[5:]:
        learnt.learn(episode)
    learnt.learn(Episode(UNK, 0.0, 60.0, OCC))  # not a learnable state
    learnt.learn(Episode(OCC, 0.0, None, None))  # still going
    learnt.refit()
    assert learnt.episode_counts == full.episode_counts
    now = T0 + timedelta(days=8, hours=9)
    assert learnt.predict(OCC, now, now) == full.predict(OCC, now, now)
    fresh = HazardModel(UTC)
    fresh.learn(history[0])
    fresh.refit()
    assert fresh.episode_counts == {OCC: 1, VAC: 0}


def test_daily_hour_learnt_across_both_dst_changes() -> None:
    """09:00-10:00 Berlin time every day through the March change: still 09:00 after it."""
    model = HazardModel(BERLIN)
    history = daily_hour(20, zone=BERLIN)  # 2026-03-20 .. 04-08, change on 03-29
    model.fit(history)
    now = datetime(2026, 4, 9, 7, tzinfo=BERLIN)
    prediction = model.predict(VAC, now - timedelta(hours=21), now)
    assert isinstance(prediction, Prediction)
    assert prediction.predicted_time is not None
    # Every vacant spell ended in the last step of local hour 8 (08:55-09:00); at
    # hour resolution the model expects the change during local hour 8, not an
    # hour off as it would if the hours were read in UTC.
    local = prediction.predicted_time.astimezone(BERLIN)
    assert (
        datetime(2026, 4, 9, 8, tzinfo=BERLIN) <= local <= datetime(2026, 4, 9, 9, 5, tzinfo=BERLIN)
    )
    autumn = HazardModel(BERLIN)
    autumn_history = [
        Episode(e.state, e.start + 214 * 86400, (e.end or 0) + 214 * 86400, e.next_state)
        for e in daily_hour(20, zone=BERLIN)
    ]
    autumn.fit(autumn_history)
    _, exposure, _ = autumn.person_periods(autumn_history, OCC)
    # Shifted by 214 days some mornings fall after the October change: 08:00 local.
    assert exposure[:, 8].sum() > 0


def test_saved_and_restored_without_refit() -> None:
    model = HazardModel(UTC)
    model.fit(daily_hour(10))
    data = json.loads(json.dumps(model.to_dict()))
    restored = HazardModel.from_dict(UTC, data)
    now = T0 + timedelta(days=10, hours=9)
    assert restored.predict(OCC, now, now) == model.predict(OCC, now, now)
    assert restored.episode_counts == model.episode_counts
    restored.learn(daily_hour(11)[-1])
    restored.refit()
    assert restored.episode_counts[OCC] == 11
    with pytest.raises(ValueError, match="version"):
        HazardModel.from_dict(UTC, {**data, "version": 99})
    bad = {**data, "counts": {"occupied": {"events": [], "exposure": [], "completed": 0}}}
    with pytest.raises(ValueError, match="shape"):
        HazardModel.from_dict(UTC, bad)


def test_version_1_with_json_lists_is_read() -> None:
    """Version 1 stored the arrays as nested lists: the same model and predictions come back."""
    model = HazardModel(UTC)
    model.fit(daily_hour(10))
    packed = model.to_dict()
    assert packed["version"] == 2
    old = {
        "version": 1,
        "counts": {
            state: {
                "events": unpack(c["events"], FLOAT64, SHAPE).tolist(),
                "exposure": unpack(c["exposure"], FLOAT64, SHAPE).tolist(),
                "completed": c["completed"],
            }
            for state, c in packed["counts"].items()
        },
        "tables": {s: unpack(t, FLOAT64, SHAPE).tolist() for s, t in packed["tables"].items()},
    }
    assert len(old["tables"]["occupied"]) == SHAPE[0]  # nested, as version 1 wrote them
    restored = HazardModel.from_dict(UTC, json.loads(json.dumps(old)))
    assert restored.to_dict() == packed
    now = T0 + timedelta(days=10, hours=9)
    assert restored.predict(OCC, now, now) == model.predict(OCC, now, now)


def test_tables_fitted_from_a_snapshot_while_the_model_learns_on() -> None:
    """fit_tables on a snapshot (as in a worker thread) equals refit; later learning waits."""
    history = daily_hour(8)
    model = HazardModel(UTC)
    model.fit(history[:-2])
    for episode in history[-2:]:
        model.learn(episode)
    snapshot = model.counts_snapshot()
    model.learn(daily_hour(9)[-1])  # learned while the tables are being fitted
    model.use_tables(fit_tables(snapshot))
    full = HazardModel(UTC)
    full.fit(history)
    now = T0 + timedelta(days=8, hours=9)
    assert model.predict(OCC, now, now) == full.predict(OCC, now, now)
    assert model.episode_counts == full.episode_counts
    # The episode learned meanwhile is in the counts and enters at the next refit.
    model.refit()
    assert model.episode_counts[OCC] == 9
    # A state with too few episodes gets no table; its count is still reported.
    sparse = HazardModel(UTC)
    sparse.fit(history[:3])  # 2 occupied, 1 vacant
    sparse.use_tables(fit_tables(sparse.counts_snapshot()))
    assert sparse.episode_counts == {OCC: 2, VAC: 1}
    assert isinstance(sparse.predict(OCC, now, now), InsufficientHistory)
