"""A room's learner on its own: prediction cache, online weights, live learning and refits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
import itertools
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.occupancy_prediction import room_learner
from custom_components.occupancy_prediction.engine.ensemble import EnsembleModel, MemberForecast
from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.occupancy import RoomState, SensorKind
from custom_components.occupancy_prediction.engine.prediction import HORIZON_SECONDS, Prediction
from custom_components.occupancy_prediction.room_config import RoomConfig
from custom_components.occupancy_prediction.room_learner import (
    MAX_MEMBER_SAMPLES,
    PREDICTION_MAX_AGE,
    RoomLearner,
)
from tests.histories import T0, daily_hour

OCC, VAC, UNK = RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN
SENSOR = "binary_sensor.bedroom_presence"


def fitted(days: int = 10) -> EnsembleModel:
    model = EnsembleModel(UTC)
    model.fit(daily_hour(days))
    return model


def while_running(
    hass: HomeAssistant, target: Callable[..., Any], action: Callable[[], object]
) -> AbstractContextManager[object]:
    """Run ``action`` on the loop as an executor job of ``target`` (or a partial of it) starts.

    What happens on the event loop while the job runs in a worker thread.
    """
    real = hass.async_add_executor_job

    async def meanwhile(job: Any, *args: Any) -> Any:
        if getattr(job, "func", job) is target:
            action()
        return await real(job, *args)

    return patch.object(hass, "async_add_executor_job", meanwhile)


def make_learner(hass: HomeAssistant, model: EnsembleModel | None = None) -> RoomLearner:
    config = RoomConfig("bedroom_id", "Bedroom", None, (SENSOR,), (), 300.0)
    learner = RoomLearner(hass, config, {SENSOR: SensorKind.PRESENCE}, UTC)
    learner.model = model
    return learner


def sample_every_five_minutes(learner: RoomLearner, since: datetime, minutes: int) -> None:
    """Predict and sample as the coordinator's refresh does, every 5 minutes."""
    for step in range(0, minutes, 5):
        now = since + timedelta(minutes=step)
        prediction = learner.predict(VAC, since, now)
        assert isinstance(prediction, Prediction)
        learner.sample(prediction, now)


async def test_prediction_is_cached_until_something_changes(hass: HomeAssistant) -> None:
    learner = make_learner(hass, fitted())
    since = T0 + timedelta(days=10, hours=10)
    now = since + timedelta(hours=1)
    first = learner.predict(VAC, since, now)
    assert learner.predict(VAC, since, now + timedelta(seconds=PREDICTION_MAX_AGE - 1)) is first
    # Older than the limit, another 'since', another state or a learned episode: afresh.
    later = now + timedelta(seconds=PREDICTION_MAX_AGE)
    assert learner.predict(VAC, since, later) is not first
    assert learner.predict(VAC, since, later) == fitted().predict(VAC, since, later)
    again = learner.predict(VAC, since - timedelta(minutes=1), later)
    assert learner.predict(VAC, since, later) is not again
    # An unusual two-hour vacant spell: B2 (and B1) predict from it at once.
    learner.learn(Episode(VAC, since.timestamp(), since.timestamp() + 7200, OCC))
    assert learner.predict(VAC, since, later) != fitted().predict(VAC, since, later)
    await hass.async_block_till_done()
    assert make_learner(hass).predict(VAC, since, now).needed == 3  # type: ignore[union-attr]


async def test_member_forecasts_are_bounded_and_score_the_finished_episode(
    hass: HomeAssistant,
) -> None:
    """15 hours of 5-minute samples: members every 15 minutes, then thinned to every 30."""
    learner = make_learner(hass, fitted())
    since = T0 + timedelta(days=10, hours=10)
    sample_every_five_minutes(learner, since, 180)
    assert [s.made_at - since.timestamp() for s in learner._member_samples] == [
        900.0 * k for k in range(12)
    ]
    sample_every_five_minutes(learner, since + timedelta(minutes=180), 720)
    samples = learner._member_samples
    assert len(samples) == MAX_MEMBER_SAMPLES // 2 + 6
    assert samples[0].made_at == since.timestamp()
    gaps = {b.made_at - a.made_at for a, b in itertools.pairwise(samples)}
    assert gaps == {1800.0}
    # The weights learn from exactly these forecasts, scored against the change.
    expected = fitted()
    end = since + timedelta(hours=16)
    for sample in samples:
        expected.observe(sample.members, end.timestamp() - sample.made_at)
    assert learner.model is not None
    before = learner.predict(VAC, since, end - timedelta(minutes=1))
    learner.state_changed(OCC, end)
    assert learner.model.scores == pytest.approx(expected.scores)
    assert learner.model.scores != fitted().scores
    assert learner._member_samples == []
    # The weights changed, so the cached prediction is not reused.
    assert learner.predict(VAC, since, end - timedelta(minutes=1)) is not before


