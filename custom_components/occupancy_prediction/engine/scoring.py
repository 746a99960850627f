"""Live accuracy of a room's predictions: sampled, scored when the truth is known.

Every ``sample_every`` seconds (5 minutes) the room's current prediction is
kept. When the room next changes between occupied and vacant, every kept
prediction is scored against that moment: absolute error of the median
(a median beyond 24 h counts as 24 h, the truth is capped at 24 h), whether it
fell within +-15 minutes and whether it fell inside the 80 % interval. A kept
prediction that sees no change within 24 h is scored against the 24 h cap; one
whose room turns ``unknown`` first is dropped (censored). Each occupancy
forecast is scored (squared error, the Brier score of Brier, Monthly Weather
Review 78(1), 1950) once its horizon has passed. Summaries are rolling over the
last 24 h and 7 days of scoring time. Degradation events: rolling MAE above a
configured threshold, or 80 % interval coverage outside [0.70, 0.90], each
only with enough samples.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .occupancy import KNOWN_STATES, RoomState
from .prediction import HORIZON_SECONDS, WITHIN_SECONDS, Prediction
from .timeutil import to_timestamp

SAMPLE_SECONDS = 300.0
DAY_SECONDS = 86400.0
WEEK_SECONDS = 7 * DAY_SECONDS
COVERAGE_RANGE = (0.70, 0.90)
MIN_SAMPLES = 30

_KNOWN = KNOWN_STATES


@dataclass(frozen=True, slots=True)
class _Pending:
    made_at: float
    predicted: float  # seconds from made_at, capped at the horizon
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class Score:
    """One scored prediction; times in POSIX seconds, error in seconds."""

    scored_at: float
    error: float
    within15: bool
    inside_interval: bool


@dataclass(frozen=True, slots=True)
class AccuracySummary:
    """Rolling accuracy over one window (``None`` where there is no sample)."""

    samples: int
    mae_minutes: float | None
    within15: float | None
    coverage: float | None
    brier: dict[int, float] = field(default_factory=dict)


class DegradationKind(StrEnum):
    """Why accuracy is considered degraded."""

    MAE = "mae_above_threshold"
    COVERAGE = "coverage_out_of_range"


@dataclass(frozen=True, slots=True)
class DegradationEvent:
    """Accuracy degradation of one room.

    ``score`` is how far outside the acceptable range the figure is, relative
    to the limit (0.5 = 50 % beyond it).
    """

    kind: DegradationKind
    at: float
    value: float
    limit: float
    samples: int
    score: float


class AccuracyTracker:
    """Samples, scores and summarises one room's predictions.

    Args:
        sample_every: seconds between kept predictions.
    """

    def __init__(self, sample_every: float = SAMPLE_SECONDS) -> None:
        """Start with nothing kept or scored."""
        self._every = sample_every
        self._last_sample = float("-inf")
        self._pending: list[_Pending] = []
        self._forecasts: list[tuple[float, float]] = []  # (target time, probability)
        self._forecast_horizons: list[int] = []
        self._state: RoomState = RoomState.UNKNOWN
        self.scores: deque[Score] = deque()
        self.brier: deque[tuple[float, int, float]] = deque()  # (scored at, minutes, sq)

    def sample(self, prediction: Prediction, now: datetime) -> bool:
        """Keep ``prediction`` made at ``now`` if the last kept one is old enough.

        Returns:
            True when it was kept.

        Raises:
            ValueError: if ``now`` is naive.
        """
        moment = to_timestamp(now)
        self.advance(now)
        if moment - self._last_sample < self._every:
            return False
        self._last_sample = moment
        predicted = (
            HORIZON_SECONDS
            if prediction.predicted_time is None
            else min(to_timestamp(prediction.predicted_time) - moment, HORIZON_SECONDS)
        )
        self._pending.append(
            _Pending(
                moment,
                predicted,
                to_timestamp(prediction.interval_lower) - moment,
                to_timestamp(prediction.interval_upper) - moment,
            )
        )
        for minutes, probability in prediction.occupancy_forecast.items():
            self._forecasts.append((moment + 60.0 * minutes, probability))
            self._forecast_horizons.append(minutes)
        return True

    def state_changed(self, state: RoomState, at: datetime) -> None:
        """Tell the tracker the room entered ``state`` at ``at``; scores what it can."""
        moment = to_timestamp(at)
        self._resolve_forecasts(moment)
        if state is not self._state:
            if state in _KNOWN and self._state in _KNOWN:
                for pending in self._pending:
                    self._score(pending, moment - pending.made_at, moment)
            self._pending = []
        self._state = state

    def advance(self, now: datetime) -> None:
        """Let time pass: score forecasts that came due and 24 h-old predictions."""
        moment = to_timestamp(now)
        self._resolve_forecasts(moment)
        keep = []
        for pending in self._pending:
            if moment - pending.made_at >= HORIZON_SECONDS:
                self._score(pending, HORIZON_SECONDS, pending.made_at + HORIZON_SECONDS)
            else:
                keep.append(pending)
        self._pending = keep
        self._trim(moment)

    def _resolve_forecasts(self, moment: float) -> None:
        if self._state not in _KNOWN:
            due = [i for i, (t, _) in enumerate(self._forecasts) if t <= moment]
        else:
            truth = float(self._state is RoomState.OCCUPIED)
            due = []
            for index, (target, probability) in enumerate(self._forecasts):
                if target <= moment:
                    due.append(index)
                    minutes = self._forecast_horizons[index]
                    self.brier.append((target, minutes, (probability - truth) ** 2))
        if due:
            dropped = set(due)
            self._forecasts = [f for i, f in enumerate(self._forecasts) if i not in dropped]
            self._forecast_horizons = [
                m for i, m in enumerate(self._forecast_horizons) if i not in dropped
            ]

    def _score(self, pending: _Pending, actual: float, at: float) -> None:
        actual = min(actual, HORIZON_SECONDS)
        error = abs(pending.predicted - actual)
        self.scores.append(
            Score(at, error, error <= WITHIN_SECONDS, pending.lower <= actual <= pending.upper)
        )

    def _trim(self, moment: float) -> None:
        while self.scores and self.scores[0].scored_at < moment - WEEK_SECONDS:
            self.scores.popleft()
        while self.brier and self.brier[0][0] < moment - WEEK_SECONDS:
            self.brier.popleft()

    def scores_as_dict(self) -> dict[str, Any]:
        """The scored history (last 7 days), JSON-ready, for saving across restarts.

        Predictions still waiting for their outcome are not saved: after a
        restart nobody knows when the room changed meanwhile.
        """
        return {
            "scores": [[s.scored_at, s.error, s.within15, s.inside_interval] for s in self.scores],
            "brier": [list(entry) for entry in self.brier],
        }

    def restore_scores(self, data: Mapping[str, Any]) -> None:
        """Take back what :meth:`scores_as_dict` saved.

        Raises:
            ValueError: if ``data`` is malformed (nothing is changed then).
        """
        try:
            scores = [
                Score(float(at), float(error), bool(within), bool(inside))
                for at, error, within, inside in data["scores"]
            ]
            brier = [(float(at), int(minutes), float(sq)) for at, minutes, sq in data["brier"]]
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"malformed accuracy record: {err!r}") from err
        self.scores = deque(sorted(scores, key=lambda score: score.scored_at))
        self.brier = deque(sorted(brier))

    def summary(self, now: datetime, window: float = DAY_SECONDS) -> AccuracySummary:
        """Rolling figures over the last ``window`` seconds (24 h; 7 days at most)."""
        moment = to_timestamp(now)
        recent = [s for s in self.scores if s.scored_at > moment - window]
        squared: dict[int, list[float]] = {}
        for at, minutes, value in self.brier:
            if at > moment - window:
                squared.setdefault(minutes, []).append(value)
        brier = {m: sum(v) / len(v) for m, v in sorted(squared.items())}
        if not recent:
            return AccuracySummary(0, None, None, None, brier)
        count = len(recent)
        return AccuracySummary(
            samples=count,
            mae_minutes=sum(s.error for s in recent) / count / 60.0,
            within15=sum(s.within15 for s in recent) / count,
            coverage=sum(s.inside_interval for s in recent) / count,
            brier=brier,
        )

    def degradation(
        self,
        now: datetime,
        mae_threshold_minutes: float,
        min_samples: int = MIN_SAMPLES,
        coverage_range: tuple[float, float] = COVERAGE_RANGE,
    ) -> list[DegradationEvent]:
        """Degradation events now: 24 h MAE above the threshold, 7 d coverage out of range.

        Args:
            now: the moment (aware).
            mae_threshold_minutes: the 24 h MAE above which accuracy degraded.
            min_samples: scored predictions a window needs before it counts.
            coverage_range: (low, high) shares of truths inside the 80 %
                interval outside which the intervals are miscalibrated.
        """
        moment = to_timestamp(now)
        events = []
        day = self.summary(now, DAY_SECONDS)
        if (
            day.mae_minutes is not None
            and day.samples >= min_samples
            and day.mae_minutes > mae_threshold_minutes
        ):
            events.append(
                DegradationEvent(
                    DegradationKind.MAE,
                    moment,
                    day.mae_minutes,
                    mae_threshold_minutes,
                    day.samples,
                    day.mae_minutes / mae_threshold_minutes - 1.0,
                )
            )
        week = self.summary(now, WEEK_SECONDS)
        if week.coverage is not None and week.samples >= min_samples:
            low, high = coverage_range
            limit = low if week.coverage < low else high
            if not low <= week.coverage <= high:
                events.append(
                    DegradationEvent(
                        DegradationKind.COVERAGE,
                        moment,
                        week.coverage,
                        limit,
                        week.samples,
                        abs(week.coverage - limit) / limit,
                    )
                )
        return events
