"""Duration-aware hazard model: discrete-time survival by elapsed and clock time.

Time in a state is cut into steps of ``STEP_SECONDS`` (5 minutes). For a room
that has been in state ``s`` for ``e`` and whose step starts at local clock
time ``c``, the hazard is the probability that the state ends within that
step. It is modelled as a penalised logistic regression on the discrete-time
person-period table (the discrete-time survival model of Singer & Willett,
"It's about time", J. Educational Statistics 18(2), 1993; Tutz & Schmid,
*Modeling Discrete Time-to-Event Data*, Springer 2016)::

    logit h_s(e, c) = a_s + elapsed_s[bin(e)] + hour_s[hour(c)]
                      + weekend_s[hour(c)] * weekend(c)
                      + elapsed_x_block_s[bin(e), hour(c) // 4]

Elapsed time is binned on a roughly logarithmic scale; hours of day are
local (DST-correct). Neighbouring elapsed bins and neighbouring hours (on the
24 h circle) are tied by first-difference penalties, as in P-splines (Eilers
& Marx, Statistical Science 11(2), 1996); the weekend and interaction terms
are ridge-penalised, so sparse cells shrink to the additive model. Episodes
that ended in ``unknown`` or are still open enter as censored. The model is
fitted by Newton-Raphson on the aggregated cells (at most 18 x 24 x 2 per
state), so a refit costs milliseconds whatever the history length.

Forward integration of the hazard from the current (elapsed, clock) point
gives the whole remaining-time distribution over 24 h (median, 10/90 %
interval, P(within +-15 min of the median)); running the same recursion over
both states, each new episode starting at elapsed 0 (an alternating
semi-Markov process), gives P(occupied) at each forecast horizon.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from functools import cache
from typing import Any

import numpy as np

from .clock import local_hour_and_weekend
from .distribution import FORECAST_MINUTES, RemainingTime, prediction_from
from .episodes import Episode
from .occupancy import KNOWN_STATES, NEXT_STATE, RoomState
from .packing import FLOAT64, pack, unpack
from .prediction import HORIZON_SECONDS, InsufficientHistory, Prediction
from .timeutil import to_timestamp

STEP_SECONDS = 300.0
MIN_EPISODES = 3
MODEL_NAME = "hazard"
STORAGE_VERSION = 2
READABLE_VERSIONS = (1, 2)
"""Version 1 held the arrays as JSON lists, version 2 packed (:mod:`.packing`)."""
ELAPSED_EDGES_MINUTES = (
    0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 600, 720, 960, 1440,
)  # fmt: skip
"""Left edges of the elapsed-time bins; the last bin is open-ended."""

SMOOTH_ELAPSED = 2.0
SMOOTH_HOUR = 5.0
RIDGE_WEEKEND = 5.0
RIDGE_INTERACTION = 3.0
RIDGE_MAIN = 0.01
NEWTON_ITERATIONS = 30

_STATES = KNOWN_STATES
_NEXT = NEXT_STATE
_EDGES = np.asarray(ELAPSED_EDGES_MINUTES, dtype=float) * 60.0
_N_ELAPSED = len(ELAPSED_EDGES_MINUTES)
_SHAPE = (_N_ELAPSED, 24, 2)
_N_BLOCK = 6
_HORIZON_STEPS = int(HORIZON_SECONDS / STEP_SECONDS)


def elapsed_bin(seconds: np.ndarray) -> np.ndarray:
    """Index of the elapsed-time bin of each duration (seconds)."""
    return np.searchsorted(_EDGES, np.asarray(seconds, dtype=float), side="right") - 1


@cache
def _renewal_grid(steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For episodes born at the end of step ``j``, by step ``m`` (both ``< steps``).

    Returns their elapsed bin in step ``m``, 1.0 where they are running in
    step ``m`` (``m > j``) and 1.0 where they have begun by the end of step
    ``m`` (``m >= j``), each ``steps x steps``, read-only.
    """
    step = np.arange(steps)
    age = step[None, :] - step[:, None] - 1
    grids = (
        elapsed_bin(np.maximum(age, 0) * STEP_SECONDS),
        (age >= 0).astype(float),
        (age >= -1).astype(float),
    )
    for grid in grids:
        grid.flags.writeable = False
    return grids


def _design_size() -> int:
    return 1 + _N_ELAPSED + 24 + 24 + _N_ELAPSED * _N_BLOCK


