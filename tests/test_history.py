"""Importing sensor history from the real (in-memory) recorder into sensor logs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_purge_done,
    async_wait_recording_done,
)

from custom_components.occupancy_prediction import history as history_module
from custom_components.occupancy_prediction.engine.sensor_log import SensorLog
from custom_components.occupancy_prediction.history import async_import_into_logs

MOTION = "binary_sensor.motion"
STEADY = "binary_sensor.steady"
DAY0 = datetime(2026, 5, 4, tzinfo=dt_util.UTC)


def at(hours: float) -> datetime:
    return DAY0 + timedelta(hours=hours)


async def write(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hours: float, value: str
) -> None:
    freezer.move_to(at(hours))
    hass.states.async_set(MOTION, value)
    await async_wait_recording_done(hass)


async def test_import_new_and_steady_sensors(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A sensor that never changed in the window counts as in its state throughout."""
    freezer.move_to(at(-24 * 40))  # long before the window
    hass.states.async_set(STEADY, "on")
    await async_wait_recording_done(hass)
    await write(hass, freezer, 1, "off")
    await write(hass, freezer, 2, "on")
    await write(hass, freezer, 2.5, "unavailable")
    await write(hass, freezer, 3, "off")
    freezer.move_to(at(10))
    logs = {MOTION: SensorLog(), STEADY: SensorLog()}
    added = await async_import_into_logs(hass, logs, at(0), at(10))
    assert list(logs[MOTION].events()) == [
        (at(1).timestamp(), "off"),
        (at(2).timestamp(), "on"),
        (at(2.5).timestamp(), None),
        (at(3).timestamp(), "off"),
    ]
    # The recorder gives the steady sensor's state at the window start.
    assert list(logs[STEADY].events()) == [(at(0).timestamp(), "on")]
    assert added == 5
    assert logs[MOTION].watermark == logs[STEADY].watermark == at(10).timestamp()
    # Nothing new: importing again adds nothing.
    assert await async_import_into_logs(hass, logs, at(0), at(10)) == 0


async def test_sensor_unknown_to_the_recorder_counts_as_its_current_state(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Since its last change, or the window start when that is older; never back-dated."""
    freezer.move_to(at(-3))
    hass.states.async_set("binary_sensor.old", "off")
    freezer.move_to(at(4))
    hass.states.async_set("binary_sensor.new", "on")
    freezer.move_to(at(10))
    logs = {
        "binary_sensor.old": SensorLog(),
        "binary_sensor.new": SensorLog(),
        "binary_sensor.missing": SensorLog(),
    }
    with patch(
        "custom_components.occupancy_prediction.history.async_load_sensor_history",
        return_value={},
    ):
        await async_import_into_logs(hass, logs, at(0), at(10))
    assert list(logs["binary_sensor.old"].events()) == [(at(0).timestamp(), "off")]
    assert list(logs["binary_sensor.new"].events()) == [(at(4).timestamp(), "on")]
    assert list(logs["binary_sensor.missing"].events()) == []


async def test_incremental_import_survives_a_purge(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """What the log learned stays after the recorder purged it; new states are added."""
    await write(hass, freezer, 1, "on")
    await write(hass, freezer, 2, "off")
    freezer.move_to(at(3))
    logs = {MOTION: SensorLog()}
    await async_import_into_logs(hass, logs, at(0), at(3))

    await write(hass, freezer, 24 * 5, "on")
    await write(hass, freezer, 24 * 5 + 1, "off")
    await hass.services.async_call("recorder", "purge", {"keep_days": 2}, blocking=True)
    await async_wait_purge_done(hass)
    freezer.move_to(at(24 * 6))
    added = await async_import_into_logs(hass, logs, at(24 * 6) - timedelta(days=30), at(24 * 6))
    assert added == 2
    assert list(logs[MOTION].events()) == [
        (at(1).timestamp(), "on"),
        (at(2).timestamp(), "off"),
        (at(24 * 5).timestamp(), "on"),
        (at(24 * 5 + 1).timestamp(), "off"),
    ]


async def test_long_windows_are_read_in_chunks(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """States 20 days apart come back from a 30-day import (three 7-day chunks and a bit)."""
    for day in (0, 9, 18, 27):
        await write(hass, freezer, 24 * day + 1, "on" if day % 2 else "off")
    freezer.move_to(at(24 * 30))
    logs = {MOTION: SensorLog()}
    await async_import_into_logs(hass, logs, at(0), at(24 * 30))
    assert [value for _, value in logs[MOTION].events()] == ["off", "on", "off", "on"]


async def test_state_at_a_window_boundary_is_kept(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The recorder's windows are open at both ends; a state exactly at a boundary still counts."""
    await write(hass, freezer, 0.5, "on")
    await write(hass, freezer, 24, "off")  # exactly where the second one-day query begins
    await write(hass, freezer, 24 * 7, "on")  # exactly where the second 7-day job begins
    freezer.move_to(at(24 * 8))
    logs = {MOTION: SensorLog()}
    assert await async_import_into_logs(hass, logs, at(0), at(24 * 8)) == 3
    assert list(logs[MOTION].events()) == [
        (at(0.5).timestamp(), "on"),
        (at(24).timestamp(), "off"),
        (at(24 * 7).timestamp(), "on"),
    ]


async def test_each_sensor_is_read_alone_a_day_at_a_time_from_its_own_watermark(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Small queries (few rows alive at once), only the state at each sensor's start asked for.

    A query of many rows keeps them all alive while young garbage collections
    promote them; enough promotions start a full collection that stalls the
    event loop for its whole length.
    """
    await write(hass, freezer, 1, "on")
    freezer.move_to(at(24 * 2 + 12))
    known = SensorLog()
    known.merge([(at(0).timestamp(), "off")], until=at(36).timestamp())
    logs = {MOTION: SensorLog(), STEADY: known}
    calls: list[tuple[list[str], datetime, datetime, bool]] = []
    original = history_module.history.get_significant_states

    def spy(
        hass: HomeAssistant,
        start: datetime,
        end: datetime,
        entity_ids: list[str],
        **kwargs: bool,
    ) -> dict[str, list[Any]]:
        calls.append((entity_ids, start, end, kwargs["include_start_time_state"]))
        return original(hass, start, end, entity_ids, **kwargs)

    with patch.object(history_module.history, "get_significant_states", spy):
        await async_import_into_logs(hass, logs, at(0), at(24 * 2 + 12))
    tick = timedelta(microseconds=1)
    assert calls == [
        ([MOTION], at(0), at(24) + tick, True),
        ([MOTION], at(24), at(48) + tick, False),
        ([MOTION], at(48), at(60), False),
        ([STEADY], at(36), at(60), True),
    ]
    assert list(logs[MOTION].events()) == [(at(1).timestamp(), "on")]
    assert list(logs[STEADY].events()) == [(at(0).timestamp(), "off")]
    assert logs[MOTION].watermark == logs[STEADY].watermark == at(60).timestamp()
