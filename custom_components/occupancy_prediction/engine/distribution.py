"""Predictive distribution of a room's remaining time in its state.

Models that give a whole distribution (rather than a few quantiles) return it
on a regular grid: ``pmf[k]`` is the probability that the transition happens
in ``(k * step, (k + 1) * step]`` seconds from now, up to the 24 h horizon;
whatever is left (``1 - pmf.sum()``) is "not within 24 h". Inside a step the
time is taken as uniformly spread, so quantiles interpolate linearly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from .occupancy import RoomState
from .prediction import HORIZON_SECONDS, WITHIN_SECONDS, Prediction
from .timeutil import from_timestamp

FORECAST_MINUTES = (15, 30, 60, 120, 240)
"""Horizons of ``occupancy_forecast``."""


@dataclass(frozen=True, slots=True)
class RemainingTime:
    """Distribution of the remaining time on a grid of ``step`` seconds."""

    step: float
    pmf: np.ndarray
    cumulative: np.ndarray = field(init=False, repr=False, compare=False)
    """P(remaining <= k steps) for k = 0..len(pmf), computed once."""

    def __post_init__(self) -> None:
        """Accumulate the pmf once: every cdf and quantile reads it."""
        object.__setattr__(self, "cumulative", np.concatenate(([0.0], np.cumsum(self.pmf))))

    def cdf(self, seconds: float) -> float:
        """P(remaining <= ``seconds``)."""
        if seconds <= 0:
            return 0.0
        position = min(seconds / self.step, float(len(self.pmf)))
        index = int(position)
        if index >= len(self.pmf):
            return float(self.cumulative[-1])
        low, high = self.cumulative[index], self.cumulative[index + 1]
        return float(low + (high - low) * (position - index))

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile in seconds; None when it lies beyond the horizon."""
        cumulative = self.cumulative
        if cumulative[-1] < q:
            return None
        index = int(np.searchsorted(cumulative, q, side="left"))
        if index == 0:
            return 0.0
        low, high = cumulative[index - 1], cumulative[index]
        fraction = 0.0 if high <= low else (q - low) / (high - low)
        return float((index - 1 + fraction) * self.step)

    def within(self, center: float, half_width: float = WITHIN_SECONDS) -> float:
        """P(|remaining - center| <= half_width)."""
        return self.cdf(center + half_width) - self.cdf(center - half_width)


def prediction_from(
    distribution: RemainingTime,
    next_state: RoomState,
    now: float,
    model: str,
    forecast: Mapping[int, float] | None = None,
    *,
    levels: tuple[float, float] = (0.1, 0.9),
) -> Prediction:
    """A :class:`Prediction` from a remaining-time distribution.

    The median is ``predicted_time`` (None beyond the horizon), the quantiles
    at ``levels`` (10 % and 90 % unless given) the interval (the upper one
    capped at the horizon) and ``confidence`` the probability of a transition
    within +-15 minutes of the median (of the horizon when the median lies
    beyond it).
    """
    median = distribution.quantile(0.5)
    lower = distribution.quantile(levels[0])
    upper = distribution.quantile(levels[1])
    base = from_timestamp(now)
    center = HORIZON_SECONDS if median is None else median
    confidence = distribution.within(center)
    if median is None:
        confidence = 1.0 - distribution.cdf(HORIZON_SECONDS - WITHIN_SECONDS)
    return Prediction(
        transition_type=next_state,
        predicted_time=None if median is None else base + timedelta(seconds=median),
        interval_lower=_at(base, lower),
        interval_upper=_at(base, upper),
        confidence=float(min(max(confidence, 0.0), 1.0)),
        model=model,
        occupancy_forecast=dict(forecast or {}),
    )


def _at(base: datetime, seconds: float | None) -> datetime:
    return base + timedelta(seconds=HORIZON_SECONDS if seconds is None else seconds)
