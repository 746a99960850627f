"""Live scoring of the integration's own predictions, through get_accuracy and get_status."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from .conftest import setup_entry
from .test_coordinator import DAY0, bedroom_entry, presence, record_three_mornings


async def test_a_prediction_is_scored_when_the_room_changes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """Sampled at 08:21: occupied in 32.5 min (interval 10-55 min); it happens at 08:40.

    Error |19 - 32.5| = 13.5 min: within 15 minutes and inside the interval.
    """
    # Connect before the clock moves back to 2026-05 (the access token must be valid).
    client = await hass_ws_client(hass)
    await record_three_mornings(hass, freezer)
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=20))
    await setup_entry(hass, bedroom_entry())
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=21))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
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
            "mae_minutes": 13.5,
            "within15": 1.0,
            "coverage80": 1.0,
            "brier": {},
        },
        "predictions": [
            {
                "scored_at": "2026-05-07T08:40:00+00:00",
                "error_minutes": 13.5,
                "within15": True,
                "inside_interval": True,
            }
        ],
    }
    await client.send_json_auto_id({"type": "occupancy_prediction/get_status"})
    status = (await client.receive_json())["result"]
    assert status["rooms"]["bedroom_id"]["accuracy"]["7d"] == result["metrics"]
