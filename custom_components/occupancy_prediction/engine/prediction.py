"""Typed results of a room prediction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .occupancy import RoomState

HORIZON_SECONDS = 24 * 3600
"""Remaining times are capped here: beyond it, no transition is expected."""

WITHIN_SECONDS = 15 * 60
"""Half-width of the window that ``confidence`` refers to (+-15 minutes)."""


@dataclass(frozen=True, slots=True)
class Contribution:
    """One model's part in an ensemble prediction.

    Attributes:
        model: the model's name.
        predicted_time: its own median, aware UTC; None beyond 24 h.
        weight: its weight in the mixture (the weights sum to 1).
    """

    model: str
    predicted_time: datetime | None
    weight: float


@dataclass(frozen=True, slots=True)
class Prediction:
    """The next transition of a room.

    Attributes:
        transition_type: the state the room will enter (occupied or vacant).
        predicted_time: median of the predicted remaining time added to the
            prediction moment, aware UTC; None when the median is beyond the
            24 h horizon ("no transition expected within 24 h").
        interval_lower: lower end of the 80 % prediction interval of the
            transition time (the 10th percentile, or for the ensemble its
            adapted level), aware UTC.
        interval_upper: its upper end (90th percentile or adapted), aware
            UTC, at most 24 h ahead.
        confidence: probability (0..1) that the transition happens within
            +-15 minutes of ``predicted_time``.
        model: name of the model that made it.
        occupancy_forecast: forecast horizon in minutes -> probability that
            the room is occupied then; empty when the model gives none.
        contributions: for an ensemble, each member's prediction and weight;
            empty otherwise.
    """

    transition_type: RoomState
    predicted_time: datetime | None
    interval_lower: datetime
    interval_upper: datetime
    confidence: float
    model: str
    occupancy_forecast: Mapping[int, float] = field(default_factory=dict)
    contributions: tuple[Contribution, ...] = ()


@dataclass(frozen=True, slots=True)
class InsufficientHistory:
    """The model has too little history to predict; no value is made up.

    Attributes:
        episodes: complete episodes of the current state observed so far.
        needed: how many the model needs.
    """

    episodes: int
    needed: int
