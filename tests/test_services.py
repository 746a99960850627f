"""The retrain, get_predictions and acknowledge_alert service actions."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.occupancy_prediction.alerts import AlertKind, AlertSeverity
from custom_components.occupancy_prediction.const import DOMAIN
from custom_components.occupancy_prediction.ws_hub import DATA_HUB

from .conftest import setup_entry
from .test_coordinator import (
    DAY0,
    VAC,
    bedroom_entry,
    expected_prediction,
    record_three_mornings,
    three_mornings_episodes,
)


async def test_get_predictions(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await record_three_mornings(hass, freezer)
    now = DAY0 + timedelta(days=3, hours=8, minutes=20)
    freezer.move_to(now)
    await setup_entry(hass, bedroom_entry())
    expected = expected_prediction(
        VAC, DAY0 + timedelta(days=3, hours=8), now, three_mornings_episodes()
    )
    assert expected.predicted_time is not None
    response = await hass.services.async_call(
        DOMAIN, "get_predictions", {"rooms": ["bedroom"]}, blocking=True, return_response=True
    )
    assert response is not None
    (room,) = response["rooms"]  # type: ignore[misc]
    assert room["room_id"] == "bedroom_id"
    assert room["transition_type"] == "occupied"
    assert room["predicted_time"] == expected.predicted_time.isoformat()
    assert room["confidence_score"] == expected.confidence
    assert room["interval"] == {
        "lower": expected.interval_lower.isoformat(),
        "upper": expected.interval_upper.isoformat(),
        "level": 0.8,
    }
    assert room["model"]["name"] == "ensemble"
    assert room["occupancy_forecast"] == [
        {"horizon_minutes": float(m), "probability": p}
        for m, p in sorted(expected.occupancy_forecast.items())
    ]
    assert room["contributions"] == [
        {
            "model": c.model,
            "predicted_time": None if c.predicted_time is None else c.predicted_time.isoformat(),
            "weight": c.weight,
        }
        for c in expected.contributions
    ]
    # By id, and every room by default, give the same.
    by_id = await hass.services.async_call(
        DOMAIN, "get_predictions", {"rooms": ["bedroom_id"]}, blocking=True, return_response=True
    )
    everything = await hass.services.async_call(
        DOMAIN, "get_predictions", {}, blocking=True, return_response=True
    )
    assert by_id == everything == response


async def test_unknown_room_and_not_loaded(hass: HomeAssistant) -> None:
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "get_predictions", {"rooms": ["attic"]}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "room_not_found"
    assert err.value.translation_placeholders == {"rooms": "attic"}
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "get_predictions", {}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "not_loaded"


async def test_retrain(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_read_only_user: MockUser
) -> None:
    hass.states.async_set("binary_sensor.bedroom_presence", "off")
    await setup_entry(hass, config_entry)
    response = await hass.services.async_call(
        DOMAIN, "retrain", {"rooms": ["Kitchen"]}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["rooms"] == ["kitchen_id"]
    assert isinstance(response["duration_seconds"], float)
    # Without asking for a response, every room is retrained and nothing returned.
    assert await hass.services.async_call(DOMAIN, "retrain", {}, blocking=True) is None
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "retrain",
            {},
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )


async def test_acknowledge_alert(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    await setup_entry(hass, config_entry)
    alert = hass.data[DATA_HUB].alerts.async_raise(
        AlertKind.CONCEPT_DRIFT, AlertSeverity.CRITICAL, "kitchen_id", "Kitchen changed"
    )
    response = await hass.services.async_call(
        DOMAIN,
        "acknowledge_alert",
        {"alert_id": alert.alert_id},
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    assert response is not None
    assert response["acknowledged_by"] == hass_admin_user.id
    assert alert.acknowledged_at is not None
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "acknowledge_alert", {"alert_id": "nope"}, blocking=True
        )
    assert err.value.translation_key == "alert_not_found"
