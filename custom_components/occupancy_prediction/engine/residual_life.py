"""Survival-conditional median residual life (baseline B1).

For a room that has been in state ``s`` for ``e`` seconds, the remaining time
is read from the completed durations ``D`` of past ``s`` episodes that lasted
longer than ``e``: the prediction is the median of ``D - e`` over ``D > e``,
the interval its 10th and 90th percentiles. This is the empirical mean/median
residual life function of survival analysis (e.g. Klein & Moeschberger,
*Survival Analysis*, 2nd ed., 2003, sec. 2.4), conditioned on the current
state only: it knows how long the room has been in its state but not the
clock time. It is the "B1" reference baseline of the benchmark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
import math
from typing import Any

import numpy as np

from .episodes import Episode
from .occupancy import KNOWN_STATES, NEXT_STATE, RoomState
from .prediction import HORIZON_SECONDS, WITHIN_SECONDS, InsufficientHistory, Prediction
from .timeutil import from_timestamp, to_timestamp

MIN_EPISODES = 3
MIN_SURVIVORS = 2
MODEL_NAME = "residual_life"

_STATES = KNOWN_STATES
_NEXT = NEXT_STATE


class ResidualLifeModel:
    """Baseline B1: median of ``D - e`` over past durations ``D > e``."""

    def __init__(self) -> None:
        """Create an untrained model."""
        self._durations: dict[RoomState, np.ndarray] = {s: np.empty(0) for s in _STATES}

    @property
    def episode_counts(self) -> dict[RoomState, int]:
        """Completed episodes learnt per state."""
        return {s: int(d.size) for s, d in self._durations.items()}

    def fit(self, episodes: Sequence[Episode]) -> None:
        """Learn the durations of ``episodes`` that ended in a change."""
        durations: dict[RoomState, list[float]] = {s: [] for s in _STATES}
        for episode in episodes:
            if episode.ends_in_change and episode.duration is not None:
                durations[episode.state].append(episode.duration)
        self._durations = {s: np.sort(np.asarray(d, dtype=float)) for s, d in durations.items()}

    def learn(self, episode: Episode) -> None:
        """Add one finished episode (incremental learning)."""
        if episode.ends_in_change and episode.duration is not None:
            durations = self._durations[episode.state]
            index = int(np.searchsorted(durations, episode.duration))
            self._durations[episode.state] = np.insert(durations, index, episode.duration)

    def to_dict(self) -> dict[str, Any]:
        """The learnt durations (seconds, sorted) per state, JSON-ready."""
        return {state.value: durations.tolist() for state, durations in self._durations.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResidualLifeModel:
        """Rebuild a model saved with :meth:`to_dict`.

        Raises:
            ValueError: if ``data`` lacks a state or holds anything but finite,
                non-negative durations.
        """
        model = cls()
        try:
            for state in _STATES:
                durations = np.sort(np.asarray(data[state.value], dtype=float))
                if durations.ndim != 1 or not all(
                    math.isfinite(d) and d >= 0 for d in durations.tolist()
                ):
                    raise ValueError(f"bad durations for {state.value}")
                model._durations[state] = durations
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"malformed residual life model: {err!r}") from err
        return model

    def residuals(self, state: RoomState, elapsed: float) -> np.ndarray:
        """``D - elapsed`` for the learnt durations ``D > elapsed``, seconds."""
        durations = self._durations.get(state, np.empty(0))
        survivors = durations[np.searchsorted(durations, elapsed, side="right") :]
        return survivors - elapsed

    def predict(
        self, state: RoomState, since: datetime, now: datetime
    ) -> Prediction | InsufficientHistory:
        """Predict the next change of a room in ``state`` since ``since``.

        Returns:
            :class:`InsufficientHistory` for an unknown state, fewer than
            ``MIN_EPISODES`` completed episodes of ``state``, or fewer than
            ``MIN_SURVIVORS`` of them longer than the time already elapsed.

        Raises:
            ValueError: if ``since`` or ``now`` is naive.
        """
        moment = to_timestamp(now)
        elapsed = max(0.0, moment - to_timestamp(since))
        if state not in _STATES:
            return InsufficientHistory(episodes=0, needed=MIN_EPISODES)
        seen = self.episode_counts[state]
        residuals = np.minimum(self.residuals(state, elapsed), HORIZON_SECONDS)
        if seen < MIN_EPISODES or residuals.size < MIN_SURVIVORS:
            return InsufficientHistory(episodes=seen, needed=MIN_EPISODES)
        lower, median, upper = np.quantile(residuals, [0.1, 0.5, 0.9])
        base = from_timestamp(moment)
        return Prediction(
            transition_type=_NEXT[state],
            predicted_time=None
            if median >= HORIZON_SECONDS
            else base + timedelta(seconds=float(median)),
            interval_lower=base + timedelta(seconds=float(lower)),
            interval_upper=base + timedelta(seconds=float(upper)),
            confidence=float(np.mean(np.abs(residuals - median) <= WITHIN_SECONDS)),
            model=MODEL_NAME,
        )
