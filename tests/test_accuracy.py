"""Live scoring of the integration's own predictions, through get_accuracy and get_status."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.occupancy_prediction.alerts import AlertKind
from custom_components.occupancy_prediction.const import CONF_COVERAGE_MIN, DOMAIN
from custom_components.occupancy_prediction.engine.ensemble import EnsembleModel
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import Prediction
from custom_components.occupancy_prediction.ws_hub import DATA_HUB

from .conftest import setup_entry
from .test_coordinator import (
    DAY0,
    bedroom_entry,
    presence,
    record_three_mornings,
    three_mornings_episodes,
)

VACANT_SINCE = DAY0 + timedelta(days=3, hours=8)


def direct_model() -> EnsembleModel:
    """The ensemble fitted directly on the three mornings (equal weights)."""
    model = EnsembleModel(dt_util.UTC)
    model.fit(three_mornings_episodes())
    return model


def score_by_hand(
    prediction: Prediction, made_at: datetime, happened: datetime
) -> tuple[float, bool]:
    """(absolute error in minutes, inside the 80 % interval) of one prediction."""
    assert prediction.predicted_time is not None
    error = abs((prediction.predicted_time - happened).total_seconds()) / 60
    inside = prediction.interval_lower <= happened <= prediction.interval_upper
    return error, inside


async def test_a_prediction_is_scored_when_the_room_changes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """Sampled at 08:20 and scored when the room is occupied at 08:40.

    The expected figures come from the ensemble fitted directly on the same
    episodes: its error against 08:40, and the Brier score of its 15-minute
    forecast (08:35, when the room was still vacant: P(occupied) squared).
    The members' forecasts of 08:20 are scored too, so the weights move.
    """
    # Connect before the clock moves back to 2026-05 (the access token must be
    # valid), after the integration registered its commands and static files.
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_ws_client(hass)
    await record_three_mornings(hass, freezer)
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=20))
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    # The minute's refresh at 08:20 (whether or not the timer already ran it)
    # samples the trained model; the next at 08:21 is too soon to sample again.
    await entry.runtime_data.async_refresh()
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=21))
    await entry.runtime_data.async_refresh()
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=40))
    presence(hass, "on")
    await hass.async_block_till_done()

    await client.send_json_auto_id(
        {"type": "occupancy_prediction/get_accuracy", "room_id": "bedroom_id", "window": "24h"}
    )
    result = (await client.receive_json())["result"]
    model = direct_model()
    sampled_at = VACANT_SINCE + timedelta(minutes=20)
    happened = VACANT_SINCE + timedelta(minutes=40)
    prediction, members = model.predict_with_members(RoomState.VACANT, VACANT_SINCE, sampled_at)
    assert isinstance(prediction, Prediction)
    error, inside = score_by_hand(prediction, sampled_at, happened)
    assert result == {
        "room_id": "bedroom_id",
        "window": "24h",
        "available": True,
        "reason": None,
        "metrics": {
            "samples": 1,
            "mae_minutes": round(error, 2),
            "within15": float(error <= 15),
            "coverage80": float(inside),
            "brier": {"15": round(prediction.occupancy_forecast[15] ** 2, 4)},
        },
        "predictions": [
            {
                "scored_at": "2026-05-07T08:40:00+00:00",
                "error_minutes": round(error, 2),
                "within15": error <= 15,
                "inside_interval": inside,
            }
        ],
    }
    # The weights learned from the members' forecasts of 08:20 (20 minutes ahead).
    scores = dict(model.scores)
    model.observe(members, 20 * 60.0)
    assert model.scores != scores
    learned = entry.runtime_data.learners["bedroom_id"].model
    assert learned.scores == pytest.approx(model.scores, rel=1e-5)
    weights = learned.weights
    assert weights == pytest.approx(model.weights, rel=1e-5)
    await client.send_json_auto_id({"type": "occupancy_prediction/get_status"})
    status = (await client.receive_json())["result"]
    assert status["rooms"]["bedroom_id"]["accuracy"]["7d"] == result["metrics"]

    # The scored predictions and the weights are kept across a restart (and its retraining).
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await client.send_json_auto_id(
        {"type": "occupancy_prediction/get_accuracy", "room_id": "bedroom_id", "window": "24h"}
    )
    assert (await client.receive_json())["result"] == result
    assert entry.runtime_data.learners["bedroom_id"].model.scores == learned.scores


@pytest.mark.parametrize("coverage_min", [0.70, 0.0])
async def test_degraded_accuracy_raises_an_alert_and_retrains(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, coverage_min: float
) -> None:
    """Vacant from 08:00 to 10:50 while the three mornings say "occupied by 09:00".

    Samples at 08:20, 08:25, ..., 10:45 (30 of them) are scored against 10:50;
    the expected MAE and coverage are worked out from the ensemble fitted
    directly on the same episodes (no transition meanwhile: its weights stay
    equal), and both are out of bounds. With the coverage_min option at 0
    the same coverage is within the configured range: only the MAE counts.
    """
    await record_three_mornings(hass, freezer)
    start = DAY0 + timedelta(days=3, hours=8, minutes=20)
    freezer.move_to(start)
    default = bedroom_entry()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=default.title,
        options={**default.options, CONF_COVERAGE_MIN: coverage_min},
        subentries_data=[dict(s.as_dict()) for s in default.subentries.values()],
    )
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    # The coordinator's minute refresh, run directly for each minute.
    for minute in range(150):
        freezer.move_to(start + timedelta(minutes=minute))
        await coordinator.async_refresh()
    freezer.move_to(start + timedelta(minutes=150))  # 10:50
    presence(hass, "on")
    await hass.async_block_till_done()
    freezer.move_to(start + timedelta(minutes=151))
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)

    (alert,) = [
        a
        for a in hass.data[DATA_HUB].alerts.alerts(active_only=True)
        if a.kind is AlertKind.ACCURACY_DEGRADED
    ]
    model = direct_model()
    happened = start + timedelta(minutes=150)
    scored = []
    for k in range(30):
        sampled_at = start + timedelta(minutes=5 * k)
        prediction = model.predict(RoomState.VACANT, VACANT_SINCE, sampled_at)
        assert isinstance(prediction, Prediction)
        scored.append(score_by_hand(prediction, sampled_at, happened))
    mae = sum(error for error, _ in scored) / 30
    coverage = sum(inside for _, inside in scored) / 30
    assert mae > 45
    assert coverage < 0.70
    assert alert.room_id == "bedroom_id"
    expected = f"Bedroom: mae_above_threshold {mae:.2f} beyond 45.00 (30 predictions)"
    if coverage_min:
        expected += f"; coverage_out_of_range {coverage:.2f} beyond 0.70 (30 predictions)"
    assert alert.message == expected
    # The room was refitted at once (at 10:51), not only at the nightly retrain.
    assert coordinator.learners["bedroom_id"].trained_at == start + timedelta(minutes=151)
