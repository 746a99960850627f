"""Ensemble: a mixture of the models' remaining-time distributions, weighted online.

Members: the duration-aware hazard model (:mod:`.hazard`), baseline B2
(:mod:`.hourly_median`) and baseline B1 (:mod:`.residual_life`). Each gives a
distribution of the remaining time on the hazard model's 5-minute grid over
24 h (B1 and B2 as histograms of their samples). Every member is mixed with a
small uniform floor (``FLOOR`` of the mass spread evenly over 24 h and beyond)
so that no outcome has probability zero. The ensemble distribution is
``sum_i w_i p_i``; its median, 10/90 % interval and confidence are read off
it as for any distribution.

The weights are those of dynamic model averaging (Raftery, Karny & Ettler,
"Online prediction under model uncertainty via dynamic model averaging",
Technometrics 52(1), 2010): ``w_i`` is proportional to ``exp(L_i)`` where
``L_i`` is the member's exponentially forgotten sum of log scores (the log of
the probability it gave to the step in which the transition really
happened; Good, "Rational decisions", JRSS B 14, 1952). A scored prediction
updates them via :meth:`EnsembleModel.observe`: cheap, so it runs on the event
loop. The occupancy forecast is the hazard model's (the only member that
gives one).

The whole ensemble (members and weights) is saved with :meth:`EnsembleModel.to_dict`
and restored with :meth:`EnsembleModel.from_dict` without refitting, so a restored
ensemble predicts exactly what the saved one did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
import math
from typing import Any

import numpy as np

from .distribution import RemainingTime, prediction_from
from .episodes import Episode
from .hazard import STEP_SECONDS, HazardModel
from .hourly_median import HourlyMedianModel
from .occupancy import NEXT_STATE, RoomState
from .prediction import HORIZON_SECONDS, Contribution, InsufficientHistory, Prediction
from .residual_life import ResidualLifeModel
from .timeutil import from_timestamp, to_timestamp

MODEL_NAME = "ensemble"
STORAGE_VERSION = 1
MEMBERS = ("hazard", "hourly_median", "residual_life")
"""The members' names, as in ``scores``, ``weights`` and the contributions."""
FORGETTING = 0.99
FLOOR = 0.01
MIN_EPISODES = 3

_NEXT = NEXT_STATE
_STEPS = int(HORIZON_SECONDS / STEP_SECONDS)


@dataclass(frozen=True, slots=True)
class MemberForecast:
    """The members' distributions behind one ensemble prediction (for scoring)."""

    distributions: Mapping[str, RemainingTime]


