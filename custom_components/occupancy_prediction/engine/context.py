"""Context model: remaining time given what the other rooms of the home are doing.

Someone leaving the bedroom predicts the bathroom or the kitchen; a room that
is still occupied (its hold running) while another room was just entered has
most likely been left. This model conditions baseline B2 (median remaining
time by local hour and state, :mod:`.hourly_median`) on a small *context*
read off the other rooms at the prediction moment:

* room occupied: ``left:recent`` when another room became occupied after this
  room did, less than ``RECENT_SECONDS`` ago (the occupant has probably moved
  on and the vacancy delay is running out), ``left:earlier`` when that was
  longer ago, ``here`` when no other room was entered since;
* room vacant: the other room entered most recently and still occupied, with
  how long ago it was entered (``<room>:short`` under 30 min, ``:mid`` under
  2 h, ``:long``), or ``nobody`` when no other room is occupied.

Learning samples the remaining time every 5 minutes of every completed
episode, as B2 does, and files each sample under (state, local hour,
context). A prediction takes the samples of its (state, hour, context)
bucket, widening the hour window by up to ``MAX_WIDEN_HOURS`` until they come
from at least ``MIN_BUCKET_EPISODES`` distinct episodes; failing that it backs
off to the (state, hour) samples of all contexts pooled (B2's buckets),
widened up to 12 hours until they come from ``MIN_BUCKET_EPISODES``
episodes. The distribution is that of those samples.

The union of a (state, hour)'s buckets over all contexts is exactly B2's
bucket, so :meth:`ContextModel.hourly_samples` serves baseline B2 from the
same store (the ensemble keeps one copy of the samples, not two, and caches
B2's distribution per state and hour until :attr:`ContextModel.generation`
changes). Samples are
kept as 32-bit whole seconds. It is an empirical conditional-quantile model
in the spirit of the back-off n-gram estimates of Katz (1987, IEEE Trans.
ASSP 35(3)) applied to the activity-context idea of Scott et al., "PreHeat:
controlling home heating using occupancy prediction" (UbiComp 2011).

Contexts and episodes are in POSIX seconds (UTC); hours of day are local in
the home's zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import numpy as np

from .clock import local_hour
from .episodes import Episode
from .occupancy import KNOWN_STATES, RoomState
from .packing import INT32, pack, unpack

SAMPLE_STEP_SECONDS = 300
RECENT_SECONDS = 600.0
MIN_EPISODES = 3
MIN_BUCKET_EPISODES = 10
MAX_WIDEN_HOURS = 2
B2_MIN_BUCKET_EPISODES = 2
"""B2's own widening rule (:mod:`.hourly_median`), for :meth:`ContextModel.hourly_samples`."""
MODEL_NAME = "context"

Snapshot = Mapping[str, tuple[RoomState, float]]
"""The other rooms at one moment: room id -> (state, since in POSIX seconds)."""

Others = Mapping[str, "Sequence[Episode] | Timeline"]
"""The other rooms' histories: room id -> episodes or their :class:`Timeline`."""


def context_key(state: RoomState, since: float, now: float, others: Snapshot) -> str:
    """The context of a room in ``state`` since ``since`` at ``now`` (POSIX seconds).

    Args:
        state: this room's state.
        since: when it entered it.
        now: the prediction moment.
        others: the other rooms' states and since when (this room excluded).

    Returns:
        One of the context labels described in the module docstring.
    """
    entered = [
        (start, room)
        for room, (other_state, start) in others.items()
        if other_state is RoomState.OCCUPIED and start <= now
    ]
    if state is RoomState.OCCUPIED:
        later = [start for start, _ in entered if start > since]
        if not later:
            return "here"
        return "left:recent" if now - max(later) < RECENT_SECONDS else "left:earlier"
    if not entered:
        return "nobody"
    start, room = max(entered)
    age = now - start
    band = "short" if age < 1800 else "mid" if age < 7200 else "long"
    return f"{room}:{band}"


_CODES = {RoomState.OCCUPIED: 0, RoomState.VACANT: 1, RoomState.UNKNOWN: 2}
_STATES_BY_CODE = (RoomState.OCCUPIED, RoomState.VACANT, RoomState.UNKNOWN)