async def test_member_forecasts_before_an_unknown_spell_are_dropped(hass: HomeAssistant) -> None:
    learner = make_learner(hass, fitted())
    since = T0 + timedelta(days=10, hours=10)
    sample_every_five_minutes(learner, since, 30)
    assert len(learner._member_samples) == 2
    learner.state_changed(UNK, since + timedelta(hours=1))
    assert learner._member_samples == []
    assert learner.model is not None
    assert learner.model.scores == fitted().scores


async def test_member_forecasts_settle_at_the_24_hour_cap(hass: HomeAssistant) -> None:
    learner = make_learner(hass, fitted())
    since = T0 + timedelta(days=10, hours=10)
    sample_every_five_minutes(learner, since, 20)
    first, second = learner._member_samples
    expected = fitted()
    expected.observe(first.members, HORIZON_SECONDS)
    learner.advance(since + timedelta(hours=24))
    assert learner._member_samples == [second]
    assert learner.model is not None
    assert learner.model.scores == pytest.approx(expected.scores)
    # A prediction that was not the cached one (nothing to score with) keeps no members.
    other = fitted().predict(VAC, since, since + timedelta(days=2))
    assert isinstance(other, Prediction)
    learner.sample(other, since + timedelta(days=2))
    assert learner._member_samples == []


async def test_episode_ending_during_a_training_is_kept(hass: HomeAssistant) -> None:
    """The logs were copied before it ended: the new model learns it after the fit."""
    learner = make_learner(hass, EnsembleModel(UTC))
    learner.model.scores = dict.fromkeys(learner.model.scores, -1.0)  # type: ignore[union-attr]
    learner.model.miss_levels = {OCC: 0.35, VAC: 0.15}  # type: ignore[union-attr]
    now = dt_util.utcnow().timestamp()
    late = Episode(OCC, now - 600, now + 1, VAC)

    def meanwhile() -> None:
        # An episode already in the logs (it ended before the training began) is not relearned.
        learner.learn(Episode(VAC, 0.0, 1.0, OCC))
        learner.learn(late)
        learner.episode_began(VAC, late.end or 0.0)

    with while_running(hass, room_learner._fit, meanwhile):
        await learner.async_train()
    await hass.async_block_till_done()
    assert learner.model is not None
    # Fitted on empty logs, plus the episode that ended during the training.
    assert learner.model.episode_counts == {OCC: 1, VAC: 0}
    assert learner.model.hazard.episode_counts == {OCC: 1, VAC: 0}
    # The live episode, the learned weights and the interval's level survive the retraining.
    assert learner.current_episode == Episode(VAC, late.end or 0.0, None, None)
    assert set(learner.model.scores.values()) == {-1.0}
    assert learner.model.miss_levels == {OCC: 0.35, VAC: 0.15}