def distribution_from_samples(samples: np.ndarray) -> RemainingTime:
    """Histogram of remaining-time samples (seconds) on the 5-minute grid.

    Samples at or beyond 24 h are the mass "not within 24 h".
    """
    values = np.asarray(samples, dtype=float)
    inside = values[values < HORIZON_SECONDS]
    pmf = np.zeros(_STEPS)
    if values.size:
        steps = np.minimum((inside // STEP_SECONDS).astype(np.int64), _STEPS - 1)
        np.add.at(pmf, steps, 1.0 / values.size)
    return RemainingTime(STEP_SECONDS, pmf)


def _floored(distribution: RemainingTime) -> np.ndarray:
    """Mix the member with FLOOR of uniform mass (over the steps and "beyond")."""
    return (1 - FLOOR) * distribution.pmf + FLOOR / (_STEPS + 1)


def crps(distribution: RemainingTime, actual: float) -> float:
    """Continuous ranked probability score in seconds (Matheson & Winkler, 1976).

    ``integral (F(x) - 1{x >= actual})^2 dx`` over 0..24 h on the grid, with
    ``actual`` capped at 24 h; it reduces to the absolute error for a point
    forecast, so it rewards what MAE rewards, plus calibration and sharpness.
    """
    cumulative = np.cumsum(distribution.pmf)
    edges = (np.arange(cumulative.size) + 1) * distribution.step
    after = (edges >= min(actual, HORIZON_SECONDS)).astype(float)
    return float(np.sum((cumulative - after) ** 2) * distribution.step)


def log_score(distribution: RemainingTime, actual: float) -> float:
    """Log of the floored probability of the step holding ``actual`` seconds."""
    pmf = _floored(distribution)
    if actual >= HORIZON_SECONDS:
        return math.log(max(1.0 - float(pmf.sum()), FLOOR / (_STEPS + 1)))
    step = min(int(max(actual, 0.0) // STEP_SECONDS), _STEPS - 1)
    return math.log(float(pmf[step]))


class EnsembleModel:
    """Hazard, B2 and B1 mixed with online log-score weights.

    Args:
        time_zone: the home's zone.
        forgetting: the weights' forgetting factor per scored prediction.
    """

    def __init__(
        self,
        time_zone: tzinfo,
        forgetting: float = FORGETTING,
        crps_scale: float | None = None,
    ) -> None:
        """Create an untrained ensemble with equal weights.

        With ``crps_scale`` (seconds) the members are scored by ``-CRPS /
        crps_scale`` instead of the log score.
        """
        self._tz = time_zone
        self._forgetting = forgetting
        self._crps_scale = crps_scale
        self.hazard = HazardModel(time_zone)
        self.hourly = HourlyMedianModel(time_zone)
        self.residual = ResidualLifeModel()
        self.scores: dict[str, float] = dict.fromkeys(MEMBERS, 0.0)

    def fit(self, episodes: Sequence[Episode]) -> None:
        """Refit every member (the weights are kept)."""
        self.hazard.fit(episodes)
        self.hourly.fit(episodes)
        self.residual.fit(episodes)

    def learn(self, episode: Episode) -> None:
        """Add one finished episode to every member (incremental, well under 1 ms).

        B1 and B2 predict from it at once; the hazard model only adds it to
        its counts: its tables change at the next :meth:`HazardModel.refit`
        (or :func:`.hazard.fit_tables` + :meth:`HazardModel.use_tables`),
        which the caller runs in an executor.
        """
        self.hazard.learn(episode)
        self.hourly.learn(episode)
        self.residual.learn(episode)

    @property
    def episode_counts(self) -> dict[RoomState, int]:
        """Completed episodes learned per state (including those not yet in the hazard tables)."""
        return self.residual.episode_counts

    def to_dict(self) -> dict[str, Any]:
        """Members and weights, JSON-ready (for the room's store)."""
        return {
            "version": STORAGE_VERSION,
            "forgetting": self._forgetting,
            "crps_scale": self._crps_scale,
            "scores": dict(self.scores),
            "hazard": self.hazard.to_dict(),
            "hourly_median": self.hourly.as_dict(),
            "residual_life": self.residual.to_dict(),
        }

    @classmethod
    def from_dict(cls, time_zone: tzinfo, data: Mapping[str, Any]) -> EnsembleModel:
        """Restore an ensemble saved by :meth:`to_dict`, without refitting.

        Raises:
            ValueError: for data of another version, another set of members,
                non-finite scores or malformed member data.
        """
        try:
            if data["version"] != STORAGE_VERSION:
                raise ValueError(f"unsupported ensemble data version {data['version']!r}")
            scores = {str(name): float(value) for name, value in data["scores"].items()}
            if set(scores) != set(MEMBERS) or not all(map(math.isfinite, scores.values())):
                raise ValueError(f"ensemble scores do not match the members: {scores!r}")
            crps_scale = data["crps_scale"]
            model = cls(
                time_zone,
                forgetting=float(data["forgetting"]),
                crps_scale=None if crps_scale is None else float(crps_scale),
            )
            model.hazard = HazardModel.from_dict(time_zone, data["hazard"])
            model.hourly = HourlyMedianModel.from_dict(time_zone, data["hourly_median"])
            model.residual = ResidualLifeModel.from_dict(data["residual_life"])
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"malformed ensemble model: {err!r}") from err
        model.scores = {name: scores[name] for name in MEMBERS}
        return model

    @property
    def weights(self) -> dict[str, float]:
        """Current weights of all members (summing to 1)."""
        return self._normalised(list(self.scores))

    def _normalised(self, names: Sequence[str]) -> dict[str, float]:
        top = max(self.scores[n] for n in names)
        raw = {n: math.exp(self.scores[n] - top) for n in names}
        total = sum(raw.values())
        return {n: v / total for n, v in raw.items()}

    def members(self, state: RoomState, elapsed: float, now: float) -> dict[str, RemainingTime]:
        """Each member's distribution; members with too little history are left out."""
        found: dict[str, RemainingTime] = {}
        hazard = self.hazard.remaining(state, elapsed, now)
        if hazard is not None:
            found["hazard"] = hazard
        if state in _NEXT and self.hourly.episode_counts.get(state, 0) >= MIN_EPISODES:
            hour = datetime.fromtimestamp(now, self._tz).hour
            samples = self.hourly.remaining_samples(state, hour)
            if samples.size:
                found["hourly_median"] = distribution_from_samples(samples)
        if self.residual.episode_counts.get(state, 0) >= MIN_EPISODES:
            residuals = self.residual.residuals(state, elapsed)
            if residuals.size:
                found["residual_life"] = distribution_from_samples(residuals)
        return found

    def predict(
        self, state: RoomState, since: datetime, now: datetime
    ) -> Prediction | InsufficientHistory:
        """The mixture's prediction, with each member's median and weight.

        Raises:
            ValueError: if ``since`` or ``now`` is naive.
        """
        prediction, _ = self.predict_with_members(state, since, now)
        return prediction

    def predict_with_members(
        self, state: RoomState, since: datetime, now: datetime
    ) -> tuple[Prediction | InsufficientHistory, MemberForecast]:
        """Like :meth:`predict`, also returning the members' distributions for :meth:`observe`."""
        moment = to_timestamp(now)
        elapsed = max(0.0, moment - to_timestamp(since))
        found = self.members(state, elapsed, moment) if state in _NEXT else {}
        if not found:
            seen = self.hazard.episode_counts.get(state, 0)
            return InsufficientHistory(episodes=seen, needed=MIN_EPISODES), MemberForecast({})
        weights = self._normalised(list(found))
        pmf = sum(weights[n] * _floored(d) for n, d in found.items())
        mixture = RemainingTime(STEP_SECONDS, np.asarray(pmf))
        forecast = self.hazard.occupancy_forecast(state, elapsed, moment)
        base = from_timestamp(moment)
        contributions = []
        for name, distribution in found.items():
            median = distribution.quantile(0.5)
            contributions.append(
                Contribution(
                    name,
                    None if median is None else base + timedelta(seconds=median),
                    weights[name],
                )
            )
        prediction = prediction_from(mixture, _NEXT[state], moment, MODEL_NAME, forecast)
        return (
            Prediction(
                transition_type=prediction.transition_type,
                predicted_time=prediction.predicted_time,
                interval_lower=prediction.interval_lower,
                interval_upper=prediction.interval_upper,
                confidence=prediction.confidence,
                model=MODEL_NAME,
                occupancy_forecast=prediction.occupancy_forecast,
                contributions=tuple(contributions),
            ),
            MemberForecast(found),
        )

    def observe(self, members: MemberForecast, actual: float) -> None:
        """Score the members of a past prediction once its remaining time (seconds) is known."""
        if not members.distributions:
            return
        for name in self.scores:
            self.scores[name] *= self._forgetting
        if self._crps_scale is None:
            scored = {n: log_score(d, actual) for n, d in members.distributions.items()}
        else:
            scale = self._crps_scale
            scored = {n: -crps(d, actual) / scale for n, d in members.distributions.items()}
        worst = min(scored.values())
        for name in self.scores:
            # A member that could not predict counts as the worst that did.
            self.scores[name] += scored.get(name, worst)
