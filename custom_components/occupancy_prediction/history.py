"""Read room sensors' past states from the recorder, without blocking the loop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from homeassistant.components.recorder import history
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from .engine.episodes import SensorEvent

CHUNK = timedelta(days=7)


async def async_load_sensor_events(
    hass: HomeAssistant, entity_ids: Sequence[str], start: datetime, end: datetime
) -> list[SensorEvent]:
    """Return every recorded state change of ``entity_ids`` in [start, end).

    The query runs in the recorder's executor, 7 days at a time, with the
    state at ``start`` included (the recorder stamps it at ``start``), so a
    sensor that did not change in the window still counts as in its state.

    Args:
        hass: the running Home Assistant.
        entity_ids: sensors to read; an empty list returns [].
        start: beginning of the window, aware UTC.
        end: end of the window (excluded), aware UTC.

    Returns:
        Events oldest first within each chunk (callers sort globally).
    """
    if not entity_ids or start >= end:
        return []
    instance = get_instance(hass)
    events: list[SensorEvent] = []
    cursor = start
    first = True
    while cursor < end:
        stop = min(cursor + CHUNK, end)
        rows: dict[str, list[Any]] = await instance.async_add_executor_job(
            partial(
                history.get_significant_states,
                hass,
                cursor,
                stop,
                list(entity_ids),
                include_start_time_state=first,
                significant_changes_only=True,
                minimal_response=True,
                no_attributes=True,
                compressed_state_format=True,
            )
        )
        for entity_id, states in rows.items():
            events.extend(
                SensorEvent(float(row["lu"]), entity_id, str(row["s"]))
                for row in states
                if isinstance(row, dict)
            )
        cursor, first = stop, False
    return events
