"""The per-room table that ``script/develop`` prints, from Home Assistant's states."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .check_report import RoomLine, Score, format_table, parse_time
from .demo_setup import RoomEntities
from .household import Household


def clock_text(value: float | None, zone: ZoneInfo) -> str:
    """Weekday and local time of an epoch moment, or ``?``."""
    if value is None:
        return "?"
    return datetime.fromtimestamp(value, zone).strftime("%a %H:%M")


def table(
    household: Household,
    rooms: list[RoomEntities],
    states: dict[str, dict[str, Any]],
    scores: dict[str, Score],
) -> str:
    """The per-room table from the current states (and the replay's scores)."""
    zone = ZoneInfo(household.time_zone)
    lines: list[RoomLine] = []
    for room in rooms:
        occupancy = states.get(room.entity_ids.get("occupancy", ""), {})
        prediction = states.get(room.entity_ids.get("next_transition", ""), {})
        attributes = prediction.get("attributes", {})
        since = parse_time(occupancy.get("attributes", {}).get("since"))
        state = str(occupancy.get("state", "missing"))
        state_text = {"on": "occupied", "off": "vacant"}.get(state, state)
        predicted = parse_time(prediction.get("state"))
        if "transition_type" not in attributes:
            next_text, interval, confidence = "none yet", "-", "-"
        else:
            when = "beyond 24 h" if predicted is None else clock_text(predicted, zone)
            next_text = f"{attributes['transition_type']} {when}"
            lower = parse_time(attributes.get("interval_lower"))
            upper = parse_time(attributes.get("interval_upper"))
            interval = f"{clock_text(lower, zone)} - {clock_text(upper, zone)}"
            confidence = f"{float(attributes.get('confidence', 0)):.0%}"
        lines.append(
            RoomLine(
                room=room.name,
                state=f"{state_text} since {clock_text(since, zone)}" if since else state_text,
                next_transition=next_text,
                interval=interval,
                confidence=confidence,
                model=str(attributes.get("model", "n/a")),
                score=scores.get(room.name, Score(0, None, None, 0)),
            )
        )
    return format_table(lines, with_scores=bool(scores))