async def test_hazard_refits_are_coalesced_and_survive_failure(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    learner = make_learner(hass, fitted(3))
    assert learner.model is not None
    for episode in daily_hour(5)[-4:]:
        learner.learn(episode)
    await hass.async_block_till_done()
    assert learner.model.hazard.episode_counts == {OCC: 5, VAC: 4}
    # A refit whose model was replaced meanwhile is thrown away.
    replaced = learner.model
    learner.learn(daily_hour(6)[-1])
    learner.model = fitted(3)
    await hass.async_block_till_done()
    assert replaced.hazard.episode_counts == {OCC: 5, VAC: 4}
    with patch.object(room_learner, "fit_tables", side_effect=RuntimeError("singular")):
        learner.learn(daily_hour(6)[-1])
        await hass.async_block_till_done()
    assert "Refitting the hazard model of Bedroom failed" in caplog.text
    assert learner.model.hazard.episode_counts == {OCC: 3, VAC: 2}
    # Without a model there is nothing to learn or refit.
    learner.model = None
    learner.learn(daily_hour(7)[-1])
    await hass.async_block_till_done()
    assert not learner._refitting


def test_compact_member_forecast_scores_alike() -> None:
    model = fitted()
    since = T0 + timedelta(days=10, hours=10)
    _, members = model.predict_with_members(VAC, since, since)
    compact = room_learner._compact(members)
    assert isinstance(compact, MemberForecast)
    assert {n: d.pmf.dtype.name for n, d in compact.distributions.items()} == dict.fromkeys(
        members.distributions, "float32"
    )
    assert compact.interval == members.interval is not None
    twin = fitted()
    model.observe(members, 3600.0)
    twin.observe(compact, 3600.0)
    assert twin.scores == pytest.approx(model.scores, rel=1e-5)
    assert compact.state is members.state is VAC
    assert twin.miss_levels == model.miss_levels != {OCC: 0.2, VAC: 0.2}


async def test_context_label_and_stale_predictions(hass: HomeAssistant) -> None:
    """The cache follows the room's context label, not the other rooms' every change.

    With ``stale_ok`` a prediction for the same state, since and model is
    reused whatever the label and age; ``is_fresh`` tells that it is stale.
    """
    learner = make_learner(hass, fitted())
    since = T0 + timedelta(days=10, hours=10)
    now = since + timedelta(hours=1)
    assert not learner.is_fresh(VAC, since, now, {})  # nothing cached yet
    nobody = learner.predict(VAC, since, now, {})
    assert learner.is_fresh(VAC, since, now, {})
    # Another vacant room changes nothing: still "nobody", the same prediction.
    assert learner.predict(VAC, since, now, {"hall": (VAC, now.timestamp())}) is nobody
    kitchen = {"kitchen": (OCC, now.timestamp() - 60)}
    assert not learner.is_fresh(VAC, since, now, kitchen)
    assert learner.predict(VAC, since, now, kitchen, stale_ok=True) is nobody
    fresh = learner.predict(VAC, since, now, kitchen)
    assert fresh is not nobody
    assert learner.is_fresh(VAC, since, now, kitchen)
    # A stale prediction for another state is never given.
    assert learner.predict(OCC, since, now, kitchen, stale_ok=True) is not fresh
    # Without a model there is nothing to refresh.
    assert make_learner(hass).is_fresh(VAC, since, now, {})


async def test_episode_ending_during_the_first_training_is_kept(hass: HomeAssistant) -> None:
    """No model yet: an episode that ends while the first fit runs is learned after it."""
    learner = make_learner(hass)
    now = dt_util.utcnow().timestamp()
    late = Episode(OCC, now - 600, now + 1, VAC)
    with while_running(hass, room_learner._fit, lambda: learner.learn(late)):
        await learner.async_train()
    await hass.async_block_till_done()
    assert learner.model is not None
    assert learner.model.episode_counts == {OCC: 1, VAC: 0}


async def test_replay_keeps_an_episode_begun_meanwhile(hass: HomeAssistant) -> None:
    """The logs were copied before the room changed: the going-on episode is kept."""
    learner = make_learner(hass)
    now = dt_util.utcnow().timestamp()
    with while_running(hass, room_learner._replay, lambda: learner.episode_began(OCC, now)):
        await learner.async_replay()
    assert learner.timeline.at(now + 60) == (OCC, now)


async def test_naive_times_are_refused_even_without_a_model(hass: HomeAssistant) -> None:
    learner = make_learner(hass)
    naive = datetime(2026, 5, 4, 9)
    with pytest.raises(ValueError, match="naive"):
        learner.predict(VAC, naive, T0)
    with pytest.raises(ValueError, match="naive"):
        learner.is_fresh(VAC, T0, naive)


async def test_closing_cancels_the_refit_and_stops_saving(hass: HomeAssistant) -> None:
    """After async_close nothing is saved again (a deleted room's file stays deleted)."""
    learner = make_learner(hass, fitted(3))
    never = hass.loop.create_future()  # a refit that is still running
    real = hass.async_add_executor_job

    async def stuck(target: Any, *args: Any) -> Any:
        if target is room_learner.fit_tables:
            return await never
        return await real(target, *args)

    with (
        patch.object(hass, "async_add_executor_job", stuck),
        patch.object(learner._store, "async_delay_save") as delay_save,
        patch.object(learner._store, "async_save") as save,
    ):
        learner.learn(daily_hour(4)[-1])
        await asyncio.sleep(0)
        assert learner._refitting
        await learner.async_close()
        assert learner._refit_task is not None
        assert learner._refit_task.cancelled()
        save.assert_awaited_once()
        delay_save.reset_mock()
        learner.save_soon()
        learner.learn(daily_hour(5)[-1])
        await hass.async_block_till_done()
        delay_save.assert_not_called()
        assert not learner._refitting  # no new refit once closed