def _columns(ebin: np.ndarray, hour: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    """Column indices of the active indicators (rows x 5) of each cell."""
    base_hour = 1 + _N_ELAPSED
    base_weekend = base_hour + 24
    base_cross = base_weekend + 24
    weekend_column = np.where(weekend == 1, base_weekend + hour, -1)
    return np.stack(
        [
            np.zeros_like(ebin),
            1 + ebin,
            base_hour + hour,
            weekend_column,
            base_cross + ebin * _N_BLOCK + hour // 4,
        ],
        axis=1,
    )


def _penalty() -> np.ndarray:
    size = _design_size()
    penalty = np.eye(size) * RIDGE_MAIN
    penalty[0, 0] = 0.0
    diff_e = np.zeros((_N_ELAPSED - 1, size))
    for i in range(_N_ELAPSED - 1):
        diff_e[i, 1 + i], diff_e[i, 2 + i] = -1.0, 1.0
    diff_h = np.zeros((24, size))
    base_hour = 1 + _N_ELAPSED
    for h in range(24):
        diff_h[h, base_hour + h], diff_h[h, base_hour + (h + 1) % 24] = -1.0, 1.0
    penalty += SMOOTH_ELAPSED * diff_e.T @ diff_e + SMOOTH_HOUR * diff_h.T @ diff_h
    base_weekend = base_hour + 24
    penalty[base_weekend : base_weekend + 24, base_weekend : base_weekend + 24] += (
        np.eye(24) * RIDGE_WEEKEND
    )
    base_cross = base_weekend + 24
    penalty[base_cross:, base_cross:] += np.eye(size - base_cross) * RIDGE_INTERACTION
    return penalty


_PENALTY = _penalty()


class _StateHazard:
    """The fitted hazard table of one state: ``[elapsed bin, hour, weekend]``."""

    def __init__(self, table: np.ndarray, episodes: int) -> None:
        self.table = table
        self.episodes = episodes


def fit_hazard_table(
    events: np.ndarray, exposure: np.ndarray, iterations: int = NEWTON_ITERATIONS
) -> np.ndarray:
    """Fit the penalised logistic hazard to cell counts ``[elapsed bin, hour, weekend]``.

    Args:
        events: how many episodes ended in each cell's step.
        exposure: how many episode-steps were at risk in each cell.
        iterations: at most this many Newton steps.

    Returns:
        The fitted hazard of every cell, same shape.
    """
    grid = np.indices(events.shape).reshape(3, -1)
    columns = _columns(grid[0], grid[1], grid[2])
    y = events.reshape(-1).astype(float)
    n = exposure.reshape(-1).astype(float)
    size = _design_size()
    design = np.zeros((columns.shape[0], size))
    rows = np.repeat(np.arange(columns.shape[0]), columns.shape[1])
    flat = columns.reshape(-1)
    keep = flat >= 0
    design[rows[keep], flat[keep]] = 1.0
    used = n > 0
    x, y, n = design[used], y[used], n[used]
    beta = np.zeros(size)
    total = n.sum()
    rate = (y.sum() + 0.5) / (total + 1.0)
    beta[0] = np.log(rate / (1 - rate))
    objective = _penalised_loss(x, y, n, beta)
    for _ in range(iterations):
        p = _logistic(x @ beta)
        gradient = x.T @ (y - n * p) - _PENALTY @ beta
        hessian = (x.T * (n * p * (1 - p))) @ x + _PENALTY + np.eye(size) * 1e-9
        delta = np.linalg.solve(hessian, gradient)
        # Damped Newton: halve the step until the penalised loss does not grow.
        scale = 1.0
        candidate = _penalised_loss(x, y, n, beta + delta)
        while candidate > objective and scale > 1e-4:
            scale /= 2
            candidate = _penalised_loss(x, y, n, beta + scale * delta)
        beta += scale * delta
        converged = objective - candidate < 1e-9 * (1.0 + abs(objective))
        objective = candidate
        if converged:
            break
    eta = design @ beta
    return _logistic(eta).reshape(events.shape)


type HazardCounts = dict[RoomState, tuple[np.ndarray, np.ndarray, int]]
"""Per state: events and exposure per cell ``[elapsed bin, hour, weekend]``, completed episodes."""


def fit_tables(
    counts: Mapping[RoomState, tuple[np.ndarray, np.ndarray, int]],
) -> dict[RoomState, tuple[np.ndarray, int]]:
    """Fit the hazard table of every state with at least ``MIN_EPISODES`` completed episodes.

    Pure (it only reads ``counts``), so it can run in a worker thread on a
    :meth:`HazardModel.counts_snapshot` while the model keeps learning.

    Returns:
        State -> (fitted table, completed episodes it was fitted on).
    """
    fitted: dict[RoomState, tuple[np.ndarray, int]] = {}
    for state in _STATES:
        if state not in counts:
            continue
        events, exposure, completed = counts[state]
        if completed >= MIN_EPISODES:
            fitted[state] = (fit_hazard_table(events, exposure), completed)
    return fitted


def _logistic(eta: np.ndarray) -> np.ndarray:
    value: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(eta, -30.0, 30.0)))
    return value


