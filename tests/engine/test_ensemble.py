"""Ensemble: member histograms, log scores and online weights."""

from __future__ import annotations

from datetime import UTC, timedelta
import json
import math

import numpy as np
import pytest

from custom_components.occupancy_prediction.engine import ensemble as ensemble_module
from custom_components.occupancy_prediction.engine.distribution import RemainingTime
from custom_components.occupancy_prediction.engine.ensemble import (
    FLOOR,
    MISS_RANGE,
    EnsembleModel,
    MemberForecast,
    crps,
    distribution_from_samples,
    log_score,
    quantile_average,
    with_survival,
)
from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.hourly_median import HourlyMedianModel
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import (
    HORIZON_SECONDS,
    InsufficientHistory,
    Prediction,
)
from tests.histories import T0, daily_hour

OCC, VAC, UNK = RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN
STEPS = 288


def test_samples_give_numpys_sample_quantiles() -> None:
    """The CDF runs linearly through the sorted samples at levels k / (n - 1).

    Samples 0 s, 400 s and 24 h: F(300) = 0.375, F(600) = 0.5 + 200 / 86000 / 2;
    numpy's median is 400 s and its 90 % quantile 400 + 0.8 * 86000 s. The
    grid keeps the CDF at the 5-minute edges only (linear between them), so
    quantiles agree to within one step.
    """
    samples = np.array([0.0, 400.0, 86400.0])
    distribution = distribution_from_samples(samples)
    assert distribution.pmf[:2] == pytest.approx([0.375, 0.5 + 100 / 86000 - 0.375])
    # Step 1 holds 0.375..0.50116: the median is 0.99 of the way through it.
    assert distribution.quantile(0.5) == pytest.approx(
        300 + 300 * 0.125 / (0.5 + 100 / 86000 - 0.375)
    )
    assert distribution.quantile(0.9) == pytest.approx(np.quantile(samples, 0.9), abs=300.0)
    sparse = np.array([600.0, 3000.0, 6000.0, 9000.0])  # an even count: 4500 s between
    assert distribution_from_samples(sparse).quantile(0.5) == pytest.approx(4500.0, abs=300.0)
    single = distribution_from_samples(np.array([400.0]))
    assert single.pmf[1] == 1.0
    assert single.pmf.sum() == 1.0
    assert distribution_from_samples(np.array([86400.0, 86400.0])).quantile(0.5) is None
    assert distribution_from_samples(np.array([86400.0])).pmf.sum() == 0.0
    assert distribution_from_samples(np.empty(0)).pmf.sum() == 0.0


def test_log_score_with_the_floor() -> None:
    """All mass in step 0: the floored probability there is 0.99 + 0.01 / 289."""
    pmf = np.zeros(STEPS)
    pmf[0] = 1.0
    distribution = RemainingTime(300.0, pmf)
    floor = FLOOR / (STEPS + 1)
    assert log_score(distribution, 100.0) == pytest.approx(math.log(1 - FLOOR + floor))
    assert log_score(distribution, 7200.0) == pytest.approx(math.log(floor))
    # "Beyond 24 h" gets what the floored steps leave: the floor share of it.
    assert log_score(distribution, 86400.0) == pytest.approx(math.log(floor))


def test_weights_follow_the_log_scores() -> None:
    """One member put everything in step 0, the other in step 1; the truth is in step 0."""
    model = EnsembleModel(UTC, forgetting=0.5, crps_scale=None)
    early, late = np.zeros(STEPS), np.zeros(STEPS)
    early[0], late[1] = 1.0, 1.0
    members = MemberForecast(
        {"hazard": RemainingTime(300.0, early), "hourly_median": RemainingTime(300.0, late)}
    )
    model.observe(members, 60.0)
    good = math.log(1 - FLOOR + FLOOR / (STEPS + 1))
    bad = math.log(FLOOR / (STEPS + 1))
    # The context model did not predict: it is scored like the worst member.
    assert model.scores == pytest.approx({"hazard": good, "hourly_median": bad, "context": bad})
    weights = model.weights
    assert weights["hazard"] == pytest.approx(1 / (1 + 2 * math.exp(bad - good)))
    model.observe(MemberForecast({}), 60.0)  # nothing to score
    model.observe(members, 60.0)
    assert model.scores["hazard"] == pytest.approx(good * 1.5)


