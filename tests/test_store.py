"""Room data in .storage: round trip, damaged files, unknown versions."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.occupancy_prediction.engine.sensor_log import SensorLog
from custom_components.occupancy_prediction.store import RoomData, RoomStore, room_store_key

T0 = 1_780_000_000.0
KEY = room_store_key("room_1")


def stored(data: Any, version: int = 1) -> dict[str, Any]:
    return {"version": version, "minor_version": 1, "key": KEY, "data": data}


async def test_round_trip(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    log = SensorLog()
    log.record(T0, "off")
    log.record(T0 + 90, "on")
    await RoomStore(hass, "room_1").async_save(RoomData({"binary_sensor.motion": log}))
    assert hass_storage[KEY]["data"] == {
        "sensors": {
            "binary_sensor.motion": {
                "start": T0,
                "deltas_ms": [90_000],
                "states": "01",
                "watermark": T0 + 90,
            }
        },
        "model": None,
        "accuracy": None,
    }
    loaded = await RoomStore(hass, "room_1").async_load()
    assert list(loaded.sensors["binary_sensor.motion"].events()) == [(T0, "off"), (T0 + 90, "on")]


async def test_nothing_stored_is_empty(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    assert (await RoomStore(hass, "room_1").async_load()).sensors == {}


@pytest.mark.parametrize(
    "data",
    [
        ["not", "a", "mapping"],
        {"sensors": "nope"},
        {"sensors": {}, "model": [1, 2]},
        {"sensors": {}, "accuracy": "bad"},
        # A naive ISO time where a POSIX number belongs (AOD#444 crashed on such).
        {
            "sensors": {
                "binary_sensor.motion": {
                    "start": "2026-01-01T00:00:00",
                    "deltas_ms": [],
                    "states": "0",
                    "watermark": None,
                }
            }
        },
    ],
)
async def test_damaged_data_is_moved_aside(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    data: Any,
) -> None:
    hass_storage[KEY] = stored(data)
    loaded = await RoomStore(hass, "room_1").async_load()
    assert loaded.sensors == {}
    assert KEY not in hass_storage
    aside = [key for key in hass_storage if key.startswith(f"{KEY}.corrupt.")]
    assert len(aside) == 1
    assert hass_storage[aside[0]]["data"] == data
    assert "moved aside" in caplog.text


async def test_newer_version_is_not_read(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    hass_storage[KEY] = stored({"sensors": {}}, version=2)
    assert (await RoomStore(hass, "room_1").async_load()).sensors == {}
    assert "learning starts again" in caplog.text


async def test_remove(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    store = RoomStore(hass, "room_1")
    await store.async_save(RoomData())
    assert KEY in hass_storage
    await store.async_remove()
    assert KEY not in hass_storage