class Timeline:
    """A room's episodes as compact arrays, searchable by moment.

    Args:
        episodes: contiguous episodes in time order (POSIX seconds); the last
            one may still be going on (``end`` None).

    Immutable: :meth:`appended` returns a new timeline, so one can be handed
    to a worker thread while the event loop goes on appending.
    """

    def __init__(self, episodes: Sequence[Episode] = ()) -> None:
        """Index ``episodes`` by start."""
        self._starts = np.array([e.start for e in episodes], dtype=float)
        self._ends = np.array([np.nan if e.end is None else e.end for e in episodes], dtype=float)
        self._states = np.array([_CODES[e.state] for e in episodes], dtype=np.int8)

    def __len__(self) -> int:
        """How many episodes it holds."""
        return int(self._starts.size)

    def appended(self, episode: Episode) -> Timeline:
        """A copy with ``episode`` added at the end.

        An episode that begins where the last one (still going on) began
        replaces it: that is the going-on episode, now finished (or restated).
        The same finished episode again, or one older than the last, is
        ignored (the timeline only grows); a different one at the same
        start (a zero-length episode before it) is appended, and
        :meth:`at` then finds the later one.
        """
        keep = self._starts.size
        if keep and episode.start <= self._starts[-1]:
            if episode.start < self._starts[-1]:
                return self
            if np.isnan(self._ends[-1]):
                keep -= 1
            elif episode.end == self._ends[-1] and _CODES[episode.state] == self._states[-1]:
                return self
        grown = Timeline()
        end = np.nan if episode.end is None else episode.end
        grown._starts = np.append(self._starts[:keep], episode.start)
        grown._ends = np.append(self._ends[:keep], end)
        grown._states = np.append(self._states[:keep], np.int8(_CODES[episode.state]))
        return grown

    def occupied_since(self, moments: np.ndarray) -> np.ndarray:
        """Per moment, since when the room is occupied; -inf where it is not (or unknown)."""
        index = np.searchsorted(self._starts, moments, side="right") - 1
        found = np.full(moments.shape, -np.inf)
        inside = index >= 0
        safe = np.where(inside, index, 0)
        if self._starts.size:
            ends = self._ends[safe]
            inside &= np.isnan(ends) | (moments < ends)
            inside &= self._states[safe] == _CODES[RoomState.OCCUPIED]
            found = np.where(inside, self._starts[safe], -np.inf)
        return found

    def at(self, moment: float) -> tuple[RoomState, float] | None:
        """The (state, since) at ``moment``; None outside the episodes or when unknown."""
        index = int(np.searchsorted(self._starts, moment, side="right")) - 1
        if index < 0:
            return None
        end = self._ends[index]
        if not np.isnan(end) and moment >= end:
            return None
        state = _STATES_BY_CODE[int(self._states[index])]
        if state not in KNOWN_STATES:
            return None
        return state, float(self._starts[index])


def snapshot(
    timelines: Mapping[str, Timeline], moment: float
) -> dict[str, tuple[RoomState, float]]:
    """The other rooms' (state, since) at ``moment``; rooms in an unknown state are left out."""
    found = {}
    for room, timeline in timelines.items():
        known = timeline.at(moment)
        if known is not None:
            found[room] = known
    return found


_FIXED_LABELS = ("here", "left:recent", "left:earlier", "nobody")
_BANDS = ("short", "mid", "long")


