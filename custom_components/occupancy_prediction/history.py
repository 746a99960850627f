"""Read room sensors' past states from the recorder, without blocking the loop.

Every step that touches many rows runs off the event loop: the query and the
conversion of rows in the recorder's executor, the merge into the sensor logs
in Home Assistant's executor (the logs are not touched by the loop until the
import is finished, see :class:`RoomLearner`).

The import also keeps the process's garbage collector quiet. The recorder
builds several tracked objects per row (a ``Row``, its tuple, a dict), all of
a query's at once; whatever is alive when a young collection runs is promoted,
and once enough objects were promoted a full collection walks every object of
Home Assistant with the GIL held: 150-230 ms during which the event loop
cannot run, whichever thread triggered it. So each query reads one sensor for
at most a day (a few hundred rows, under the 2000 allocations that start a
young collection), and its rows become flat arrays (:class:`SensorSeries`) at
once, in the executor: nothing per row outlives the query.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.recorder import history
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .engine.sensor_log import SensorLog

CHUNK = timedelta(days=7)
"""The longest span one job in the recorder's executor reads, for one sensor."""

WINDOW = timedelta(days=1)
"""The longest span one recorder query reads, for one sensor.

A chatty motion sensor (300 changes a day) gives a few hundred rows per query.
"""

_OVERLAP = timedelta(microseconds=1)
"""The recorder's window is open at both ends; each query but the last reads
this much further, so a state recorded exactly at a window boundary is kept."""


class SensorSeries:
    """One sensor's recorded states, oldest first, as flat arrays.

    Attributes:
        times: POSIX seconds of each state.
        values: index of each state's value in ``states``.
        states: the distinct state values seen, in order of first appearance.
    """

    __slots__ = ("_index", "states", "times", "values")

    def __init__(self) -> None:
        """Create an empty series."""
        self.times = array("d")
        self.values = array("I")
        self.states: list[str] = []
        self._index: dict[str, int] = {}

    def __len__(self) -> int:
        """Number of states."""
        return len(self.times)

    def append(self, timestamp: float, state: str) -> None:
        """Add a state recorded at ``timestamp`` (POSIX seconds)."""
        index = self._index.get(state)
        if index is None:
            index = self._index[state] = len(self.states)
            self.states.append(state)
        self.times.append(timestamp)
        self.values.append(index)

    def events(self) -> Iterator[tuple[float, str]]:
        """Every state as (POSIX seconds, value), oldest first."""
        states = self.states
        for timestamp, index in zip(self.times, self.values, strict=True):
            yield timestamp, states[index]


type _Window = tuple[datetime, datetime, bool]
"""One query: start, end, whether the state at the start is wanted."""


def _windows(start: datetime, end: datetime) -> Iterator[list[_Window]]:
    """The queries that read [start, end), :data:`CHUNK` at a time.

    Each query covers at most :data:`WINDOW`; the first one asks for the
    state at ``start``, and all but the last read :data:`_OVERLAP` further.
    """
    windows: list[_Window] = []
    cursor = start
    while cursor < end:
        stop = min(cursor + WINDOW, end)
        windows.append((cursor, stop + _OVERLAP if stop < end else end, cursor == start))
        cursor = stop
    per_chunk = max(1, CHUNK // WINDOW)
    for first in range(0, len(windows), per_chunk):
        yield windows[first : first + per_chunk]


def _read_chunk(
    hass: HomeAssistant, series: SensorSeries, entity_id: str, windows: list[_Window]
) -> None:
    """Append one sensor's states in ``windows`` to ``series`` (in the recorder's executor).

    Each query's rows are flat in ``series`` before the next query runs.
    """
    append = series.append
    for start, end, with_start_state in windows:
        rows: dict[str, list[Any]] = history.get_significant_states(
            hass,
            start,
            end,
            [entity_id],
            include_start_time_state=with_start_state,
            significant_changes_only=True,
            minimal_response=True,
            no_attributes=True,
            compressed_state_format=True,
        )
        for row in rows.pop(entity_id, ()):
            if isinstance(row, dict):
                append(float(row["lu"]), str(row["s"]))
            else:  # with minimal_response the first row may be a State
                append(row.last_updated_timestamp, str(row.state))
        del rows


async def async_load_sensor_history(
    hass: HomeAssistant, starts: Mapping[str, datetime], end: datetime
) -> dict[str, SensorSeries]:
    """Return every recorded state of each sensor from its start to ``end``.

    One sensor at a time, :data:`CHUNK` per job in the recorder's executor,
    read by queries of at most :data:`WINDOW`, with the state at the sensor's
    start included (the recorder stamps it at the start), so a sensor that
    did not change in its window still counts as in its state.

    Args:
        hass: the running Home Assistant.
        starts: entity id -> beginning of its window, aware UTC.
        end: end of every window (excluded), aware UTC.

    Returns:
        Entity id -> its states, oldest first; sensors without any recorded
        state (or whose start is not before ``end``) are absent.
    """
    instance = get_instance(hass)
    result: dict[str, SensorSeries] = {}
    for entity_id, start in starts.items():
        series = SensorSeries()
        for windows in _windows(start, end):
            await instance.async_add_executor_job(_read_chunk, hass, series, entity_id, windows)
        if series:
            result[entity_id] = series
    return result


def _merge(
    logs: Mapping[str, SensorLog],
    due: Iterable[str],
    recorded: Mapping[str, SensorSeries],
    current: Mapping[str, tuple[float, str]],
    end: float,
) -> int:
    """Merge imported states into the due sensors' logs (runs in the executor)."""
    added = 0
    for entity_id in due:
        series = recorded.get(entity_id)
        event = current.get(entity_id)
        events = series.events() if series is not None else [event] if event else []
        added += logs[entity_id].merge(events, until=end)
    return added


async def async_import_into_logs(
    hass: HomeAssistant,
    logs: Mapping[str, SensorLog],
    earliest: datetime,
    end: datetime,
) -> int:
    """Bring each sensor's log up to ``end`` from the recorder, incrementally.

    Each log is read from its watermark (or ``earliest`` for a new log) to
    ``end``. A sensor the recorder returns nothing for (it did not change,
    and nothing older is kept: core#70346) counts as in its current state
    since that state's ``last_changed`` or the start of its window, whichever
    is later, not as missing. The logs must not be changed by anyone else
    meanwhile.

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
    due = {
        entity_id: dt_util.utc_from_timestamp(start)
        for entity_id, start in starts.items()
        if start < end.timestamp()
    }
    if not due:
        return 0
    recorded = await async_load_sensor_history(hass, due, end)
    current: dict[str, tuple[float, str]] = {}
    for entity_id in due:
        if entity_id not in recorded and (state := hass.states.get(entity_id)) is not None:
            # In that state since it last changed, or since the window began.
            current[entity_id] = (max(starts[entity_id], state.last_changed_timestamp), state.state)
    return await hass.async_add_executor_job(
        _merge, logs, list(due), recorded, current, end.timestamp()
    )
