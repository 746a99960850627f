"""Ensemble: the members' remaining-time distributions averaged by quantile, weighted online.

Members: the duration-aware hazard model (:mod:`.hazard`), the context model
(:mod:`.context`, B2 conditioned on the other rooms) and baseline B2
(:mod:`.hourly_median`'s samples, served by the context model's store:
:meth:`.ContextModel.hourly_samples`). Each gives a distribution of the remaining time on
the hazard model's 5-minute grid over 24 h (the context model and B2 as
histograms of their samples).

The members are combined by averaging their quantile functions, ``Q(p) =
sum_i w_i Q_i(p)`` (Vincentization; Lichtendahl, Grushka-Cockayne & Winkler,
"Is it better to average probabilities or quantiles?", Management Science
59(7), 2013), rather than by mixing their probabilities: the mixture of
distributions that disagree is wider than any of them and its median is not
pulled toward the members' medians; the quantile average keeps the members'
sharpness and its median is the weighted mean of theirs. On the Aruba
benchmark it gave a lower MAE than the probability mixture on every room.
Mass beyond 24 h enters the average as a quantile at 36 h and stays beyond
the horizon.

The weights follow dynamic model averaging (Raftery, Karny & Ettler, "Online
prediction under model uncertainty via dynamic model averaging",
Technometrics 52(1), 2010) with the continuous ranked probability score
(CRPS; Matheson & Winkler, 1976) as the proper score: ``w_i`` is proportional
to ``exp(-S_i / crps_scale)`` where ``S_i`` is the member's exponentially
forgotten sum of CRPS (seconds). The CRPS rewards what the MAE rewards, plus
calibration and sharpness. ``crps_scale=None`` scores with the log score of
the floored distribution instead (Good, "Rational decisions", JRSS B 14,
1952). A scored prediction updates them via :meth:`EnsembleModel.observe`:
cheap, so it runs on the event loop.

The hazard and context models join B2 for a state only once it has
``MIN_MODEL_EPISODES`` completed episodes: with fewer, their extra
parameters cost more than they bring (on the benchmark's MIT houses, a week
of data, they made the ensemble up to 15 % worse than B2 alone).

The 80 % prediction interval is recalibrated online by adaptive conformal
inference (Gibbs & Candes, "Adaptive conformal inference under distribution
shift", NeurIPS 2021): the interval is the ensemble's quantiles at
``a/2`` and ``1 - a/2``, and each scored prediction moves ``a`` by
``ACI_STEP * (0.2 - miss)`` (``miss`` 1 when the truth fell outside the
interval given), so the long-run share of misses tends to 20 % unless the
level reaches its bounds (``MISS_RANGE``). Each state (occupied, vacant)
has its own level, since the members can be calibrated differently for
each; all of an episode's kept forecasts are scored when it ends. On the
Aruba benchmark it brought every room's coverage into 0.78-0.80 and made
every room's intervals narrower than B2's (the office's from 0.89 coverage
and 22 h wide to 0.78 and 16 h).

The occupancy forecast is the hazard model's (the only member that gives
one) with the ensemble's probability of no transition in place of the
hazard model's own (:func:`with_survival`).

The whole ensemble (members and weights) is saved with :meth:`EnsembleModel.to_dict`
and restored with :meth:`EnsembleModel.from_dict` without refitting, so a restored
ensemble predicts exactly what the saved one did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
import math
from typing import Any

import numpy as np

from .context import ContextModel, Others, Snapshot
from .distribution import RemainingTime, prediction_from
from .episodes import Episode
from .hazard import STEP_SECONDS, HazardModel
from .occupancy import NEXT_STATE, RoomState
from .prediction import HORIZON_SECONDS, Contribution, InsufficientHistory, Prediction
from .timeutil import from_timestamp, to_timestamp

MODEL_NAME = "ensemble"
STORAGE_VERSION = 3
MEMBERS = ("hazard", "context", "hourly_median")
"""The members' names, as in ``scores``, ``weights`` and the contributions."""
FORGETTING = 0.99
FLOOR = 0.01
CRPS_SCALE = 36000.0
"""Seconds of forgotten CRPS sum per unit of log weight (tuned on the Aruba benchmark)."""
MIN_EPISODES = 3
MIN_MODEL_EPISODES = 50
"""Completed episodes of a state before the hazard and context models join B2 for it."""
TARGET_MISS = 0.2
"""The interval's target share of truths outside it (an 80 % interval)."""
ACI_STEP = 0.01
"""Adaptive conformal inference's step (gamma); 0.005-0.02 behaved alike on Aruba."""
MISS_RANGE = (0.02, 0.6)
"""Bounds of the adapted miss level: intervals between the 1-99 % and 30-70 % quantiles."""
_QUANTILE_LEVELS = np.linspace(0.005, 0.995, 199)
_BEYOND = 1.5 * HORIZON_SECONDS