def _labels(
    occupied: np.ndarray, since: np.ndarray, points: np.ndarray, others: Others
) -> tuple[np.ndarray, list[str]]:
    """:func:`context_key` at many points at once.

    Args:
        occupied: per point, whether this room is occupied (else vacant).
        since: per point, when this room entered its state (POSIX seconds).
        points: the moments (POSIX seconds).
        others: the other rooms' histories.

    Returns:
        A label index per point and the labels they index.
    """
    rooms = sorted(others)
    names = list(_FIXED_LABELS) + [f"{room}:{band}" for room in rooms for band in _BANDS]
    entered = np.full((len(rooms), points.size), -np.inf)
    for row, room in enumerate(rooms):
        found = others[room]
        timeline = found if isinstance(found, Timeline) else Timeline(found)
        entered[row] = timeline.occupied_since(points)
    # Ties on the entry time go to the room whose id sorts last, as in context_key.
    latest = entered.max(axis=0, initial=-np.inf)
    last_room = len(rooms) - 1 - np.argmax((entered == latest)[::-1], axis=0) if rooms else None
    later = np.where(entered > since, entered, -np.inf).max(axis=0, initial=-np.inf)
    labels = np.where(
        np.isfinite(later), np.where(points - later < RECENT_SECONDS, 1, 2), 0
    )  # occupied rooms
    if last_room is not None:
        age = points - latest
        band = np.where(age < 1800, 0, np.where(age < 7200, 1, 2))
        vacant_labels = np.where(np.isfinite(latest), 4 + 3 * last_room + band, 3)
    else:
        vacant_labels = np.full(points.size, 3)
    return np.where(occupied, labels, vacant_labels).astype(np.int64), names


