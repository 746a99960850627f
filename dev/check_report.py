"""Score the integration's predictions over a replay, and print them as a table.

The scoring uses only what the integration published, read back from the
recorder: each room's occupancy binary sensor (the truth the integration
itself derives from the sensors) and its next-transition sensor (the
predicted time and 80 % interval). Every ``step`` seconds of the replay the
prediction in effect is compared with the room's actual next change; changes
after the end of the replay are unknown, so those moments are not scored.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

SCORE_STEP_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class PredictionRow:
    """One recorded value of a room's next-transition sensor.

    Attributes:
        at: when it was published (epoch seconds).
        predicted: predicted transition time (epoch s), None if unknown or
            beyond the model's horizon.
        lower: start of the 80 % interval (epoch s), None if unknown.
        upper: end of the 80 % interval (epoch s), None if unknown.
    """

    at: float
    predicted: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class Score:
    """Accuracy of a room's predictions over the replay.

    Attributes:
        scored: moments scored.
        mae_minutes: mean absolute error of the predicted time, in minutes
            (None when nothing could be scored).
        coverage: share of scored moments whose actual change fell inside the
            80 % interval (None when nothing could be scored).
        unpredicted: moments at which the room had no prediction.
    """

    scored: int
    mae_minutes: float | None
    coverage: float | None
    unpredicted: int


def parse_time(value: object) -> float | None:
    """Epoch seconds from an ISO timestamp string; None for unknown/unavailable."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def change_times(states: Sequence[tuple[float, str]]) -> list[float]:
    """Moments at which the occupancy state changed between on and off."""
    times: list[float] = []
    previous: str | None = None
    for at, state in states:
        if state in ("on", "off"):
            if previous is not None and state != previous:
                times.append(at)
            previous = state
        else:
            previous = None
    return times


def score(
    predictions: Sequence[PredictionRow],
    occupancy: Sequence[tuple[float, str]],
    start: float,
    end: float,
    step: float = SCORE_STEP_SECONDS,
) -> Score:
    """Score a room's predictions at every ``step`` from ``start`` to ``end``.

    Args:
        predictions: the next-transition sensor's values, oldest first.
        occupancy: the occupancy sensor's ``(time, state)``, oldest first.
        start: first moment to score (epoch s).
        end: end of the replay; later changes are unknown.
        step: seconds between scored moments.
    """
    changes = change_times(occupancy)
    published = [row.at for row in predictions]
    errors: list[float] = []
    inside = 0
    unpredicted = 0
    moment = start
    while moment < end:
        index = bisect_right(published, moment) - 1
        following = bisect_right(changes, moment)
        if following < len(changes):
            actual = changes[following]
            row = predictions[index] if index >= 0 else None
            if row is None or row.predicted is None or row.lower is None or row.upper is None:
                unpredicted += 1
            else:
                errors.append(abs(row.predicted - actual) / 60)
                inside += row.lower <= actual <= row.upper
        moment += step
    if not errors:
        return Score(0, None, None, unpredicted)
    return Score(len(errors), sum(errors) / len(errors), inside / len(errors), unpredicted)


def states_between(states: Sequence[tuple[float, str]], start: float) -> list[tuple[float, str]]:
    """The states from ``start`` on, plus the one in effect at ``start``."""
    times = [at for at, _ in states]
    first = max(0, bisect_left(times, start) - 1)
    return list(states[first:])


@dataclass(frozen=True, slots=True)
class RoomLine:
    """What the table shows for one room."""

    room: str
    state: str
    next_transition: str
    interval: str
    confidence: str
    model: str
    score: Score


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def format_table(lines: Sequence[RoomLine], *, with_scores: bool = True) -> str:
    """The per-room table ``script/develop`` prints (scores only after a replay)."""
    header: tuple[str, ...] = (
        "room",
        "state",
        "next transition",
        "80 % interval",
        "confidence",
        "model",
        "MAE (min)",
        "in interval",
        "scored",
    )
    columns = len(header) if with_scores else 6
    rows = [header[:columns]]
    for line in lines:
        row = (
            line.room,
            line.state,
            line.next_transition,
            line.interval,
            line.confidence,
            line.model,
            _fmt(line.score.mae_minutes, "{:.1f}"),
            _fmt(line.score.coverage, "{:.0%}"),
            str(line.score.scored),
        )
        rows.append(row[:columns])
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    out = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    out.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(out)