def _penalised_loss(x: np.ndarray, y: np.ndarray, n: np.ndarray, beta: np.ndarray) -> float:
    """Binomial negative log-likelihood of the cells plus the penalty."""
    eta = np.clip(x @ beta, -30.0, 30.0)
    loglik = y * eta - n * np.logaddexp(0.0, eta)
    return float(-loglik.sum() + 0.5 * beta @ _PENALTY @ beta)


class HazardModel:
    """Discrete-time survival model by elapsed time and local clock time.

    Args:
        time_zone: the home's zone; hours and weekends are read in it.
    """

    def __init__(self, time_zone: tzinfo) -> None:
        """Create an untrained model."""
        self._tz = time_zone
        self._hazards: dict[RoomState, _StateHazard] = {}
        self._counts: dict[RoomState, tuple[np.ndarray, np.ndarray, int]] = {}
        # The last forecast, as the entities and the ensemble ask for the same one.
        self._memo: tuple[tuple[object, ...], dict[int, float] | None] | None = None
        self._clock_memo: tuple[float, np.ndarray, np.ndarray] | None = None
        self.episode_counts: dict[RoomState, int] = dict.fromkeys(_STATES, 0)

    def person_periods(
        self, episodes: Iterable[Episode], state: RoomState
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Events and exposure per cell ``[elapsed bin, hour, weekend]`` for ``state``.

        Each episode of ``state`` contributes one at-risk step per 5 minutes it
        lasted; its last step carries the event when it ended in a change, none
        when it was censored (ended in ``unknown`` or still open).
        """
        events = np.zeros((_N_ELAPSED, 24, 2))
        exposure = np.zeros((_N_ELAPSED, 24, 2))
        starts: list[np.ndarray] = []
        offsets: list[np.ndarray] = []
        ended: list[np.ndarray] = []
        completed = 0
        for episode in episodes:
            if episode.state is not state or episode.end is None:
                continue
            steps = max(1, int(np.ceil((episode.end - episode.start) / STEP_SECONDS)))
            offset = np.arange(steps) * STEP_SECONDS
            starts.append(episode.start + offset)
            offsets.append(offset)
            flag = np.zeros(steps)
            if episode.ends_in_change:
                flag[-1] = 1.0
                completed += 1
            ended.append(flag)
        if starts:
            times = np.concatenate(starts)
            ebin = elapsed_bin(np.concatenate(offsets))
            hour, weekend = local_hour_and_weekend(times, self._tz)
            np.add.at(exposure, (ebin, hour, weekend), 1.0)
            np.add.at(events, (ebin, hour, weekend), np.concatenate(ended))
        return events, exposure, completed

    def fit(self, episodes: Sequence[Episode]) -> None:
        """Refit both states' hazards from ``episodes`` (censored ones included)."""
        self._counts = {state: self.person_periods(episodes, state) for state in _STATES}
        self.refit()

    def learn(self, episode: Episode) -> None:
        """Add one finished episode's person-periods to the counts (cheap, no refit).

        The hazards change at the next :meth:`refit` (or :meth:`fit`), which
        the caller schedules in an executor.
        """
        if episode.state not in _STATES or episode.end is None:
            return
        events, exposure, completed = self.person_periods([episode], episode.state)
        old_events, old_exposure, old_completed = self._counts.get(
            episode.state, (np.zeros_like(events), np.zeros_like(exposure), 0)
        )
        self._counts[episode.state] = (
            old_events + events,
            old_exposure + exposure,
            old_completed + completed,
        )

    def refit(self) -> None:
        """Fit the hazard tables to the counts gathered by :meth:`fit` and :meth:`learn`."""
        self.use_tables(fit_tables(self.counts_snapshot()))

    def counts_snapshot(self) -> HazardCounts:
        """The counts gathered so far, for :func:`fit_tables` in another thread.

        :meth:`learn` and :meth:`fit` replace the arrays rather than change
        them in place, so the snapshot stays valid while the model learns on.
        """
        return dict(self._counts)

    def use_tables(self, fitted: Mapping[RoomState, tuple[np.ndarray, int]]) -> None:
        """Predict from tables fitted by :func:`fit_tables` (replaces all at once).

        The counts are kept as they are: episodes learned since the snapshot
        was taken enter the tables at the next refit.
        """
        self._hazards = {
            state: _StateHazard(table, completed) for state, (table, completed) in fitted.items()
        }
        self._memo = None
        for state in _STATES:
            if state in fitted:
                self.episode_counts[state] = fitted[state][1]
            else:
                self.episode_counts[state] = self._counts[state][2] if state in self._counts else 0

    def to_dict(self) -> dict[str, Any]:
        """The learnt counts and hazard tables as JSON-ready data (for the room's store).

        Each array is packed (:func:`.packing.pack`, 64-bit floats).
        """
        return {
            "version": STORAGE_VERSION,
            "counts": {
                str(state): {
                    "events": pack(events, FLOAT64),
                    "exposure": pack(exposure, FLOAT64),
                    "completed": completed,
                }
                for state, (events, exposure, completed) in self._counts.items()
            },
            "tables": {str(s): pack(h.table, FLOAT64) for s, h in self._hazards.items()},
        }

    @classmethod
    def from_dict(cls, time_zone: tzinfo, data: Mapping[str, Any]) -> HazardModel:
        """Restore a model saved by :meth:`to_dict` without refitting.

        Raises:
            ValueError: for data of another version or shape.
        """
        if data.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"unsupported hazard model data version {data.get('version')}")
        model = cls(time_zone)
        for name, counts in data["counts"].items():
            state = RoomState(name)
            events = unpack(counts["events"], FLOAT64, _SHAPE)
            exposure = unpack(counts["exposure"], FLOAT64, _SHAPE)
            model._counts[state] = (events, exposure, int(counts["completed"]))
            model.episode_counts[state] = int(counts["completed"])
        tables = {RoomState(n): unpack(t, FLOAT64, _SHAPE) for n, t in data["tables"].items()}
        for state, table in tables.items():
            model.set_tables({state: table}, model.episode_counts.get(state, MIN_EPISODES))
        return model

    def set_tables(self, tables: dict[RoomState, np.ndarray], episodes: int = MIN_EPISODES) -> None:
        """Use given hazard tables ``[elapsed bin, hour, weekend]`` (restored or made up).

        Each table has the shape of :meth:`fit_hazard_table`'s result; the
        states given are taken as learnt from ``episodes`` episodes.
        """
        for state, table in tables.items():
            if table.shape != (_N_ELAPSED, 24, 2):
                raise ValueError(f"hazard table must have shape {(_N_ELAPSED, 24, 2)}")
            self._hazards[state] = _StateHazard(np.asarray(table, dtype=float), episodes)
            self._memo = None
            self.episode_counts[state] = episodes

    def _hazard_path(
        self, state: RoomState, elapsed: np.ndarray, hour: np.ndarray, weekend: np.ndarray
    ) -> np.ndarray:
        table = self._hazards[state].table
        path: np.ndarray = table[elapsed_bin(elapsed), hour, weekend]
        return path

    def _clock(self, now: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Local hour and weekend flag of each of ``steps`` steps from ``now`` (UTC seconds).

        The 24 h of steps from the last ``now`` asked are kept, so the
        remaining-time distribution and the occupancy forecast of one
        prediction look the clock up once.
        """
        if self._clock_memo is None or self._clock_memo[0] != now or steps > _HORIZON_STEPS:
            times = now + np.arange(max(steps, _HORIZON_STEPS)) * STEP_SECONDS
            hours, weekend = local_hour_and_weekend(times, self._tz)
            hours.flags.writeable = weekend.flags.writeable = False  # handed out as views
            self._clock_memo = (now, hours, weekend)
        return self._clock_memo[1][:steps], self._clock_memo[2][:steps]

    def remaining(self, state: RoomState, elapsed: float, now: float) -> RemainingTime | None:
        """The remaining-time distribution over 24 h; None without a fitted hazard."""
        if state not in self._hazards:
            return None
        hours, weekend = self._clock(now, _HORIZON_STEPS)
        hazard = self._hazard_path(
            state, elapsed + np.arange(_HORIZON_STEPS) * STEP_SECONDS, hours, weekend
        )
        survival = np.concatenate(([1.0], np.cumprod(1.0 - hazard)))
        return RemainingTime(STEP_SECONDS, survival[:-1] * hazard)

    def occupancy_forecast(
        self,
        state: RoomState,
        elapsed: float,
        now: float,
        minutes: Iterable[int] = FORECAST_MINUTES,
    ) -> dict[int, float] | None:
        """P(occupied) at each horizon, by forward recursion of both states' hazards.

        None unless both states have a fitted hazard.
        """
        key = (state, elapsed, now, tuple(minutes))
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1]
        forecast = self._forecast(state, elapsed, now, key[3])
        self._memo = (key, forecast)
        return forecast

    def _forecast(
        self, state: RoomState, elapsed: float, now: float, minutes: tuple[int, ...]
    ) -> dict[int, float] | None:
        """P(occupied) after each of ``minutes`` (from ``now``, UTC seconds).

        The current episode ends in step ``k`` with probability ``f[k]``; a
        later episode of state ``s`` born at the end of step ``j`` ends in
        step ``m > j`` with ``E_s[j, m]``, its hazard at age ``m - j - 1`` and
        the clock time of step ``m``. The births ``b_s`` into each state solve
        the renewal equations ``b_occ = f_occ + E_vac' b_vac`` and
        ``b_vac = f_vac + E_occ' b_occ`` (``f_s`` the first episode's ending
        mass into ``s``), a unit lower-triangular system after substitution.
        P(occupied after step k) is the first episode's survival (if it is
        occupied) plus the births into occupied still running after step k.
        """
        if any(s not in self._hazards for s in _STATES):
            return None
        wanted = {m: round(m * 60 / STEP_SECONDS) for m in minutes}
        steps = max(wanted.values(), default=0)
        hours, weekend = self._clock(now, steps)
        current = self._hazard_path(
            state, elapsed + np.arange(steps) * STEP_SECONDS, hours, weekend
        )
        survive = np.concatenate(([1.0], np.cumprod(1.0 - current)))
        ended_first = survive[:-1] * current
        bins, later, started = _renewal_grid(steps)
        cells = (bins, hours[None, :], weekend[None, :])
        ends = {}
        running = {}  # [j, m]: the episode born at the end of step j is still on after step m
        for s in _STATES:
            hazard = self._hazards[s].table[cells] * later
            running[s] = np.cumprod(1.0 - hazard, axis=1)
            before = np.concatenate((np.ones((steps, 1)), running[s][:, :-1]), axis=1)
            ends[s] = before * hazard
        zero = np.zeros(steps)
        first_occupied = state is RoomState.OCCUPIED
        into_vacant, into_occupied = (ended_first, zero) if first_occupied else (zero, ended_first)
        to_occupied = ends[RoomState.VACANT].T
        system = np.eye(steps) - to_occupied @ ends[RoomState.OCCUPIED].T
        born_occupied = np.linalg.solve(system, into_occupied + to_occupied @ into_vacant)
        occupied = np.concatenate(([0.0], born_occupied @ (running[RoomState.OCCUPIED] * started)))
        if first_occupied:
            occupied += survive
        return {m: float(min(max(occupied[k], 0.0), 1.0)) for m, k in wanted.items()}

    def predict(
        self, state: RoomState, since: datetime, now: datetime
    ) -> Prediction | InsufficientHistory:
        """Predict the next change of a room in ``state`` since ``since``, at ``now``.

        Returns:
            A :class:`Prediction` with the occupancy forecast, or
            :class:`InsufficientHistory` when fewer than ``MIN_EPISODES``
            completed episodes of ``state`` were seen (or ``state`` is unknown).

        Raises:
            ValueError: if ``since`` or ``now`` is naive.
        """
        moment = to_timestamp(now)
        elapsed = max(0.0, moment - to_timestamp(since))
        distribution = self.remaining(state, elapsed, moment)
        if distribution is None:
            return InsufficientHistory(
                episodes=self.episode_counts.get(state, 0), needed=MIN_EPISODES
            )
        forecast = self.occupancy_forecast(state, elapsed, moment)
        return prediction_from(distribution, _NEXT[state], moment, MODEL_NAME, forecast)