class ContextModel:
    """Remaining-time samples by state, local hour and the other rooms' context.

    Args:
        time_zone: the home's zone (hours of day are local, so both DST
            changes file samples under their wall-clock hour).
    """

    def __init__(self, time_zone: tzinfo) -> None:
        """Create an untrained model."""
        self._tz = time_zone
        self._remaining: dict[tuple[RoomState, int, str], np.ndarray] = {}
        self._owners: dict[tuple[RoomState, int, str], np.ndarray] = {}
        self.episode_counts: dict[RoomState, int] = dict.fromkeys(KNOWN_STATES, 0)
        self.generation = 0
        """Counts the changes to the samples (what callers key their caches on)."""

    def fit(self, episodes: Sequence[Episode], others: Others) -> None:
        """Learn afresh from this room's ``episodes`` and the other rooms' ``others``.

        Only episodes that ended in an observed change count. ``others`` maps
        a room id to its episodes (or their :class:`Timeline`) over (at least)
        the same period.
        """
        self._remaining = {}
        self._owners = {}
        self.generation += 1
        self.episode_counts = dict.fromkeys(KNOWN_STATES, 0)
        self.learn_many(episodes, others)

    def learn_many(self, episodes: Sequence[Episode], others: Others) -> None:
        """Add finished episodes (incremental: a few samples per 5 minutes of episode).

        Vectorised over the sample points: the labels are those of
        :func:`context_key` at each point, computed for all points at once.
        """
        finished = [e for e in episodes if e.ends_in_change and e.end is not None]
        if not finished:
            return
        next_id = sum(self.episode_counts.values())
        starts = np.array([e.start for e in finished])
        ends = np.array([e.end for e in finished], dtype=float)
        occupied = np.array([e.state is RoomState.OCCUPIED for e in finished])
        for episode in finished:
            self.episode_counts[episode.state] += 1
        counts = np.ceil((ends - starts) / SAMPLE_STEP_SECONDS).astype(np.int64)
        if not counts.any():
            return  # episodes of no length: nothing to sample
        self.generation += 1
        which = np.repeat(np.arange(len(finished)), counts)
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        offsets = np.arange(which.size) - np.repeat(first, counts)
        points = starts[which] + offsets * SAMPLE_STEP_SECONDS
        remaining = np.round(np.minimum(ends[which] - points, 86400.0)).astype(np.int32)
        hours = local_hour(points, self._tz)
        labels, names = _labels(occupied[which], starts[which], points, others)
        state_codes = np.where(occupied[which], 0, 1)
        combined = (state_codes * 24 + hours) * len(names) + labels
        order = np.argsort(combined, kind="stable")
        keys, first_of = np.unique(combined[order], return_index=True)
        owners = (which + next_id).astype(np.int32)[order]
        values = remaining[order]
        for key, chunk_values, chunk_owners in zip(
            keys.tolist(),
            np.split(values, first_of[1:]),
            np.split(owners, first_of[1:]),
            strict=True,
        ):
            state_hour, label = divmod(key, len(names))
            state = RoomState.OCCUPIED if state_hour < 24 else RoomState.VACANT
            bucket = (state, state_hour % 24, names[label])
            if bucket in self._remaining:
                self._remaining[bucket] = np.concatenate([self._remaining[bucket], chunk_values])
                self._owners[bucket] = np.concatenate([self._owners[bucket], chunk_owners])
            else:
                self._remaining[bucket] = chunk_values
                self._owners[bucket] = chunk_owners

    def samples(self, state: RoomState, since: float, now: float, others: Snapshot) -> np.ndarray:
        """Remaining-time samples (seconds) for a room in ``state`` since ``since`` at ``now``.

        Empty when fewer than ``MIN_EPISODES`` episodes of ``state`` were
        learned, or when no bucket (even across all contexts and hours) holds
        ``MIN_BUCKET_EPISODES`` episodes.
        """
        if state not in KNOWN_STATES or self.episode_counts[state] < MIN_EPISODES:
            return np.empty(0)
        hour = datetime.fromtimestamp(now, self._tz).hour
        label = context_key(state, since, now, others)
        found = self._pooled(state, hour, {label}, MAX_WIDEN_HOURS, MIN_BUCKET_EPISODES)
        if found.size:
            return found
        return self._pooled(state, hour, self._labels(state), 12, MIN_BUCKET_EPISODES)

    def hourly_samples(self, state: RoomState, hour: int) -> np.ndarray:
        """Baseline B2's samples (seconds) for ``state`` at local ``hour``, whatever the context.

        The same samples as :meth:`.HourlyMedianModel.remaining_samples` on the
        same episodes, widened by the same rule.
        """
        if state not in KNOWN_STATES:
            return np.empty(0)
        return self._pooled(state, hour, self._labels(state), 12, B2_MIN_BUCKET_EPISODES)

    def _labels(self, state: RoomState) -> set[str]:
        return {key[2] for key in self._remaining if key[0] is state}

    def _pooled(
        self, state: RoomState, hour: int, labels: set[str], widest: int, episodes: int
    ) -> np.ndarray:
        pooled: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        for width in range(widest + 1):
            for h in {(hour + width) % 24, (hour - width) % 24}:
                for label in labels:
                    key = (state, h, label)
                    if key in self._remaining:
                        pooled.append(self._remaining[key])
                        owners.append(self._owners[key])
            if owners and len(np.unique(np.concatenate(owners))) >= episodes:
                found: np.ndarray = np.concatenate(pooled).astype(float)
                return found
        return np.empty(0)

    def as_dict(self) -> dict[str, Any]:
        """Everything learned, JSON-ready.

        Per bucket its remaining times (whole seconds) and their episodes' ids,
        each packed (:func:`.packing.pack`, 32-bit).
        """
        return {
            "episode_counts": {state.value: n for state, n in self.episode_counts.items()},
            "buckets": [
                [
                    state.value,
                    hour,
                    label,
                    pack(self._remaining[(state, hour, label)], INT32),
                    pack(self._owners[(state, hour, label)], INT32),
                ]
                for state, hour, label in sorted(self._remaining)
            ],
        }

    @classmethod
    def from_dict(cls, time_zone: tzinfo, data: Mapping[str, Any]) -> ContextModel:
        """Rebuild a model saved with :meth:`as_dict`.

        Buckets saved as JSON lists (before the arrays were packed) are read too.

        Raises:
            ValueError: if ``data`` is malformed.
        """
        model = cls(time_zone)
        try:
            counts = {RoomState(k): int(v) for k, v in data["episode_counts"].items()}
            for state_value, hour, label, packed_values, packed_owners in data["buckets"]:
                key = (RoomState(state_value), int(hour), str(label))
                if key[0] not in KNOWN_STATES or not 0 <= key[1] < 24:
                    raise ValueError(f"bad bucket {state_value!r} {hour!r}")
                values = unpack(packed_values, INT32)
                owners = unpack(packed_owners, INT32)
                if len(values) != len(owners):
                    raise ValueError(f"bucket {state_value!r} {hour!r} {label!r} is uneven")
                model._remaining[key] = values
                model._owners[key] = owners
        except (KeyError, TypeError, AttributeError, OverflowError) as err:
            raise ValueError(f"malformed context model: {err!r}") from err
        if set(counts) != set(KNOWN_STATES):
            raise ValueError("context model lacks episode counts")
        model.episode_counts = counts
        return model
