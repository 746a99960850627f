"""Median remaining time by hour of day and current state (baseline B2).

For every completed episode, the remaining time to its end is sampled every
5 minutes from its start; each sample is filed under the episode's state and
the local hour of day of the sample. A prediction for a room in state ``s`` at
local hour ``h`` takes the 10th, 50th and 90th percentiles of the samples in
bucket ``(s, h)``. This is the "B2" reference baseline of the benchmark: it
ignores how long the room has already been in its state.

When bucket ``(s, h)`` holds samples of fewer than ``MIN_BUCKET_EPISODES``
distinct episodes, the neighbouring hours ``h +- 1``, ``h +- 2``, ... are
pooled in until it does (a symmetric widening of the hour window).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from .episodes import Episode
from .occupancy import KNOWN_STATES, NEXT_STATE, RoomState
from .prediction import HORIZON_SECONDS, WITHIN_SECONDS, InsufficientHistory, Prediction
from .timeutil import from_timestamp, to_timestamp

SAMPLE_STEP_SECONDS = 300
MIN_EPISODES = 3
MIN_BUCKET_EPISODES = 2
MODEL_NAME = "hourly_median"

_STATES = KNOWN_STATES
_NEXT = NEXT_STATE


class HourlyMedianModel:
    """Baseline B2: remaining-time quantiles by local hour of day and state.

    Args:
        time_zone: the home's zone; hours of day are read in it, so both DST
            changes put samples under their wall-clock hour.
    """

    def __init__(self, time_zone: tzinfo) -> None:
        """Create an untrained model."""
        self._tz = time_zone
        self._remaining: dict[tuple[RoomState, int], np.ndarray] = {}
        self._episode_ids: dict[tuple[RoomState, int], np.ndarray] = {}
        self.episode_counts: dict[RoomState, int] = dict.fromkeys(_STATES, 0)

    def fit(self, episodes: Sequence[Episode]) -> None:
        """Learn from ``episodes`` afresh; only those that ended in a change count."""
        self._remaining = {}
        self._episode_ids = {}
        self.episode_counts = dict.fromkeys(_STATES, 0)
        self._add(episodes)

    def learn(self, episode: Episode) -> None:
        """Add one finished episode to what was learned (incremental, cheap).

        Adds ``duration / 5 min`` samples; an episode that did not end in a
        change is ignored.
        """
        self._add([episode])

    def _add(self, episodes: Sequence[Episode]) -> None:
        remaining: dict[tuple[RoomState, int], list[float]] = {}
        owners: dict[tuple[RoomState, int], list[int]] = {}
        next_id = sum(self.episode_counts.values())
        for episode in episodes:
            if not episode.ends_in_change or episode.end is None:
                continue
            self.episode_counts[episode.state] += 1
            point = episode.start
            while point < episode.end:
                hour = datetime.fromtimestamp(point, self._tz).hour
                key = (episode.state, hour)
                # Whole seconds, so a saved and restored model predicts the same.
                remaining.setdefault(key, []).append(
                    round(min(episode.end - point, HORIZON_SECONDS))
                )
                owners.setdefault(key, []).append(next_id)
                point += SAMPLE_STEP_SECONDS
            next_id += 1
        for key, values in remaining.items():
            new_values = np.asarray(values, dtype=float)
            new_owners = np.asarray(owners[key], dtype=np.int64)
            if key in self._remaining:
                new_values = np.concatenate([self._remaining[key], new_values])
                new_owners = np.concatenate([self._episode_ids[key], new_owners])
            self._remaining[key] = new_values
            self._episode_ids[key] = new_owners

    def as_dict(self) -> dict[str, Any]:
        """Everything learned, JSON-ready (remaining times in whole seconds)."""
        return {
            "episode_counts": {state.value: n for state, n in self.episode_counts.items()},
            "buckets": [
                [
                    state.value,
                    hour,
                    self._remaining[(state, hour)].astype(np.int64).tolist(),
                    self._episode_ids[(state, hour)].tolist(),
                ]
                for state, hour in sorted(self._remaining)
            ],
        }

    @classmethod
    def from_dict(cls, time_zone: tzinfo, data: Mapping[str, Any]) -> HourlyMedianModel:
        """Rebuild a model saved with :meth:`as_dict`.

        Raises:
            ValueError: if ``data`` is malformed.
        """
        model = cls(time_zone)
        try:
            counts = {RoomState(k): int(v) for k, v in data["episode_counts"].items()}
            for state_value, hour, values, owners in data["buckets"]:
                key = (RoomState(state_value), int(hour))
                if key[0] not in _STATES or not 0 <= key[1] < 24 or len(values) != len(owners):
                    raise ValueError(f"bad bucket {state_value!r} {hour!r}")
                model._remaining[key] = np.asarray(values, dtype=float)
                model._episode_ids[key] = np.asarray(owners, dtype=np.int64)
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"malformed hourly median model: {err!r}") from err
        if set(counts) != set(_STATES):
            raise ValueError("hourly median model lacks episode counts")
        model.episode_counts = counts
        return model

    def remaining_samples(self, state: RoomState, hour: int) -> np.ndarray:
        """Samples (seconds) for ``state`` at local ``hour``, widened as described above.

        Returns an empty array when even all 24 hours hold fewer than
        ``MIN_BUCKET_EPISODES`` episodes.
        """
        pooled: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        for width in range(13):
            hours = {(hour + width) % 24, (hour - width) % 24}
            for h in hours:
                key = (state, h)
                if key in self._remaining:
                    pooled.append(self._remaining[key])
                    owners.append(self._episode_ids[key])
            if owners and len(np.unique(np.concatenate(owners))) >= MIN_BUCKET_EPISODES:
                return np.concatenate(pooled)
        return np.empty(0)

    def predict(self, state: RoomState, now: datetime) -> Prediction | InsufficientHistory:
        """Predict when a room in ``state`` at ``now`` (aware) changes state.

        Returns:
            A :class:`Prediction`, or :class:`InsufficientHistory` when fewer
            than ``MIN_EPISODES`` completed episodes of ``state`` were seen or
            ``state`` is unknown.

        Raises:
            ValueError: if ``now`` is naive.
        """
        moment = to_timestamp(now)
        if state not in _STATES:
            return InsufficientHistory(episodes=0, needed=MIN_EPISODES)
        seen = self.episode_counts[state]
        samples = self.remaining_samples(state, datetime.fromtimestamp(moment, self._tz).hour)
        if seen < MIN_EPISODES or samples.size == 0:
            return InsufficientHistory(episodes=seen, needed=MIN_EPISODES)
        lower, median, upper = np.quantile(samples, [0.1, 0.5, 0.9])
        confidence = float(np.mean(np.abs(samples - median) <= WITHIN_SECONDS))
        base = from_timestamp(moment)
        return Prediction(
            transition_type=_NEXT[state],
            predicted_time=None
            if median >= HORIZON_SECONDS
            else base + timedelta(seconds=float(median)),
            interval_lower=base + timedelta(seconds=float(lower)),
            interval_upper=base + timedelta(seconds=float(upper)),
            confidence=confidence,
            model=MODEL_NAME,
        )
