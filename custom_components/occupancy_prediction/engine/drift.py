"""Concept drift: a sequential test on the error stream and a two-sample test of durations.

* :class:`PageHinkley` is the Page-Hinkley test for an increase in the mean
  of a stream (Page, "Continuous inspection schemes", Biometrika 41, 1954;
  as used for concept drift in Gama et al., "A survey on concept drift
  adaptation", ACM Computing Surveys 46(4), 2014).
* :class:`ErrorDrift` feeds it one value per day: that day's mean absolute
  error relative to the reference error of the training period. Working on
  daily means makes one unusual day a single outlier, not hundreds of
  correlated 5-minute samples, so it does not raise drift on its own, while a
  new daily schedule (large errors day after day) does within a few days.
* :func:`ks_two_sample` is the two-sample Kolmogorov-Smirnov test with the
  asymptotic p-value and the small-sample correction of Stephens (1970), as
  in Press et al., *Numerical Recipes*, 3rd ed., sec. 14.3.3;
  :func:`duration_drift` applies it to recent episode durations of each state
  against the training ones.

Both produce :class:`DriftEvent` values with a score (larger = stronger
evidence) for the alerting and retraining logic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
import math

import numpy as np

from .episodes import Episode
from .occupancy import RoomState

DAY_SECONDS = 86400.0
PH_DELTA = 0.5
PH_THRESHOLD = 2.5
RATIO_CAP = 3.0
WARMUP_DAYS = 7
KS_ALPHA = 0.01
KS_MIN_SAMPLES = 5


class DriftKind(StrEnum):
    """Which test found drift."""

    ERROR = "error_drift"
    DURATION = "duration_drift"


@dataclass(frozen=True, slots=True)
class DriftEvent:
    """Drift found in one room.

    ``score``: for error drift the Page-Hinkley statistic over its threshold,
    for duration drift ``-log10`` of the KS p-value.
    """

    kind: DriftKind
    at: float
    score: float
    detail: str


class PageHinkley:
    """Page-Hinkley test for an increase of the mean.

    Args:
        delta: tolerated increase before evidence accumulates.
        threshold: alarm when the cumulative statistic exceeds it.
    """

    def __init__(self, delta: float = PH_DELTA, threshold: float = PH_THRESHOLD) -> None:
        """Start with no observation."""
        self.delta = delta
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        """Forget everything (after an alarm and a retraining)."""
        self.count = 0
        self.mean = 0.0
        self.cumulative = 0.0
        self.minimum = 0.0

    @property
    def statistic(self) -> float:
        """Cumulative deviation above its minimum so far."""
        return self.cumulative - self.minimum

    def update(self, value: float) -> bool:
        """Add one observation; True when the statistic exceeds the threshold."""
        self.count += 1
        self.mean += (value - self.mean) / self.count
        self.cumulative += value - self.mean - self.delta
        self.minimum = min(self.minimum, self.cumulative)
        return self.statistic > self.threshold


class ErrorDrift:
    """Page-Hinkley on daily mean absolute error relative to a reference.

    The reference is the median daily error of the first ``warmup_days``
    complete days (or set explicitly from the training period).
    """

    def __init__(
        self,
        reference: float | None = None,
        warmup_days: int = WARMUP_DAYS,
        test: PageHinkley | None = None,
    ) -> None:
        """Create the detector; without a reference it learns one first."""
        self.reference = reference
        self._warmup_days = warmup_days
        self._warmup: list[float] = []
        self._test = test or PageHinkley()
        self._day: int | None = None
        self._errors: list[float] = []

    def add(self, error: float, at: float) -> DriftEvent | None:
        """Add one scored error (any unit) at POSIX ``at``; an event when a day closes in drift."""
        day = int(at // DAY_SECONDS)
        event = None
        if self._day is not None and day != self._day and self._errors:
            event = self._close_day(at)
        self._day = day
        self._errors.append(error)
        return event

    def _close_day(self, at: float) -> DriftEvent | None:
        daily = float(np.mean(self._errors))
        self._errors = []
        if self.reference is None:
            self._warmup.append(daily)
            if len(self._warmup) >= self._warmup_days:
                self.reference = max(float(np.median(self._warmup)), 1e-9)
            return None
        if not self._test.update(min(daily / self.reference, RATIO_CAP)):
            return None
        score = self._test.statistic / self._test.threshold
        self._test.reset()
        return DriftEvent(
            DriftKind.ERROR,
            at,
            score,
            f"daily error {daily:.1f} vs reference {self.reference:.1f}",
        )


def ks_two_sample(first: Sequence[float], second: Sequence[float]) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic D and its asymptotic p-value."""
    a = np.sort(np.asarray(first, dtype=float))
    b = np.sort(np.asarray(second, dtype=float))
    if a.size == 0 or b.size == 0:
        return 0.0, 1.0
    points = np.concatenate((a, b))
    cdf_a = np.searchsorted(a, points, side="right") / a.size
    cdf_b = np.searchsorted(b, points, side="right") / b.size
    statistic = float(np.max(np.abs(cdf_a - cdf_b)))
    effective = math.sqrt(a.size * b.size / (a.size + b.size))
    return statistic, _kolmogorov_q((effective + 0.12 + 0.11 / effective) * statistic)


def _kolmogorov_q(value: float) -> float:
    """P(K > value) for the Kolmogorov distribution."""
    if value < 0.2:
        return 1.0
    total = sum(
        2.0 * (-1.0) ** (j - 1) * math.exp(-2.0 * j * j * value * value) for j in range(1, 101)
    )
    return min(max(total, 0.0), 1.0)


def _durations(episodes: Iterable[Episode], state: RoomState) -> list[float]:
    return [
        e.duration
        for e in episodes
        if e.state is state and e.ends_in_change and e.duration is not None
    ]


def duration_drift(
    training: Sequence[Episode],
    recent: Sequence[Episode],
    at: float,
    alpha: float = KS_ALPHA,
    min_samples: int = KS_MIN_SAMPLES,
) -> DriftEvent | None:
    """KS test of recent against training durations, occupied and vacant separately.

    Returns:
        An event for the state with the smallest p-value if that is below
        ``alpha`` (Bonferroni-corrected for the two states), else None. States
        with fewer than ``min_samples`` recent durations are not tested.
    """
    worst: tuple[float, RoomState, float] | None = None
    for state in (RoomState.OCCUPIED, RoomState.VACANT):
        old, new = _durations(training, state), _durations(recent, state)
        if len(new) < min_samples or len(old) < min_samples:
            continue
        statistic, p_value = ks_two_sample(old, new)
        if worst is None or p_value < worst[0]:
            worst = (p_value, state, statistic)
    if worst is None or worst[0] * 2 >= alpha:
        return None
    p_value, state, statistic = worst
    return DriftEvent(
        DriftKind.DURATION,
        at,
        -math.log10(max(p_value, 1e-300)),
        f"{state} durations changed: KS D={statistic:.2f}, p={p_value:.2g}",
    )
