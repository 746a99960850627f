"""Read room sensors' past states from the recorder, without blocking the loop.

Every step that touches many rows runs off the event loop: the query and the
conversion of rows in the recorder's executor, the merge into the sensor logs
in Home Assistant's executor (the logs are not touched by the loop until the
import is finished, see :class:`RoomLearner`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.recorder import history
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .engine.sensor_log import SensorLog

CHUNK = timedelta(days=7)

type SensorHistory = dict[str, list[tuple[float, str]]]
"""Entity id -> (POSIX seconds, state) oldest first."""


def _query(
    hass: HomeAssistant, entity_ids: list[str], start: datetime, end: datetime, first: bool
) -> SensorHistory:
    """One recorder query, converted to plain tuples (runs in the recorder's executor)."""
    rows: dict[str, list[Any]] = history.get_significant_states(
        hass,
        start,
        end,
        entity_ids,
        include_start_time_state=first,
        significant_changes_only=True,
        minimal_response=True,
        no_attributes=True,
        compressed_state_format=True,
    )
    return {
        entity_id: [(float(row["lu"]), str(row["s"])) for row in states if isinstance(row, dict)]
        for entity_id, states in rows.items()
    }


async def async_load_sensor_history(
    hass: HomeAssistant, entity_ids: Sequence[str], start: datetime, end: datetime
) -> SensorHistory:
    """Return every recorded state change of ``entity_ids`` in [start, end).

    The query runs in the recorder's executor, 7 days at a time, with the
    state at ``start`` included (the recorder stamps it at ``start``), so a
    sensor that did not change in the window still counts as in its state.

    Args:
        hass: the running Home Assistant.
        entity_ids: sensors to read; an empty list returns {}.
        start: beginning of the window, aware UTC.
        end: end of the window (excluded), aware UTC.

    Returns:
        Entity id -> (POSIX seconds, state), oldest first; sensors without
        any recorded state are absent.
    """
    result: SensorHistory = {}
    if not entity_ids or start >= end:
        return result
    instance = get_instance(hass)
    cursor, first = start, True
    while cursor < end:
        stop = min(cursor + CHUNK, end)
        chunk = await instance.async_add_executor_job(
            _query, hass, list(entity_ids), cursor, stop, first
        )
        for entity_id, states in chunk.items():
            result.setdefault(entity_id, []).extend(states)
        cursor, first = stop, False
    return result


def _merge(
    logs: Mapping[str, SensorLog],
    events: Mapping[str, list[tuple[float, str | None]]],
    end: float,
) -> int:
    """Merge imported events into the logs (runs in the executor)."""
    return sum(
        logs[entity_id].merge(sensor_events, until=end)
        for entity_id, sensor_events in events.items()
    )


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
    older is kept: core#70346) counts as in its current state since that
    state's ``last_changed`` or the start of its window, whichever is later,
    not as missing. The logs must not be changed by anyone else meanwhile.

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
    recorded = await async_load_sensor_history(hass, due, window_start, end)
    events: dict[str, list[tuple[float, str | None]]] = {}
    for entity_id in due:
        sensor_events: list[tuple[float, str | None]] = list(recorded.get(entity_id, []))
        if not sensor_events and (state := hass.states.get(entity_id)) is not None:
            # In that state since it last changed, or since the window began.
            since = max(starts[entity_id], state.last_changed_timestamp)
            sensor_events = [(since, state.state)]
        events[entity_id] = sensor_events
    return await hass.async_add_executor_job(_merge, logs, events, end.timestamp())
