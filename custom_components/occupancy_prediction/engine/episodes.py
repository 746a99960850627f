"""Occupancy episodes: the room's timeline cut into maximal runs of one state.

Episodes are contiguous (each starts where the previous ended), alternate
(consecutive episodes differ in state) and never overlap. ``unknown`` runs are
episodes too, so a gap in the evidence is explicit rather than silently joined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .occupancy import KNOWN_STATES, RoomOccupancy, RoomState, SensorKind, Transition


@dataclass(frozen=True, slots=True)
class Episode:
    """A maximal run of one room state.

    Attributes:
        state: the room state throughout.
        start: POSIX seconds (UTC) when it began.
        end: POSIX seconds (UTC) when it ended; None while it goes on.
        next_state: the state entered at ``end`` (None while it goes on).
    """

    state: RoomState
    start: float
    end: float | None
    next_state: RoomState | None

    @property
    def duration(self) -> float | None:
        """Length in seconds, None while the episode goes on."""
        return None if self.end is None else self.end - self.start

    @property
    def ends_in_change(self) -> bool:
        """True when it ended by an observed occupied <-> vacant change.

        Only such episodes have a known duration; one that ended in ``unknown``
        is censored.
        """
        return self.state in KNOWN_STATES and self.next_state in KNOWN_STATES


@dataclass(frozen=True, slots=True)
class SensorEvent:
    """One sensor state as recorded: POSIX seconds (UTC), entity id, state string."""

    timestamp: float
    entity_id: str
    value: str | None


def episodes_from_transitions(transitions: Iterable[Transition]) -> list[Episode]:
    """Cut a room's transitions (oldest first) into episodes.

    The last episode is open (``end`` None). Transitions that repeat the state
    before them are skipped, so the result always alternates.
    """
    episodes: list[Episode] = []
    current: Transition | None = None
    for transition in transitions:
        if current is not None:
            if transition.state is current.state:
                continue
            episodes.append(
                Episode(current.state, current.timestamp, transition.timestamp, transition.state)
            )
        current = transition
    if current is not None:
        episodes.append(Episode(current.state, current.timestamp, None, None))
    return episodes


def transitions_from_events(
    events: Iterable[SensorEvent],
    sensors: Mapping[str, SensorKind],
    vacancy_delay: float,
    until: float | None = None,
) -> list[Transition]:
    """Replay recorded sensor states through :class:`RoomOccupancy`.

    Args:
        events: sensor states in any order; equal timestamps keep their given
            order (the sort is stable), duplicates are harmless.
        sensors: entity id -> kind, as for :class:`RoomOccupancy`.
        vacancy_delay: the hold in seconds.
        until: POSIX seconds to advance to at the end, so a hold that ran out
            after the last event is closed.

    Returns:
        The room's transitions, oldest first.
    """
    tracker = RoomOccupancy(sensors, vacancy_delay)
    transitions: list[Transition] = []
    for event in sorted(events, key=lambda e: e.timestamp):
        transitions.extend(tracker.update_ts(event.entity_id, event.value, event.timestamp))
    if until is not None:
        transitions.extend(tracker.advance_ts(until))
    return transitions
