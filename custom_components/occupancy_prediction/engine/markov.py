"""Hour-of-day x current-state Markov chain for occupancy probability.

The room's state is sampled on a regular grid (``step``, 15 minutes by
default); transitions between consecutive samples are counted per local hour
of day of the first sample, giving one 2 x 2 transition matrix per hour (an
inhomogeneous, periodic first-order Markov chain, the classic occupancy model
of Page, Robinson, Morel & Scartezzini, "A generalised stochastic model for
the simulation of occupant presence", Energy and Buildings 40(2), 2008).
Counts get a Laplace (add-one) prior. P(occupied at t+h) is the current state
propagated through the matrices of the hours passed. It is the "markov"
reference baseline of the benchmark: it knows the current state and the clock
but not how long the state has lasted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

import numpy as np

from .clock import local_hour
from .distribution import FORECAST_MINUTES
from .episodes import Episode
from .occupancy import RoomState
from .timeutil import to_timestamp

STEP_SECONDS = 900.0
MODEL_NAME = "markov"

_INDEX = {RoomState.VACANT: 0, RoomState.OCCUPIED: 1}


class HourlyMarkovModel:
    """Per-hour 2-state transition matrices; forecasts P(occupied) ahead.

    Args:
        time_zone: the home's zone (hours of day are local, DST-correct).
        step: the sampling step of the chain, seconds.
    """

    def __init__(self, time_zone: tzinfo, step: float = STEP_SECONDS) -> None:
        """Create an untrained model: every matrix is uniform."""
        self._tz = time_zone
        self._step = float(step)
        self.counts = np.zeros((24, 2, 2))

    @property
    def matrices(self) -> np.ndarray:
        """Transition matrices ``[hour, from, to]`` with the add-one prior."""
        smoothed = self.counts + 1.0
        matrices: np.ndarray = smoothed / smoothed.sum(axis=2, keepdims=True)
        return matrices

    def fit(self, episodes: Sequence[Episode]) -> None:
        """Count grid-to-grid transitions over the known (occupied/vacant) time."""
        self.counts = np.zeros((24, 2, 2))
        known = [e for e in episodes if e.state in _INDEX and e.end is not None]
        if not known:
            return
        start = min(e.start for e in known)
        end = max(e.end for e in known if e.end is not None)
        grid = np.arange(np.ceil(start / self._step) * self._step, end, self._step)
        states = self._states_at(known, grid)
        pairs = (states[:-1] >= 0) & (states[1:] >= 0)
        hours = local_hour(grid[:-1][pairs], self._tz)
        np.add.at(self.counts, (hours, states[:-1][pairs], states[1:][pairs]), 1.0)

    @staticmethod
    def _states_at(episodes: Iterable[Episode], grid: np.ndarray) -> np.ndarray:
        """State index at each grid instant, -1 where no known episode covers it."""
        states = np.full(grid.shape, -1, dtype=np.int64)
        for episode in episodes:
            if episode.end is None:
                continue
            low = int(np.searchsorted(grid, episode.start, side="left"))
            high = int(np.searchsorted(grid, episode.end, side="left"))
            states[low:high] = _INDEX[episode.state]
        return states

    def forecast(
        self, state: RoomState, now: datetime, minutes: Iterable[int] = FORECAST_MINUTES
    ) -> dict[int, float] | None:
        """P(occupied) at ``now`` plus each of ``minutes``; None for an unknown state.

        Horizons that are not a multiple of the step are rounded to the nearest
        number of steps.

        Raises:
            ValueError: if ``now`` is naive.
        """
        moment = to_timestamp(now)
        if state not in _INDEX:
            return None
        wanted = {m: round(m * 60 / self._step) for m in minutes}
        steps = max(wanted.values(), default=0)
        hours = local_hour(moment + self._step * np.arange(steps), self._tz)
        matrices = self.matrices
        probability = np.zeros(2)
        probability[_INDEX[state]] = 1.0
        occupied = [1.0]
        for hour in hours:
            probability = probability @ matrices[hour]
            occupied.append(float(probability[1]))
        return {m: occupied[k] for m, k in wanted.items()}
