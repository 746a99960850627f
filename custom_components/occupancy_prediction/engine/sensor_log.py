"""A compact, persistable record of one sensor's evidence over time.

Home Assistant's recorder keeps 10 days by default; this log keeps a sensor's
own history for as long as the integration wants (365 days by default) so
learning goes on beyond the purge window. Room episodes are always derived
from these per-sensor logs, so changing a room's sensors re-derives its
episodes without stale sensors.

Only changes of evidence are kept: ``on``, ``off`` or no evidence (any other
state: ``unavailable``, ``unknown``, removed). Times are POSIX seconds (UTC),
stored as 8-byte floats; a year of a chatty motion sensor (300 changes a day)
takes about 1 MB in memory.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from .episodes import Episode, episodes_from_transitions
from .occupancy import RoomOccupancy, SensorKind, Transition

_ON, _OFF, _NONE = 1, 0, 2
_CODE = {"on": _ON, "off": _OFF}
_VALUE: dict[int, str | None] = {_ON: "on", _OFF: "off", _NONE: None}
_TO_CHARS = bytes.maketrans(bytes([_ON, _OFF, _NONE]), b"10-")
_FROM_CHARS = bytes.maketrans(b"10-", bytes([_ON, _OFF, _NONE]))


def _code(value: str | None) -> int:
    return _CODE.get(value, _NONE) if value is not None else _NONE


class SensorLog:
    """The changes of one sensor's evidence, oldest first.

    Attributes:
        watermark: POSIX seconds up to which the log is known to be complete
            (None before anything was recorded or imported).
    """

    def __init__(self) -> None:
        """Create an empty log."""
        self._times = array("d")
        self._codes = bytearray()
        self.watermark: float | None = None

    def copy(self) -> SensorLog:
        """An independent copy (cheap: two buffer copies), e.g. to hand to a worker thread."""
        other = SensorLog()
        other._times = array("d", self._times)
        other._codes = bytearray(self._codes)
        other.watermark = self.watermark
        return other

    @property
    def first_timestamp(self) -> float | None:
        """POSIX seconds of the oldest kept change, None when empty."""
        return self._times[0] if self._times else None

    def __len__(self) -> int:
        """Number of changes kept."""
        return len(self._times)

    def record(self, timestamp: float, value: str | None) -> bool:
        """Append a state seen live at ``timestamp`` (POSIX seconds).

        A state stamped before the last kept change is taken as happening at
        that change's time (clock jumps never reorder the log). A state equal
        to the last one (an attribute-only update) is not kept.

        Returns:
            True when the evidence changed and was kept.
        """
        code = _code(value)
        if self._times:
            timestamp = max(timestamp, self._times[-1])
        self.watermark = timestamp if self.watermark is None else max(self.watermark, timestamp)
        if self._codes and self._codes[-1] == code:
            return False
        self._times.append(timestamp)
        self._codes.append(code)
        return True

    def merge(self, events: Iterable[tuple[float, str | None]], until: float) -> int:
        """Add states imported for the window after the watermark, up to ``until``.

        Events at or before the watermark are already known and skipped
        (except into an empty log); the rest are kept in time order.
        Afterwards the log is complete up to ``until``.

        Returns:
            How many changes were added.
        """
        events = list(events)
        times = np.fromiter((t for t, _ in events), dtype=np.float64, count=len(events))
        codes = np.fromiter((_code(v) for _, v in events), dtype=np.uint8, count=len(events))
        order = np.argsort(times, kind="stable")
        times, codes = times[order], codes[order]
        if self.watermark is not None:
            keep = times > self.watermark
            times, codes = times[keep], codes[keep]
        if self._times:
            # As record() does: never before the last kept change, never a repeat of it.
            times = np.maximum(times, self._times[-1])
            previous = np.concatenate(([self._codes[-1]], codes[:-1]))
        else:
            previous = np.concatenate(([255], codes[:-1]))
        changed = codes != previous
        times, codes = times[changed], codes[changed]
        self._times.frombytes(times.astype(np.float64).tobytes())
        self._codes.extend(codes.astype(np.uint8).tobytes())
        added = int(times.size)
        if times.size:
            last = float(times[-1])
            self.watermark = last if self.watermark is None else max(self.watermark, last)
        self.watermark = until if self.watermark is None else max(self.watermark, until)
        return added

    def trim(self, before: float) -> None:
        """Forget changes before ``before``, keeping the state in force at ``before``."""
        cut = 0
        while cut < len(self._times) and self._times[cut] < before:
            cut += 1
        if cut == 0:
            return
        last_code = self._codes[cut - 1]
        del self._times[:cut]
        del self._codes[:cut]
        if not self._codes or self._times[0] > before:
            self._times.insert(0, before)
            self._codes.insert(0, last_code)

    def events(self) -> Iterator[tuple[float, str | None]]:
        """Every kept change as (POSIX seconds, ``on``/``off``/None)."""
        for timestamp, code in zip(self._times, self._codes, strict=True):
            yield timestamp, _VALUE[code]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: start time, millisecond deltas and one character per change.

        Vectorised (numpy), so saving a year of a chatty sensor costs a few
        milliseconds.
        """
        times = np.frombuffer(self._times, dtype=np.float64)
        # Delta-encode whole milliseconds since the start, so rounding never accumulates.
        offsets = np.rint((times - times[0]) * 1000).astype(np.int64) if times.size else times
        return {
            "start": float(times[0]) if times.size else None,
            "deltas_ms": np.diff(offsets).astype(np.int64).tolist(),
            "states": bytes(self._codes).translate(_TO_CHARS).decode("ascii"),
            "watermark": self.watermark,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SensorLog:
        """Rebuild a log from :meth:`as_dict` output.

        Raises:
            ValueError: if the data is malformed (wrong types, lengths or
                codes, negative or fractional deltas).
        """
        try:
            start = data["start"]
            deltas = data["deltas_ms"]
            states = data["states"]
            watermark = data["watermark"]
        except (KeyError, TypeError) as err:
            raise ValueError(f"sensor log is missing {err}") from err
        if not isinstance(states, str) or not isinstance(deltas, list):
            raise ValueError("sensor log states must be a string and deltas a list")
        if watermark is not None and not _is_number(watermark):
            raise ValueError(f"sensor log watermark is not a number: {watermark!r}")
        log = cls()
        log.watermark = watermark
        if start is None:
            if states or deltas:
                raise ValueError("sensor log has states but no start")
            return log
        if not _is_number(start) or len(deltas) != len(states) - 1:
            raise ValueError("sensor log start or lengths are inconsistent")
        codes = states.encode("ascii", errors="replace")
        if codes.translate(None, b"01-"):
            raise ValueError(f"unknown state code in sensor log: {states!r}")
        steps = np.asarray(deltas) if deltas else np.zeros(0, dtype=np.int64)
        if steps.dtype.kind not in "iu" or (steps < 0).any():
            raise ValueError("bad time deltas in sensor log (must be whole ms >= 0)")
        offsets = np.concatenate(([0], np.cumsum(steps, dtype=np.int64)))
        log._times.frombytes((float(start) + offsets / 1000).astype(np.float64).tobytes())
        log._codes = bytearray(codes.translate(_FROM_CHARS))
        return log


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def replay_logs(
    logs: Mapping[str, SensorLog],
    sensors: Mapping[str, SensorKind],
    vacancy_delay: float,
    until: float,
) -> list[Episode]:
    """A room's episodes, from its sensors' logs through the occupancy rules.

    The same as feeding every logged change, as :class:`SensorEvent` in the logs' order,
    to :func:`transitions_from_events`, without building an object per change: the
    logs are merged in time order with a stable numpy sort (equal times keep the logs'
    order), so a long history leaves no pile of short-lived objects to the garbage
    collector, whose full collections hold the GIL for the whole process.

    Args:
        logs: entity id -> log; logs of entities not in ``sensors`` are ignored.
        sensors: entity id -> kind, as for :class:`RoomOccupancy`.
        vacancy_delay: the hold in seconds.
        until: POSIX seconds to advance to at the end (normally "now").

    Returns:
        Episodes oldest first, the last one open.
    """
    used = [(entity_id, log) for entity_id, log in logs.items() if entity_id in sensors]
    names = [entity_id for entity_id, _ in used]
    times = np.concatenate(
        [np.frombuffer(log._times, dtype=np.float64) for _, log in used]
        or [np.empty(0, dtype=np.float64)]
    )
    codes = np.concatenate(
        [np.frombuffer(log._codes, dtype=np.uint8) for _, log in used]
        or [np.empty(0, dtype=np.uint8)]
    )
    owners = np.repeat(np.arange(len(used), dtype=np.intp), [len(log) for _, log in used])
    order = np.argsort(times, kind="stable")
    tracker = RoomOccupancy(sensors, vacancy_delay)

    def transitions() -> Iterator[Transition]:
        # One at a time into the episodes: no list of every transition is kept either.
        update = tracker.update_ts
        for timestamp, code, owner in zip(
            times[order].tolist(), codes[order].tolist(), owners[order].tolist(), strict=True
        ):
            yield from update(names[owner], _VALUE[code], timestamp)
        yield from tracker.advance_ts(until)

    return episodes_from_transitions(transitions())