_NEXT = NEXT_STATE
_STEPS = int(HORIZON_SECONDS / STEP_SECONDS)


@dataclass(frozen=True, slots=True)
class MemberForecast:
    """The members' distributions behind one ensemble prediction (for scoring).

    ``interval`` is the prediction interval given, in seconds from the
    prediction moment (a lower end beyond 24 h is 24 h, an upper end beyond
    it None), and ``state`` the room's state it was given for; None without
    one.
    """

    distributions: Mapping[str, RemainingTime]
    interval: tuple[float, float | None] | None = None
    state: RoomState | None = None


def distribution_from_samples(samples: np.ndarray) -> RemainingTime:
    """Remaining-time samples (seconds) as a distribution on the 5-minute grid.

    The CDF is the piecewise-linear one through the sorted samples ``x_(k)``
    at levels ``k / (n - 1)``: the one whose quantiles are numpy's default
    (linear) sample quantiles, which B2 reports (Hyndman & Fan, "Sample
    quantiles in statistical packages", Am. Stat. 50(4), 1996, definition 7),
    kept at the grid's edges, so quantiles agree with numpy's to within one
    step. A sparse sample thus gives B2's own median, not the lower one a
    histogram would (hours apart when samples are far apart). A single
    sample is a point mass in its step; samples at or beyond 24 h hold the
    mass "not within 24 h".
    """
    values = np.sort(np.asarray(samples, dtype=float))
    pmf = np.zeros(_STEPS)
    if values.size == 1:
        if values[0] < HORIZON_SECONDS:
            pmf[min(int(values[0] // STEP_SECONDS), _STEPS - 1)] = 1.0
    elif values.size > 1:
        levels = np.linspace(0.0, 1.0, values.size)
        edges = (np.arange(_STEPS) + 1) * STEP_SECONDS
        # Just below each edge, so samples capped at exactly 24 h stay beyond it.
        cdf = np.interp(edges - 1e-6, values, levels)
        pmf = np.diff(np.concatenate(([0.0], cdf)))
    return RemainingTime(STEP_SECONDS, pmf)


def _quantile_function(distribution: RemainingTime) -> np.ndarray:
    """The distribution's quantiles (seconds) at ``_QUANTILE_LEVELS``; beyond 24 h is 36 h."""
    cumulative = np.concatenate(([0.0], np.cumsum(distribution.pmf), [1.0]))
    edges = np.concatenate((np.arange(distribution.pmf.size + 1) * distribution.step, [_BEYOND]))
    # Flat stretches of the CDF (steps without mass) would make the inverse
    # ambiguous: a vanishing slope keeps it strictly increasing.
    cumulative = np.maximum.accumulate(cumulative + np.arange(cumulative.size) * 1e-12)
    levels: np.ndarray = np.interp(_QUANTILE_LEVELS, cumulative, edges)
    # What is left beyond the horizon is a point mass at _BEYOND.
    levels[distribution.pmf.sum() < _QUANTILE_LEVELS] = _BEYOND
    return levels


def quantile_average(members: Mapping[str, tuple[float, RemainingTime]]) -> RemainingTime:
    """Weighted average of the members' quantile functions, back on the 5-minute grid.

    Args:
        members: name -> (weight, distribution); weights sum to 1.

    Returns:
        The distribution whose ``p`` quantile is ``sum_i w_i Q_i(p)``
        (levels 0.005..0.995; the outer 0.5 % tails go to the nearest level).
        Whatever lies beyond 24 h stays "not within 24 h".
    """
    quantiles = sum(weight * _quantile_function(d) for weight, d in members.values())
    edges = (np.arange(_STEPS) + 1) * STEP_SECONDS
    cdf = np.interp(edges, np.asarray(quantiles), _QUANTILE_LEVELS, left=0.0, right=1.0)
    pmf = np.diff(np.concatenate(([0.0], cdf)))
    return RemainingTime(STEP_SECONDS, np.maximum(pmf, 0.0))


def with_survival(
    forecast: Mapping[int, float],
    state: RoomState,
    hazard: RemainingTime,
    ensemble: RemainingTime,
) -> dict[int, float]:
    """The hazard model's occupancy forecast with the ensemble's chance of no change yet.

    The hazard forecast at horizon ``h`` (minutes) splits as ``P(occupied) =
    S(h) o + (1 - S(h)) q(h)``, with ``S`` the hazard model's probability of
    no transition by ``h``, ``o`` 1 when the room is occupied now and ``q(h)``
    the probability of being occupied given a transition happened (which
    carries the hazard model's re-entry dynamics). This keeps ``q`` and puts
    the ensemble's ``S`` in place of the hazard model's.

    Args:
        forecast: horizon in minutes -> P(occupied) from the hazard model.
        state: the room's state now.
        hazard: the hazard model's remaining-time distribution.
        ensemble: the ensemble's remaining-time distribution.
    """
    now_occupied = 1.0 if state is RoomState.OCCUPIED else 0.0
    blended = {}
    for minutes, probability in forecast.items():
        seconds = 60.0 * minutes
        stay_hazard = 1.0 - hazard.cdf(seconds)
        stay = 1.0 - ensemble.cdf(seconds)
        if stay_hazard > 1.0 - 1e-9:
            changed = 1.0 - now_occupied  # no re-entry information: the next state
        else:
            changed = (probability - stay_hazard * now_occupied) / (1.0 - stay_hazard)
        changed = min(max(changed, 0.0), 1.0)
        blended[minutes] = stay * now_occupied + (1.0 - stay) * changed
    return blended


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
    """Hazard, context and B2 models averaged by quantile with online CRPS weights.

    Args:
        time_zone: the home's zone.
        forgetting: the weights' forgetting factor per scored prediction.
        crps_scale: seconds of forgotten CRPS per unit of log weight; None
            scores the members with the log score instead.
    """

    def __init__(
        self,
        time_zone: tzinfo,
        forgetting: float = FORGETTING,
        crps_scale: float | None = CRPS_SCALE,
    ) -> None:
        """Create an untrained ensemble with equal weights."""
        self._tz = time_zone
        self._forgetting = forgetting
        self._crps_scale = crps_scale
        self.hazard = HazardModel(time_zone)
        self.context = ContextModel(time_zone)
        self.scores: dict[str, float] = dict.fromkeys(MEMBERS, 0.0)
        self.miss_levels: dict[RoomState, float] = dict.fromkeys(_NEXT, TARGET_MISS)
        """The interval's adapted miss level ``a`` by state (adaptive conformal inference)."""
        # B2's distribution by (state, hour), with the context model and generation it is of.
        self._hourly: dict[tuple[RoomState, int], tuple[ContextModel, int, RemainingTime]] = {}

    def fit(self, episodes: Sequence[Episode], others: Others | None = None) -> None:
        """Refit every member (the weights are kept).

        Args:
            episodes: the room's episodes (POSIX seconds).
            others: the other rooms' episodes (or timelines) by room id, for the context
                model; without them it learns every moment as "nobody else
                about" and adds little to B2.
        """
        self.hazard.fit(episodes)
        self.context.fit(episodes, others or {})

    def learn(self, episode: Episode, others: Others | None = None) -> None:
        """Add one finished episode to every member (incremental, well under 1 ms).

        ``others`` are the other rooms' episodes over the episode's span (for
        the context model). B2 and the context model predict from it at once;
        the hazard model only adds it to
        its counts: its tables change at the next :meth:`HazardModel.refit`
        (or :func:`.hazard.fit_tables` + :meth:`HazardModel.use_tables`),
        which the caller runs in an executor.
        """
        self.hazard.learn(episode)
        self.context.learn_many([episode], others or {})

    @property
    def episode_counts(self) -> dict[RoomState, int]:
        """Completed episodes learned per state (including those not yet in the hazard tables)."""
        return self.context.episode_counts

    def to_dict(self) -> dict[str, Any]:
        """Members and weights, JSON-ready (for the room's store)."""
        return {
            "version": STORAGE_VERSION,
            "forgetting": self._forgetting,
            "crps_scale": self._crps_scale,
            "scores": dict(self.scores),
            "miss_levels": {state.value: level for state, level in self.miss_levels.items()},
            "hazard": self.hazard.to_dict(),
            "context": self.context.as_dict(),
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
            model.context = ContextModel.from_dict(time_zone, data["context"])
            # Saved before the interval adapted: start from the target.
            saved = data.get("miss_levels", {})
            for state in _NEXT:
                level = float(saved.get(state.value, TARGET_MISS))
                if not MISS_RANGE[0] <= level <= MISS_RANGE[1]:
                    raise ValueError(f"interval miss level {level!r} out of range")
                model.miss_levels[state] = level
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

    def _hourly_distribution(self, state: RoomState, hour: int) -> RemainingTime | None:
        """B2's distribution for ``state`` at local ``hour``; None without samples.

        Kept until the context model learns again (its ``generation``), so a
        prediction in a steady state does not pool the samples again.
        """
        context = self.context
        kept = self._hourly.get((state, hour))
        if kept is not None and kept[0] is context and kept[1] == context.generation:
            return kept[2]
        samples = context.hourly_samples(state, hour)
        if not samples.size:
            return None
        distribution = distribution_from_samples(samples)
        self._hourly[(state, hour)] = (context, context.generation, distribution)
        return distribution

    def members(
        self, state: RoomState, elapsed: float, now: float, others: Snapshot | None = None
    ) -> dict[str, RemainingTime]:
        """Each member's distribution; members with too little history are left out.

        Args:
            state: the room's state.
            elapsed: seconds in it so far.
            now: the prediction moment, POSIX seconds.
            others: the other rooms' (state, since) now; None leaves the
                context model out.
        """
        found: dict[str, RemainingTime] = {}
        learned = self.context.episode_counts.get(state, 0)
        hazard = self.hazard.remaining(state, elapsed, now)
        if hazard is not None and learned >= MIN_MODEL_EPISODES:
            found["hazard"] = hazard
        if others is not None and learned >= MIN_MODEL_EPISODES:
            samples = self.context.samples(state, now - elapsed, now, others)
            if samples.size:
                found["context"] = distribution_from_samples(samples)
        if state in _NEXT and learned >= MIN_EPISODES:
            hour = datetime.fromtimestamp(now, self._tz).hour
            hourly = self._hourly_distribution(state, hour)
            if hourly is not None:
                found["hourly_median"] = hourly
        return found

    def predict(
        self, state: RoomState, since: datetime, now: datetime, others: Snapshot | None = None
    ) -> Prediction | InsufficientHistory:
        """The ensemble's prediction, with each member's median and weight.

        Args:
            state: the room's state.
            since: when it entered it (aware).
            now: the prediction moment (aware).
            others: the other rooms' (state, since in POSIX seconds) by room
                id; None leaves the context model out.

        Raises:
            ValueError: if ``since`` or ``now`` is naive.
        """
        prediction, _ = self.predict_with_members(state, since, now, others)
        return prediction

    def predict_with_members(
        self, state: RoomState, since: datetime, now: datetime, others: Snapshot | None = None
    ) -> tuple[Prediction | InsufficientHistory, MemberForecast]:
        """Like :meth:`predict`, also returning the members' distributions for :meth:`observe`."""
        moment = to_timestamp(now)
        elapsed = max(0.0, moment - to_timestamp(since))
        found = self.members(state, elapsed, moment, others) if state in _NEXT else {}
        if not found:
            seen = self.hazard.episode_counts.get(state, 0)
            return InsufficientHistory(episodes=seen, needed=MIN_EPISODES), MemberForecast({})
        weights = self._normalised(list(found))
        mixture = quantile_average({n: (weights[n], d) for n, d in found.items()})
        forecast = self.hazard.occupancy_forecast(state, elapsed, moment)
        if forecast is not None and "hazard" in found:
            forecast = with_survival(forecast, state, found["hazard"], mixture)
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
        miss = self.miss_levels[state]
        levels = (miss / 2, 1 - miss / 2)
        prediction = prediction_from(
            mixture, _NEXT[state], moment, MODEL_NAME, forecast, levels=levels
        )
        lower = mixture.quantile(levels[0])
        interval = (HORIZON_SECONDS if lower is None else lower, mixture.quantile(levels[1]))
        return (
            replace(prediction, contributions=tuple(contributions)),
            MemberForecast(found, interval, state),
        )

    def observe(self, members: MemberForecast, actual: float) -> None:
        """Score a past prediction once its remaining time (seconds, 24 h if none) is known.

        Updates the members' weights and the interval's miss level.
        """
        if not members.distributions:
            return
        if members.interval is not None and members.state in self.miss_levels:
            lower, upper = members.interval
            inside = lower <= actual <= (HORIZON_SECONDS if upper is None else upper)
            level = self.miss_levels[members.state]
            adapted = level + ACI_STEP * (TARGET_MISS - (0.0 if inside else 1.0))
            self.miss_levels[members.state] = min(max(adapted, MISS_RANGE[0]), MISS_RANGE[1])
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
