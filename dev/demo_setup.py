"""Set up the demo home through Home Assistant's own APIs, as a user would.

Onboarding with the dev login, the companion's history written into the
recorder, then the Occupancy Prediction hub entry, its options and one room
subentry per household room through the real config, options and subentry
flows (REST flow API), and a dashboard with every room's entities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from custom_components.occupancy_prediction.const import (
    CONF_HISTORY_DAYS,
    DEFAULT_OPTIONS,
    DOMAIN,
    SUBENTRY_ROOM,
)

from .ha_client import HaClient, HaError
from .household import Household

DEV_NAME = "Developer"
DEV_USERNAME = "dev"
DEV_PASSWORD = "dev-password"
DASHBOARD_URL = "occupancy-demo"
DASHBOARD_VIEW = "rooms"
CARD_TYPE = "custom:occupancy-prediction-card"
ROOM_ENTITY_KEYS = (
    "occupancy",
    "next_transition",
    "time_until_transition",
    "prediction_confidence",
)


def entity_id_for(room_key: str) -> str:
    """A room's demo presence sensor (as ``occupancy_demo`` names it)."""
    return f"binary_sensor.demo_{room_key}_presence"


async def sign_in(client: HaClient, saved_token: str | None) -> str:
    """Onboard a fresh instance, or log into a prepared one; a long-lived token.

    ``saved_token`` (from an earlier run) is reused while it works, so the dev
    user's token list does not grow with every run.
    """
    if await client.is_onboarded():
        if saved_token:
            client.token = saved_token
            if await client.token_works():
                return saved_token
        await client.login(DEV_USERNAME, DEV_PASSWORD)
    else:
        await client.onboard(DEV_NAME, DEV_USERNAME, DEV_PASSWORD)
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return await client.create_long_lived_token(f"script/develop {stamp}")


async def create_rooms(client: HaClient, household: Household, history_days: int) -> str:
    """Create the hub entry, set its history window and add every room; the entry id."""
    result = await client.run_flow("flow", DOMAIN, [{}])
    entry_id = str(result["result"]["entry_id"])
    options = {**DEFAULT_OPTIONS, CONF_HISTORY_DAYS: history_days}
    await client.run_flow("options/flow", entry_id, [options])
    for room in household.rooms:
        await client.run_flow(
            "subentries/flow",
            [entry_id, SUBENTRY_ROOM],
            [
                {
                    "name": room.name,
                    "occupancy_sensors": [entity_id_for(room.key)],
                    "door_sensors": [],
                    "vacancy_delay": 5,
                }
            ],
        )
    # Workaround: each added room reloads the entry through its update
    # listener, but a room added while a reload is still running can be
    # missed (its entities stay unavailable). A user adds rooms seconds
    # apart; we add them within milliseconds. One reload at the end settles it.
    await client.post(f"/api/config/config_entries/entry/{entry_id}/reload", {})
    return entry_id


@dataclass(frozen=True, slots=True)
class RoomEntities:
    """The entity ids the integration made for one room."""

    name: str
    entity_ids: Mapping[str, str]


async def room_entities(client: HaClient) -> list[RoomEntities]:
    """Every room of the Occupancy Prediction entry with its entity ids, by key."""
    entries = await client.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
    if not entries:
        msg = "no Occupancy Prediction entry"
        raise HaError(msg)
    entry_id = entries[0]["entry_id"]
    subentries = await client.ws({"type": "config_entries/subentries/list", "entry_id": entry_id})
    registry = await client.ws({"type": "config/entity_registry/list"})
    rooms: list[RoomEntities] = []
    for subentry in subentries:
        ids: dict[str, str] = {}
        for entity in registry:
            if entity.get("config_subentry_id") != subentry["subentry_id"]:
                continue
            key = str(entity.get("unique_id", "")).removeprefix(subentry["subentry_id"] + "_")
            ids[key] = entity["entity_id"]
        rooms.append(RoomEntities(subentry["title"], ids))
    return rooms


def dashboard_config(title: str, rooms: list[RoomEntities]) -> dict[str, Any]:
    """The integration's own card, then one entities card per room and the hub status."""
    cards: list[dict[str, Any]] = [
        {"type": CARD_TYPE, "title": "Occupancy prediction"},
        {
            "type": "markdown",
            "content": f"**{title}**\n\nReplayed live into this Home Assistant by "
            "`script/develop`; each room learns from the recorder history and "
            "predicts its next occupancy change.",
        },
        {
            "type": "entities",
            "title": "Occupancy Prediction",
            "entities": ["sensor.occupancy_prediction_status"],
        },
    ]
    for room in rooms:
        entities = [room.entity_ids[key] for key in ROOM_ENTITY_KEYS if key in room.entity_ids]
        cards.append({"type": "entities", "title": room.name, "entities": entities})
    return {
        "title": "Occupancy demo",
        "views": [{"title": "Rooms", "path": DASHBOARD_VIEW, "cards": cards}],
    }


async def create_dashboard(client: HaClient, title: str, rooms: list[RoomEntities]) -> None:
    """Create (or overwrite) the demo dashboard."""
    try:
        await client.ws(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_URL,
                "title": "Occupancy demo",
                "icon": "mdi:home-clock",
                "show_in_sidebar": True,
                "require_admin": False,
                "mode": "storage",
            }
        )
    except HaError as err:
        if "already" not in str(err).lower():
            raise
    await client.ws(
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD_URL,
            "config": dashboard_config(title, rooms),
        }
    )
