"""The engine's models wrapped as benchmark adapters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

import numpy as np

from custom_components.occupancy_prediction.engine.clock import local_seconds
from custom_components.occupancy_prediction.engine.context import ContextModel, Timeline, snapshot
from custom_components.occupancy_prediction.engine.distribution import prediction_from
from custom_components.occupancy_prediction.engine.ensemble import (
    EnsembleModel,
    MemberForecast,
    distribution_from_samples,
)
from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.hazard import HazardModel
from custom_components.occupancy_prediction.engine.hourly_median import HourlyMedianModel
from custom_components.occupancy_prediction.engine.markov import HourlyMarkovModel
from custom_components.occupancy_prediction.engine.occupancy import NEXT_STATE, RoomState
from custom_components.occupancy_prediction.engine.prediction import Prediction
from custom_components.occupancy_prediction.engine.residual_life import ResidualLifeModel
from custom_components.occupancy_prediction.engine.timeutil import from_timestamp

from .evaluate import Adapter, Answer, Query


def answer_from(prediction: object, query: Query) -> Answer | None:
    if not isinstance(prediction, Prediction):
        return None
    base = query.time
    median = (
        None if prediction.predicted_time is None else prediction.predicted_time.timestamp() - base
    )
    return Answer(
        median,
        prediction.interval_lower.timestamp() - base,
        prediction.interval_upper.timestamp() - base,
        prediction.confidence,
        dict(prediction.occupancy_forecast) or None,
    )


class B1(Adapter):
    name = "B1"

    def fit(self, episodes: Sequence[Episode], time_zone: tzinfo) -> None:
        self.model = ResidualLifeModel()
        self.model.fit(episodes)

    def answer(self, query: Query) -> Answer | None:
        prediction = self.model.predict(
            query.state, from_timestamp(query.since), from_timestamp(query.time)
        )
        return answer_from(prediction, query)


class B2(Adapter):
    """B2 depends on the state and the local hour only: answers are cached on those."""

    name = "B2"

    def fit(self, episodes: Sequence[Episode], time_zone: tzinfo) -> None:
        self.model = HourlyMedianModel(time_zone)
        self.model.fit(episodes)
        self.zone = time_zone
        self.cache: dict[tuple[RoomState, int], Answer | None] = {}

    def answer(self, query: Query) -> Answer | None:
        key = (query.state, datetime.fromtimestamp(query.time, self.zone).hour)
        if key not in self.cache:
            prediction = self.model.predict(query.state, from_timestamp(query.time))
            self.cache[key] = answer_from(prediction, query)
        return self.cache[key]


class Markov(Adapter):
    name = "markov"
    gives_times = False

    def fit(self, episodes: Sequence[Episode], time_zone: tzinfo) -> None:
        self.model = HourlyMarkovModel(time_zone)
        self.model.fit(episodes)
        self.zone = time_zone
        self.cache: dict[tuple[RoomState, float], Answer | None] = {}

    def answer(self, query: Query) -> Answer | None:
        # The forecast depends on the state and the local time of day only.
        key = (query.state, float(local_seconds(np.array([query.time]), self.zone)[0] % 86400))
        if key not in self.cache:
            forecast = self.model.forecast(query.state, from_timestamp(query.time))
            self.cache[key] = None if forecast is None else Answer(None, 0.0, 0.0, 0.0, forecast)
        return self.cache[key]


class Hazard(Adapter):
    name = "hazard"

    def fit(self, episodes: Sequence[Episode], time_zone: tzinfo) -> None:
        self.model = HazardModel(time_zone)
        self.model.fit(episodes)

    def answer(self, query: Query) -> Answer | None:
        prediction = self.model.predict(
            query.state, from_timestamp(query.since), from_timestamp(query.time)
        )
        return answer_from(prediction, query)


class Ensemble(Adapter):
    """The ensemble, predict-then-learn: weights learn from a query once its truth is past.

    It shares the fitted hazard and context models of ``hazard`` and
    ``context`` (fitted on the same episodes just before), so they do not
    compute the same thing twice.
    """

    name = "ensemble"

    def __init__(self, hazard: Hazard, context: Context) -> None:
        self.shared = hazard
        self.shared_context = context
        self.model: EnsembleModel | None = None
        self.pending: list[tuple[float, float, MemberForecast]] = []

    def fit(self, episodes: Sequence[Episode], time_zone: tzinfo) -> None:
        if self.model is None:
            self.model = EnsembleModel(time_zone)
        self.model.hazard = self.shared.model
        self.model.context = self.shared_context.model

    def answer(self, query: Query) -> Answer | None:
        assert self.model is not None
        due = [p for p in self.pending if p[0] <= query.time]
        self.pending = [p for p in self.pending if p[0] > query.time]
        for _, actual, members in due:
            self.model.observe(members, actual)
        others = snapshot(self.shared_context.timelines, query.time)
        prediction, members = self.model.predict_with_members(
            query.state, from_timestamp(query.since), from_timestamp(query.time), others
        )
        if query.remaining is not None:
            self.pending.append((query.time + query.remaining, query.remaining, members))
        return answer_from(prediction, query)


class Context(Adapter):
    """The context model; it sees the other rooms' episodes of the same home."""

    name = "context"

    def __init__(self, others: Mapping[str, Sequence[Episode]]) -> None:
        self.others = others
        self.timelines = {room: Timeline(found) for room, found in others.items()}

    def fit(self, episodes: Sequence[Episode], time_zone: tzinfo) -> None:
        self.model = ContextModel(time_zone)
        self.model.fit(episodes, self.others)

    def answer(self, query: Query) -> Answer | None:
        if query.state not in NEXT_STATE:
            return None
        found = self.model.samples(
            query.state, query.since, query.time, snapshot(self.timelines, query.time)
        )
        if not found.size:
            return None
        prediction = prediction_from(
            distribution_from_samples(found), NEXT_STATE[query.state], query.time, "context"
        )
        return answer_from(prediction, query)