def test_untrained_and_unknown_say_so() -> None:
    model = EnsembleModel(UTC)
    now = T0 + timedelta(days=3)
    assert model.predict(OCC, now, now) == InsufficientHistory(episodes=0, needed=3)
    model.fit(daily_hour(14))
    assert isinstance(model.predict(UNK, now, now), InsufficientHistory)


@pytest.fixture
def few_episodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the hazard and context models join after 3 episodes instead of 50."""
    monkeypatch.setattr(ensemble_module, "MIN_MODEL_EPISODES", 3)


def test_b2_alone_until_enough_episodes() -> None:
    """Under MIN_MODEL_EPISODES episodes only B2 predicts, and the ensemble says what B2 says."""
    model = EnsembleModel(UTC)
    model.fit(daily_hour(14))
    assert ensemble_module.MIN_MODEL_EPISODES > 14
    now = T0 + timedelta(days=14, hours=9, minutes=20)
    prediction = model.predict(OCC, now - timedelta(minutes=20), now, others={})
    assert isinstance(prediction, Prediction)
    assert [c.model for c in prediction.contributions] == ["hourly_median"]
    own = HourlyMedianModel(UTC)
    own.fit(daily_hour(14))
    alone = own.predict(OCC, now)
    assert isinstance(alone, Prediction)
    assert alone.predicted_time is not None
    assert prediction.predicted_time is not None
    # To within one 5-minute step of the grid.
    assert abs((prediction.predicted_time - alone.predicted_time).total_seconds()) < 300.0


@pytest.mark.usefixtures("few_episodes")
def test_mixture_prediction_with_contributions() -> None:
    model = EnsembleModel(UTC)
    model.fit(daily_hour(14))
    now = T0 + timedelta(days=14, hours=9)
    prediction = model.predict(OCC, now, now)
    assert isinstance(prediction, Prediction)
    assert prediction.model == "ensemble"
    assert prediction.transition_type is VAC
    assert prediction.predicted_time is not None
    hazard = next(c for c in prediction.contributions if c.model == "hazard")
    assert hazard.predicted_time is not None
    assert abs((hazard.predicted_time - now).total_seconds() - 3600) < 600
    names = {c.model for c in prediction.contributions}
    assert names == {"hazard", "hourly_median"}  # no context given: no context member
    assert sum(c.weight for c in prediction.contributions) == pytest.approx(1.0)
    assert set(prediction.occupancy_forecast) == {15, 30, 60, 120, 240}
    with_context = model.predict(OCC, now, now, others={})
    assert isinstance(with_context, Prediction)
    assert {c.model for c in with_context.contributions} == {"hazard", "hourly_median", "context"}
    # Equal weights: the median is the mean of the members' medians.
    medians = [c.predicted_time for c in with_context.contributions]
    assert all(m is not None for m in medians)
    mean = sum((m - now).total_seconds() for m in medians if m is not None) / 3
    assert with_context.predicted_time is not None
    assert (with_context.predicted_time - now).total_seconds() == pytest.approx(mean, abs=2.0)


def test_quantile_average_by_hand() -> None:
    """Uniform on step 0 and on step 2, equal weights: Q(p) = 300 + 300 p, all in step 1."""
    first, third = np.zeros(STEPS), np.zeros(STEPS)
    first[0], third[2] = 1.0, 1.0
    average = quantile_average(
        {"a": (0.5, RemainingTime(300.0, first)), "b": (0.5, RemainingTime(300.0, third))}
    )
    assert average.pmf[1] == pytest.approx(1.0)
    assert average.quantile(0.5) == pytest.approx(450.0)
    # Weights 3:1 move the median to 0.75 * 150 + 0.25 * 750 = 300 s.
    skewed = quantile_average(
        {"a": (0.75, RemainingTime(300.0, first)), "b": (0.25, RemainingTime(300.0, third))}
    )
    assert skewed.quantile(0.5) == pytest.approx(300.0, abs=1.0)
    # "Beyond 24 h" counts as 36 h: averaged with step 0 it lands at 18 h.
    beyond = quantile_average(
        {"a": (0.5, RemainingTime(300.0, first)), "b": (0.5, RemainingTime(300.0, np.zeros(STEPS)))}
    )
    assert beyond.pmf[216] == pytest.approx(1.0)
    alone = quantile_average({"b": (1.0, RemainingTime(300.0, np.zeros(STEPS)))})
    assert alone.pmf.sum() == pytest.approx(0.0)


def test_crps_by_hand() -> None:
    """All mass in the first step, truth 60 min: F - 1{x >= 60 min} is 1 on 11 steps."""
    pmf = np.zeros(STEPS)
    pmf[0] = 1.0
    distribution = RemainingTime(300.0, pmf)
    assert crps(distribution, 3600.0) == pytest.approx(11 * 300.0)
    assert crps(distribution, 0.0) == pytest.approx(0.0)


def test_crps_weights() -> None:
    model = EnsembleModel(UTC, forgetting=1.0, crps_scale=300.0)
    early, late = np.zeros(STEPS), np.zeros(STEPS)
    early[0], late[1] = 1.0, 1.0
    members = MemberForecast(
        {"hazard": RemainingTime(300.0, early), "hourly_median": RemainingTime(300.0, late)}
    )
    model.observe(members, 0.0)
    # The late member is off by one step: CRPS 300 s, score -1.
    assert model.scores == pytest.approx({"hazard": 0.0, "hourly_median": -1.0, "context": -1.0})


def test_incremental_learning_feeds_every_member() -> None:
    """learn() adds to B2, the context model and the hazard counts; a refit matches a fit."""
    history = daily_hour(10)
    full = EnsembleModel(UTC)
    full.fit(history)
    learnt = EnsembleModel(UTC)
    learnt.fit(history[:-4])
    for episode in history[-4:]:
        learnt.learn(episode)
    assert learnt.episode_counts == full.episode_counts == {OCC: 10, VAC: 9}
    learnt.hazard.refit()
    now = T0 + timedelta(days=10, hours=9)
    assert learnt.predict(OCC, now, now) == full.predict(OCC, now, now)
    assert learnt.predict(OCC, now, now, {}) == full.predict(OCC, now, now, {})


def test_b2_after_learning_is_that_of_a_fresh_fit() -> None:
    """B2's distribution, kept between predictions, is renewed by learning and by a refit.

    Six days occupied 09:00-10:00, then four days 09:00-11:00. B2's samples
    at hour 9 are the remaining times at 09:00, 09:05, ... 09:55: 300..3600 s
    on a short day, 3900..7200 s on a long one. Median of the 72 short-day
    samples: (1800 + 2100) / 2 = 1950 s; with the 48 long-day ones (120
    samples): (3000 + 3300) / 2 = 3150 s; each read back from the 5-minute
    grid to within a step. A model fitted on all ten days predicts the same.
    """
    history = daily_hour(6)
    for day in range(6, 10):
        begin = (T0 + timedelta(days=day, hours=9)).timestamp()
        end = history[-1].end
        assert end is not None
        history.append(Episode(VAC, end, begin, OCC))
        history.append(Episode(OCC, begin, begin + 7200, VAC))
    full = EnsembleModel(UTC)
    full.fit(history)
    model = EnsembleModel(UTC)
    model.fit(history[:11])
    now = T0 + timedelta(days=10, hours=9)
    before = model.predict(OCC, now, now)
    assert isinstance(before, Prediction)
    assert before.predicted_time is not None
    assert abs((before.predicted_time - now).total_seconds() - 1950) <= 300
    for episode in history[11:]:
        model.learn(episode)
    model.hazard.refit()  # the hazard's forecast changes at its refit, B2 at once
    after = model.predict(OCC, now, now)
    assert after == full.predict(OCC, now, now)
    assert isinstance(after, Prediction)
    assert after.predicted_time is not None
    assert abs((after.predicted_time - now).total_seconds() - 3150) <= 300
    model.fit(history[:11])
    assert model.predict(OCC, now, now) == before


@pytest.mark.usefixtures("few_episodes")
def test_saved_and_restored_with_its_weights() -> None:
    model = EnsembleModel(UTC)
    model.fit(daily_hour(14))
    now = T0 + timedelta(days=14, hours=9, minutes=10)
    _, members = model.predict_with_members(OCC, now - timedelta(minutes=10), now)
    model.observe(members, 3000.0)
    assert len(set(model.weights.values())) > 1
    data = json.loads(json.dumps(model.to_dict()))
    restored = EnsembleModel.from_dict(UTC, data)
    assert restored.scores == model.scores
    assert restored.weights == model.weights
    assert restored.miss_levels == model.miss_levels != {OCC: 0.2, VAC: 0.2}
    since = now - timedelta(minutes=10)
    assert restored.predict(OCC, since, now) == model.predict(OCC, since, now)
    assert restored.predict(VAC, since, now) == model.predict(VAC, since, now)
    assert restored.predict(VAC, since, now, {}) == model.predict(VAC, since, now, {})
    assert restored.episode_counts == model.episode_counts


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"version": 1}, "version"),
        ({"scores": {"hazard": 0.0}}, "members"),
        ({"scores": {"hazard": math.nan, "hourly_median": 0.0, "context": 0.0}}, "members"),
        ({"hazard": {"version": 1}}, "malformed"),
        ({"context": {"occupied": []}}, "malformed"),
        ({"forgetting": "often"}, "could not convert"),
        ({"miss_levels": {"occupied": 0.9}}, "out of range"),
        ({"miss_levels": {"vacant": 0.01}}, "out of range"),
        ({"miss_levels": {"occupied": math.nan}}, "out of range"),
        ({"miss_levels": {"occupied": None}}, "malformed"),
        ({"miss_levels": {"vacant": "low"}}, "could not convert"),
        ({"miss_levels": [0.2]}, "malformed"),
    ],
)
def test_malformed_saved_ensemble_is_refused(change: dict[str, object], match: str) -> None:
    model = EnsembleModel(UTC)
    model.fit(daily_hour(4))
    data = {**json.loads(json.dumps(model.to_dict())), **change}
    with pytest.raises(ValueError, match=match):
        EnsembleModel.from_dict(UTC, data)
    with pytest.raises(ValueError, match="malformed"):
        EnsembleModel.from_dict(UTC, {})


def test_forecast_with_the_ensembles_survival() -> None:
    """P(occ) = S_e o + (1 - S_e) q with q = (f - S_h o) / (1 - S_h), by hand at 15 min."""
    half = np.zeros(STEPS)
    half[:3] = 0.5 / 3  # hazard: P(change by 15 min) = 0.5
    most = np.zeros(STEPS)
    most[:3] = 0.8 / 3  # ensemble: 0.8
    hazard, ensemble = RemainingTime(300.0, half), RemainingTime(300.0, most)
    # Occupied, hazard says 0.5 occupied: q = (0.5 - 0.5) / 0.5 = 0; 0.2 * 1 + 0.8 * 0.
    assert with_survival({15: 0.5}, OCC, hazard, ensemble) == pytest.approx({15: 0.2})
    # Vacant, hazard says 0.3: q = 0.3 / 0.5 = 0.6; 0.8 * 0.6.
    assert with_survival({15: 0.3}, VAC, hazard, ensemble) == pytest.approx({15: 0.48})
    # A hazard model sure of no change says nothing of re-entry: the next state is taken.
    never = RemainingTime(300.0, np.zeros(STEPS))
    assert with_survival({15: 1.0}, OCC, never, ensemble) == pytest.approx({15: 0.2})


def test_interval_miss_level_adapts_by_hand() -> None:
    """Adaptive conformal inference: a miss moves a by 0.01 * (0.2 - 1), a hit by 0.01 * 0.2."""
    model = EnsembleModel(UTC)
    model.fit(daily_hour(10))
    now = T0 + timedelta(days=10, hours=9)
    prediction, members = model.predict_with_members(OCC, now, now)
    assert isinstance(prediction, Prediction)
    assert members.interval is not None
    lower, upper = members.interval
    assert upper is not None
    assert prediction.interval_lower == now + timedelta(seconds=lower)
    assert prediction.interval_upper == now + timedelta(seconds=upper)
    assert members.state is OCC
    model.observe(members, upper + 600)  # outside
    assert model.miss_levels == {OCC: pytest.approx(0.192), VAC: 0.2}  # the vacant one stays
    model.observe(members, (lower + upper) / 2)  # inside
    assert model.miss_levels[OCC] == pytest.approx(0.194)
    model.observe(MemberForecast(members.distributions), upper + 600)  # no interval given
    assert model.miss_levels[OCC] == pytest.approx(0.194)
    for _ in range(100):
        model.observe(members, upper + 600)
    assert model.miss_levels[OCC] == MISS_RANGE[0]
    for _ in range(400):
        model.observe(members, lower)
    assert model.miss_levels == {OCC: MISS_RANGE[1], VAC: 0.2}


def test_interval_uses_the_adapted_levels() -> None:
    """With a = 0.5 the interval is the quartiles of B2's samples (alone here), within a step.

    Occupied 09:00-10:00 on ten days: at 09:00 B2's samples are 300, 600, ...
    3600 s, ten of each; numpy's quartiles of them are the reference.
    """
    model = EnsembleModel(UTC)
    model.fit(daily_hour(10))
    now = T0 + timedelta(days=10, hours=9)
    samples = np.repeat(np.arange(1, 13) * 300.0, 10)
    model.miss_levels[OCC] = 0.5
    prediction = model.predict(OCC, now, now)
    assert isinstance(prediction, Prediction)
    lower = (prediction.interval_lower - now).total_seconds()
    upper = (prediction.interval_upper - now).total_seconds()
    assert abs(lower - np.quantile(samples, 0.25)) <= 300
    assert abs(upper - np.quantile(samples, 0.75)) <= 300
    model.miss_levels[OCC] = 0.2
    wider = model.predict(OCC, now, now)
    assert isinstance(wider, Prediction)
    assert abs((wider.interval_lower - now).total_seconds() - np.quantile(samples, 0.1)) <= 300
    assert abs((wider.interval_upper - now).total_seconds() - np.quantile(samples, 0.9)) <= 300


def test_restored_without_a_miss_level_starts_at_the_target() -> None:
    """Ensembles saved before the interval adapted have no miss level: 0.2."""
    model = EnsembleModel(UTC)
    model.fit(daily_hour(4))
    model.miss_levels = {OCC: 0.3, VAC: 0.4}
    data = json.loads(json.dumps(model.to_dict()))
    assert data["miss_levels"] == {"occupied": 0.3, "vacant": 0.4}
    del data["miss_levels"]
    assert EnsembleModel.from_dict(UTC, data).miss_levels == {OCC: 0.2, VAC: 0.2}


@pytest.mark.parametrize(
    ("interval", "actual", "inside"),
    [
        ((HORIZON_SECONDS, None), HORIZON_SECONDS, True),  # all beyond 24 h, none came
        ((600.0, None), HORIZON_SECONDS, True),
        ((600.0, 7200.0), HORIZON_SECONDS, False),  # no change in 24 h: beyond the interval
        ((600.0, 7200.0), 600.0, True),  # the ends belong to the interval
        ((600.0, 7200.0), 7200.0, True),
        ((600.0, 7200.0), 599.0, False),
    ],
)
def test_interval_ends_and_the_24_hour_cap(
    interval: tuple[float, float | None], actual: float, inside: bool
) -> None:
    model = EnsembleModel(UTC)
    one = distribution_from_samples(np.array([3600.0, 7200.0]))
    model.observe(MemberForecast({"hourly_median": one}, interval, VAC), actual)
    assert model.miss_levels[VAC] == pytest.approx(0.202 if inside else 0.192)
    # Nothing to score: neither the weights nor the level move.
    model.observe(MemberForecast({}, interval, VAC), actual)
    assert model.miss_levels[VAC] == pytest.approx(0.202 if inside else 0.192)
    # Nor for a state without a level.
    model.observe(MemberForecast({"hourly_median": one}, interval, UNK), actual)
    assert model.miss_levels == {OCC: 0.2, VAC: pytest.approx(0.202 if inside else 0.192)}
