"""``script/develop --check``: replay days fast, score the predictions, report.

Also the waiting helpers shared with the interactive mode.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
import time
from typing import Any

from .check_report import PredictionRow, Score, parse_time, score
from .demo_setup import ROOM_ENTITY_KEYS, RoomEntities, room_entities
from .ha_client import HaClient
from .household import Household
from .log_scan import integration_errors
from .room_table import table
from .steps import Steps

UNKNOWN = ("unknown", "unavailable", None)


def has_prediction(states: dict[str, dict[str, Any]], room: RoomEntities) -> bool:
    """Whether the room's next-transition sensor holds a prediction.

    A prediction beyond the 24 h horizon has no time (state unknown) but
    still carries its transition type.
    """
    state = states.get(room.entity_ids.get("next_transition", ""), {})
    return state.get("state") not in UNKNOWN or "transition_type" in state.get("attributes", {})


async def states_by_id(client: HaClient) -> dict[str, dict[str, Any]]:
    """Every current state, by entity id."""
    return {state["entity_id"]: state for state in await client.get("/api/states")}


async def wait_for_predictions(
    client: HaClient, expected_rooms: int, within: float
) -> tuple[list[RoomEntities], bool]:
    """Poll until all rooms exist with their entities and each has a prediction.

    Returns:
        The rooms (as far as they exist) and whether all were ready in time.
    """
    deadline = time.monotonic() + within
    while True:
        rooms = await room_entities(client)
        states = await states_by_id(client)
        missing = [
            room.name
            for room in rooms
            if not set(ROOM_ENTITY_KEYS) <= set(room.entity_ids) or not has_prediction(states, room)
        ]
        if len(rooms) == expected_rooms and not missing:
            return rooms, True
        if time.monotonic() > deadline:
            status = states.get("sensor.occupancy_prediction_status", {}).get("state")
            print(
                f"    {len(rooms)} of {expected_rooms} rooms; no prediction after {within:.0f} s"
                f" for: {', '.join(missing) or '-'} (hub status {status}; see the entry's state"
                " under Settings > Devices & services, and home-assistant.log)"
            )
            return rooms, False
        await asyncio.sleep(1)


async def replay(client: HaClient, speed: float, days: float) -> tuple[float, float]:
    """Replay ``days`` at ``speed``; the replay-time window that was replayed."""
    start = float((await client.call_service("occupancy_demo", "status", {}))["now"])
    end = start + days * 86400
    await client.call_service("occupancy_demo", "set_speed", {"speed": speed})
    last_print = 0.0
    try:
        while True:
            now = float((await client.call_service("occupancy_demo", "status", {}))["now"])
            if now >= end:
                break
            if time.monotonic() - last_print > 10:
                last_print = time.monotonic()
                print(f"    replayed {(now - start) / 86400:.2f} of {days:g} days", flush=True)
            await asyncio.sleep(min(2.0, max(0.2, (end - now) / speed)))
    finally:
        await client.call_service("occupancy_demo", "set_speed", {"speed": 1})
    return start, end


async def history(
    client: HaClient, entity_ids: list[str], start: float, end: float
) -> dict[str, list[dict[str, Any]]]:
    """The recorded states of ``entity_ids`` from ``start`` to ``end``, by entity id."""
    begin = datetime.fromtimestamp(start, UTC).isoformat()
    finish = datetime.fromtimestamp(end, UTC).isoformat()
    rows = await client.get(
        f"/api/history/period/{begin}?end_time={finish}&significant_changes_only=0"
        f"&filter_entity_id={','.join(entity_ids)}".replace("+", "%2B")
    )
    return {series[0]["entity_id"]: series for series in rows if series}


def room_score(
    room: RoomEntities, recorded: dict[str, list[dict[str, Any]]], start: float, end: float
) -> Score:
    """Score one room's recorded predictions over the replay window."""
    occupancy = [
        (float(parse_time(row["last_changed"]) or 0), str(row["state"]))
        for row in recorded.get(room.entity_ids.get("occupancy", ""), [])
    ]
    predictions = [
        PredictionRow(
            at=float(parse_time(row["last_updated"]) or 0),
            predicted=parse_time(row["state"]),
            lower=parse_time(row.get("attributes", {}).get("interval_lower")),
            upper=parse_time(row.get("attributes", {}).get("interval_upper")),
        )
        for row in recorded.get(room.entity_ids.get("next_transition", ""), [])
    ]
    return score(predictions, occupancy, start, end)


async def check(
    args: argparse.Namespace,
    household: Household,
    client: HaClient,
    rooms: list[RoomEntities],
    *,
    config_dir: Path,
    steps: Steps,
    ready: bool,
) -> int:
    """Replay, score, print the table; the exit code."""
    if not ready:
        print("CHECK FAILED: not every room has a prediction; nothing to replay.")
        print(f"See {config_dir / 'home-assistant.log'}")
        for line in integration_errors(_read_log(config_dir))[:20]:
            print(f"    {line}")
        return 1
    with steps.step(f"replay {args.days:g} days at speed {args.speed:g}"):
        start, end = await replay(client, args.speed, args.days)
    with steps.step("read the replay back from the recorder and score it"):
        await client.call_service("occupancy_demo", "status", {})  # waits for the recorder
        ids = [
            room.entity_ids[key]
            for room in rooms
            for key in ("occupancy", "next_transition")
            if key in room.entity_ids
        ]
        recorded = await history(client, ids, start, end)
        scores = {room.name: room_score(room, recorded, start, end) for room in rooms}
        states = await states_by_id(client)
    print(f"\n{household.title}, after replaying {args.days:g} days:")
    print(table(household, rooms, states, scores))
    print(
        "MAE: mean |predicted - actual| time of the next change, scored every 15 min of the"
        " replay; in interval: share of actual changes inside the 80 % interval."
    )
    failures: list[str] = []
    if unscored := [room.name for room in rooms if scores[room.name].scored == 0]:
        print(f"Not scored (no change during the replay): {', '.join(unscored)}")
    if lost := [room.name for room in rooms if not has_prediction(states, room)]:
        failures.append(f"no prediction at the end of the replay for {', '.join(lost)}")
    errors = integration_errors(_read_log(config_dir))
    if errors:
        failures.append(f"{len(errors)} error(s) logged by the integration:")
        failures.extend(f"    {line}" for line in errors[:20])
    if status := states.get("sensor.occupancy_prediction_status", {}).get("state"):
        print(f"Hub status: {status}")
    if failures:
        print("CHECK FAILED: " + "\n".join(failures))
        return 1
    print("CHECK PASSED")
    return 0


def _read_log(config_dir: Path) -> str:
    return (config_dir / "home-assistant.log").read_text(encoding="utf-8", errors="replace")
