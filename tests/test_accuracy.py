"""Live scoring of the integration's own predictions, through get_accuracy and get_status."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.occupancy_prediction.alerts import AlertKind
from custom_components.occupancy_prediction.const import DOMAIN
from custom_components.occupancy_prediction.ws_hub import DATA_HUB

from .conftest import setup_entry
from .test_coordinator import DAY0, bedroom_entry, presence, record_three_mornings


async def test_a_prediction_is_scored_when_the_room_changes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """Sampled at 08:20: occupied in 32.5 min (interval 10-55 min); it happens at 08:40.

    Error |20 - 32.5| = 12.5 min: within 15 minutes and inside the interval.
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
    assert result == {
        "room_id": "bedroom_id",
        "window": "24h",
        "available": True,
        "reason": None,
        "metrics": {
            "samples": 1,
            "mae_minutes": 12.5,
            "within15": 1.0,
            "coverage80": 1.0,
            "brier": {},
        },
        "predictions": [
            {
                "scored_at": "2026-05-07T08:40:00+00:00",
                "error_minutes": 12.5,
                "within15": True,
                "inside_interval": True,
            }
        ],
    }
    await client.send_json_auto_id({"type": "occupancy_prediction/get_status"})
    status = (await client.receive_json())["result"]
    assert status["rooms"]["bedroom_id"]["accuracy"]["7d"] == result["metrics"]

    # The scored predictions are kept across a restart.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await client.send_json_auto_id(
        {"type": "occupancy_prediction/get_accuracy", "room_id": "bedroom_id", "window": "24h"}
    )
    assert (await client.receive_json())["result"] == result


async def test_degraded_accuracy_raises_an_alert_and_retrains(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Vacant from 08:00 to 10:50 while every prediction says 32.5 minutes.

    Samples at 08:20, 08:25, ..., 10:45 (30 of them, t = 20 + 5k minutes after
    08:00) have actual remaining 170 - t. Errors |137.5 - t| sum to 1440 + 90
    = 1530 minutes: MAE 51.0 > 45. Inside the 10-55 min interval only for
    k = 19..28: coverage 10/30 = 0.33 < 0.70.
    """
    await record_three_mornings(hass, freezer)
    start = DAY0 + timedelta(days=3, hours=8, minutes=20)
    freezer.move_to(start)
    entry = bedroom_entry()
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
    assert alert.room_id == "bedroom_id"
    assert alert.message == (
        "Bedroom: mae_above_threshold 51.00 beyond 45.00 (30 predictions); "
        "coverage_out_of_range 0.33 beyond 0.70 (30 predictions)"
    )
    # The room was refitted at once (at 10:51), not only at the nightly retrain.
    assert coordinator.learners["bedroom_id"].trained_at == start + timedelta(minutes=151)
