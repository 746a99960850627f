"""Read room sensors' past states from the recorder, without blocking the loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from homeassistant.components.recorder import history
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .engine.episodes import SensorEvent
from .engine.sensor_log import SensorLog

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


async def async_import_into_logs(
    hass: HomeAssistant,
    logs: Mapping[str, SensorLog],
    earliest: datetime,
    end: datetime,
) -> int:
    """Bring each sensor's log up to ``end`` from the recorder, incrementally.

    Each log is read from its watermark (or ``earliest`` for a new log) to
    ``end``; one query covers every sensor from the oldest such start. A
    sensor the recorder returns nothing for (it did not change, and nothing
    older is kept: core#70346) counts as in its current state from the start
    of its window, not as missing.

    Args:
        hass: the running Home Assistant.
        logs: entity id -> that sensor's log; updated in place.
        earliest: the oldest moment to import for a new log, aware UTC.
        end: the end of the import, aware UTC (normally "now").

    Returns:
        How many state changes were added across all logs.
    """
    starts = {
        entity_id: max(earliest.timestamp(), log.watermark or earliest.timestamp())
        for entity_id, log in logs.items()
    }
    due = [entity_id for entity_id, start in starts.items() if start < end.timestamp()]
    if not due:
        return 0
    window_start = dt_util.utc_from_timestamp(min(starts[e] for e in due))
    by_sensor: dict[str, list[tuple[float, str | None]]] = {entity_id: [] for entity_id in due}
    for event in await async_load_sensor_events(hass, due, window_start, end):
        by_sensor[event.entity_id].append((event.timestamp, event.value))
    added = 0
    for entity_id in due:
        events = by_sensor[entity_id]
        if not events and (state := hass.states.get(entity_id)) is not None:
            events = [(starts[entity_id], state.state)]
        added += logs[entity_id].merge(events, until=end.timestamp())
    return added
