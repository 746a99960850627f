"""Scoring protocol: queries on a grid, truth from the episodes, metrics per model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
import math

import numpy as np

from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import HORIZON_SECONDS

BRIER_MINUTES = (15, 30, 60, 120)
KNOWN = (RoomState.OCCUPIED, RoomState.VACANT)


@dataclass(frozen=True, slots=True)
class Query:
    """A prediction moment and what happened after it.

    ``remaining`` is the true remaining time capped at 24 h (None when the
    episode ended in ``unknown`` or is still open: censored, not scored);
    ``future`` maps a horizon in minutes to 1.0/0.0 (occupied or not), absent
    where the state then is unknown or beyond the data.
    """

    time: float
    state: RoomState
    since: float
    remaining: float | None
    future: dict[int, float]


@dataclass(frozen=True, slots=True)
class Answer:
    """One model's answer to a query, seconds from the query time."""

    median: float | None
    lower: float
    upper: float
    confidence: float
    forecast: dict[int, float] | None = None


class Adapter:
    """A model as the benchmark sees it."""

    name = ""
    gives_times = True

    def fit(self, episodes: Sequence[Episode], time_zone: tzinfo) -> None:
        raise NotImplementedError

    def answer(self, query: Query) -> Answer | None:
        raise NotImplementedError


def truncate(episodes: Sequence[Episode], until: float) -> list[Episode]:
    """The episodes as known at ``until``: later ones dropped, the one across cut open."""
    known: list[Episode] = []
    for episode in episodes:
        if episode.start >= until:
            break
        if episode.end is None or episode.end > until:
            known.append(Episode(episode.state, episode.start, None, None))
            break
        known.append(episode)
    return known


def make_queries(
    episodes: Sequence[Episode], start: float, end: float, every: float = 900.0
) -> list[Query]:
    """A query every ``every`` seconds in ``[start, end)`` where the state is known."""
    starts = np.array([e.start for e in episodes])
    data_end = max((e.end or e.start) for e in episodes) if episodes else start

    def episode_at(moment: float) -> Episode | None:
        index = int(np.searchsorted(starts, moment, side="right")) - 1
        if index < 0:
            return None
        episode = episodes[index]
        if episode.end is not None and moment >= episode.end:
            return None
        return episode

    queries = []
    for moment in np.arange(start, end, every):
        episode = episode_at(float(moment))
        if episode is None or episode.state not in KNOWN:
            continue
        remaining = None
        if episode.ends_in_change and episode.end is not None:
            remaining = min(episode.end - float(moment), HORIZON_SECONDS)
        future: dict[int, float] = {}
        for minutes in BRIER_MINUTES:
            later = float(moment) + 60 * minutes
            if later >= data_end:
                continue
            then = episode_at(later)
            if then is not None and then.state in KNOWN:
                future[minutes] = float(then.state is RoomState.OCCUPIED)
        queries.append(Query(float(moment), episode.state, episode.start, remaining, future))
    return queries


@dataclass
class Tally:
    """Answers collected for one model on one room."""

    errors: list[float] = field(default_factory=list)
    covered: list[float] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    squared: dict[int, list[float]] = field(default_factory=dict)
    abstained: int = 0
    asked: int = 0

    def add(self, query: Query, answer: Answer) -> None:
        if query.remaining is not None:
            predicted = HORIZON_SECONDS if answer.median is None else answer.median
            self.errors.append(abs(predicted - query.remaining))
            self.covered.append(float(answer.lower <= query.remaining <= answer.upper))
            self.widths.append(answer.upper - answer.lower)
            self.confidences.append(answer.confidence)
        if answer.forecast is not None:
            for minutes, truth in query.future.items():
                if minutes in answer.forecast:
                    self.squared.setdefault(minutes, []).append(
                        (answer.forecast[minutes] - truth) ** 2
                    )

    def figures(self, times: bool = True) -> dict[str, object]:
        def mean(values: list[float], scale: float = 1.0) -> float:
            return round(float(np.mean(values)) / scale, 4) if values else math.nan

        def median(values: list[float], scale: float = 1.0) -> float:
            return round(float(np.median(values)) / scale, 4) if values else math.nan

        brier = {str(m): mean(self.squared.get(m, [])) for m in BRIER_MINUTES}
        if not times:
            return {"brier": brier}
        within = [float(e <= 900.0) for e in self.errors]
        return {
            "mae_min": mean(self.errors, 60.0),
            "medae_min": median(self.errors, 60.0),
            "within15": mean(within),
            "coverage80": mean(self.covered),
            "width80_min": median(self.widths, 60.0),
            "confidence": mean(self.confidences),
            "abstained": round(self.abstained / self.asked, 4) if self.asked else math.nan,
            "brier": brier,
        }


def score(
    adapters: Sequence[Adapter],
    queries: Sequence[Query],
    fallback: Callable[[Query], Answer | None] | None = None,
    tallies: dict[str, Tally] | None = None,
) -> dict[str, Tally]:
    """Ask every adapter every query; an abstention takes ``fallback``'s answer."""
    tallies = {} if tallies is None else tallies
    for adapter in adapters:
        tallies.setdefault(adapter.name, Tally())
    # Query-major, so models that share work (the ensemble and the hazard
    # model) see the same moment one after the other.
    for query in queries:
        backup: Answer | None = None
        backup_known = False
        for adapter in adapters:
            tally = tallies[adapter.name]
            answer = adapter.answer(query)
            tally.asked += 1
            if answer is None:
                tally.abstained += 1
                if fallback is not None and not backup_known:
                    backup, backup_known = fallback(query), True
                answer = backup
                if answer is None:
                    continue
            tally.add(query, answer)
    return tallies
