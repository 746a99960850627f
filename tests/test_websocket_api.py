"""The occupancy_prediction/* websocket commands, through Home Assistant's websocket."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
import importlib.util
from pathlib import Path
import re
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.occupancy_prediction.alerts import AlertKind, AlertSeverity
from custom_components.occupancy_prediction.const import (
    CONF_ACK_TIMEOUT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_MAX_MESSAGES_PER_MINUTE,
    CONF_MAX_SUBSCRIPTIONS,
    CONF_RETRAIN_TIME,
    DOMAIN,
)
from custom_components.occupancy_prediction.coordinator import (
    HubStatus,
    OccupancyCoordinator,
    OccupancyData,
    RoomSnapshot,
)
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import (
    Contribution,
    InsufficientHistory,
    Prediction,
)
from custom_components.occupancy_prediction.ws_hub import (
    DATA_HUB,
    humanize_seconds,
    next_retrain,
)

from .conftest import room_subentry, setup_entry

KITCHEN = "kitchen_id"
BEDROOM = "bedroom_id"
MOTION = "binary_sensor.kitchen_motion"
DOOR = "binary_sensor.kitchen_door"
PRESENCE = "binary_sensor.bedroom_presence"
ALERTS_KEY = f"{DOMAIN}.alerts"

PREDICTION_FIELDS = {
    "room_id",
    "room_name",
    "occupied",
    "state",
    "state_since",
    "status",
    "transition_type",
    "predicted_time",
    "time_until_seconds",
    "time_until_human",
    "confidence_score",
    "interval",
    "occupancy_forecast",
    "model",
    "contributions",
    "episodes",
}


# -- helpers ------------------------------------------------------------------


class Sub:
    """The client side of one subscription: checks every frame's envelope and sequence."""

    def __init__(self, client: Any, msg_id: int) -> None:
        self.client = client
        self.id = msg_id
        self.seq = 0

    async def next(self, message_type: str) -> dict[str, Any]:
        msg = await self.client.receive_json()
        assert msg["id"] == self.id, msg
        assert msg["type"] == "event", msg
        event = msg["event"]
        assert set(event) == {"message_id", "message_type", "timestamp", "sequence", "data"}
        self.seq += 1
        assert event["sequence"] == self.seq, "sequence must have no gaps"
        assert event["message_type"] == message_type, event
        assert re.fullmatch(r"[0-9a-f]{32}", event["message_id"])
        assert event["timestamp"] == dt_util.utcnow().isoformat()
        return dict(event["data"])


async def call(client: Any, command: str, **fields: Any) -> dict[str, Any]:
    await client.send_json_auto_id({"type": f"{DOMAIN}/{command}", **fields})
    return dict(await client.receive_json())


async def subscribe(client: Any, command: str, **fields: Any) -> Sub:
    msg = await call(client, command, **fields)
    assert msg["success"], msg
    assert msg["result"] is None
    return Sub(client, msg["id"])


async def assert_quiet(client: Any) -> None:
    """Nothing is queued for ``client``: the next frame is the answer to a ping."""
    await client.send_json_auto_id({"type": "ping"})
    msg = await client.receive_json()
    assert msg["type"] == "pong", msg


def set_sensors(hass: HomeAssistant) -> None:
    hass.states.async_set(MOTION, "off", {"device_class": "motion"})
    hass.states.async_set(DOOR, "off", {"device_class": "door"})
    hass.states.async_set(PRESENCE, "off", {"device_class": "presence"})


@pytest.fixture(autouse=True)
def t0(freezer: FrozenDateTimeFactory) -> datetime:
    """Freeze the clock at the next whole second (access tokens stay valid)."""
    now = (dt_util.utcnow() + timedelta(seconds=1)).replace(microsecond=0)
    freezer.move_to(now)
    return now


async def load(hass: HomeAssistant, entry: MockConfigEntry, **options: Any) -> OccupancyCoordinator:
    set_sensors(hass)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator: OccupancyCoordinator = entry.runtime_data
    return coordinator


def learning(episodes: int, state: RoomState = RoomState.VACANT) -> RoomSnapshot:
    return RoomSnapshot(
        state=state,
        since=dt_util.utcnow(),
        prediction=InsufficientHistory(episodes=episodes, needed=3),
        episodes=episodes,
    )


def publish(
    coordinator: OccupancyCoordinator,
    status: HubStatus = HubStatus.LEARNING,
    **rooms: RoomSnapshot,
) -> None:
    """Push crafted room snapshots through the coordinator (the real update path)."""
    data = coordinator.data
    coordinator.async_set_updated_data(
        OccupancyData(rooms={**data.rooms, **rooms}, status=status, computed_at=dt_util.utcnow())
    )


async def flush_store(hass: HomeAssistant) -> None:
    """Run the store's due delayed write (a frozen loop clock never reaches "now + 0")."""
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


# -- not loaded, formats, one-shot commands -------------------------------------


async def test_every_command_answers_not_loaded_without_an_entry(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    config_entry: MockConfigEntry,
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_ws_client(hass)
    commands: list[tuple[str, dict[str, Any]]] = [
        ("subscribe_predictions", {}),
        ("subscribe_status", {}),
        ("subscribe_alerts", {}),
        ("get_predictions", {}),
        ("get_status", {}),
        ("get_alerts", {}),
        ("get_accuracy", {"room_id": KITCHEN}),
        ("get_forecast", {"room_id": KITCHEN}),
        ("acknowledge_alert", {"alert_id": "x"}),
        ("retrain", {}),
        ("get_stats", {}),
    ]
    for command, fields in commands:
        msg = await call(client, command, **fields)
        assert not msg["success"], command
        assert msg["error"]["code"] == "not_loaded", command

    # Loaded, then unloaded: not_loaded again.
    set_sensors(hass)
    await setup_entry(hass, config_entry)
    assert (await call(client, "get_status"))["success"]
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert (await call(client, "get_status"))["error"]["code"] == "not_loaded"


async def test_malformed_messages_get_invalid_format(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    config_entry: MockConfigEntry,
) -> None:
    await load(hass, config_entry)
    client = await hass_ws_client(hass)
    bad: list[tuple[str, dict[str, Any]]] = [
        ("subscribe_predictions", {"rooms": KITCHEN}),
        ("subscribe_predictions", {"rooms": []}),
        ("subscribe_predictions", {"rooms": [1]}),
        ("subscribe_status", {"extra": 1}),
        ("subscribe_alerts", {"include_acknowledged": "maybe"}),
        ("get_alerts", {"active_only": "yes"}),
        ("get_accuracy", {"room_id": KITCHEN, "window": "1h"}),
        ("get_accuracy", {}),
        ("get_forecast", {}),
        ("acknowledge_alert", {}),
        ("retrain", {"rooms": "all"}),
    ]
    for command, fields in bad:
        msg = await call(client, command, **fields)
        assert msg["error"]["code"] == "invalid_format", (command, fields)
    # Nothing changed: no subscription was made.
    assert (await call(client, "get_stats"))["result"]["total_subscriptions"] == 0


async def test_get_predictions_and_status(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    t0: datetime,
    config_entry: MockConfigEntry,
) -> None:
    await load(hass, config_entry)
    client = await hass_ws_client(hass)

    msg = await call(client, "get_predictions")
    rooms = msg["result"]["rooms"]
    assert [r["room_id"] for r in rooms] == [KITCHEN, BEDROOM]
    kitchen = rooms[0]
    assert set(kitchen) == PREDICTION_FIELDS | {"learning"}
    assert kitchen["room_name"] == "Kitchen"
    assert kitchen["occupied"] is False
    assert kitchen["state"] == "vacant"
    assert kitchen["state_since"] == t0.isoformat()
    assert kitchen["status"] == "learning"
    assert kitchen["predicted_time"] is None
    assert kitchen["learning"] == {"episodes": 0, "needed": 3}

    msg = await call(client, "get_predictions", rooms=[BEDROOM])
    assert [r["room_name"] for r in msg["result"]["rooms"]] == ["Bedroom"]
    msg = await call(client, "get_predictions", rooms=[BEDROOM, "nope"])
    assert msg["error"]["code"] == "not_found"
    assert "nope" in msg["error"]["message"]

    status = (await call(client, "get_status"))["result"]
    assert status["state"] == "learning"
    assert status["history_loaded"] is True
    assert status["subscribers"] == {"predictions": 0, "status": 0, "alerts": 0}
    assert status["uptime_seconds"] == 0
    # The next 03:30 local time (the default retrain_time).
    upcoming = dt_util.parse_datetime(status["next_retrain"])
    assert upcoming is not None
    assert dt_util.utcnow() < upcoming <= dt_util.utcnow() + timedelta(days=1)
    assert dt_util.as_local(upcoming).time().isoformat() == "03:30:00"
    not_a_time = SimpleNamespace(config_entry=SimpleNamespace(options={CONF_RETRAIN_TIME: "x"}))
    assert next_retrain(not_a_time) is None  # type: ignore[arg-type]
    assert status["rooms"][BEDROOM] == {
        "room_name": "Bedroom",
        "state": "vacant",
        "status": "learning",
        "episodes": 0,
        # Fitted (on nothing yet) right after the history import, under the frozen clock.
        "trained_at": t0.isoformat(),
        "training_duration_seconds": 0.0,
        "accuracy": {"24h": None, "7d": None},
    }


async def test_ready_prediction_payload_matches_the_entities(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    t0: datetime,
    config_entry: MockConfigEntry,
) -> None:
    coordinator = await load(hass, config_entry)
    prediction = Prediction(
        transition_type=RoomState.OCCUPIED,
        predicted_time=t0 + timedelta(minutes=12, seconds=30),
        interval_lower=t0 + timedelta(minutes=5),
        interval_upper=t0 + timedelta(hours=1, minutes=5),
        confidence=0.625,
        model="ensemble",
        occupancy_forecast={60: 0.75, 15: 0.25},
        contributions=(
            Contribution("hazard", t0 + timedelta(minutes=10), 0.6),
            Contribution("hourly_median", None, 0.4),
        ),
    )
    publish(
        coordinator,
        HubStatus.READY,
        bedroom_id=RoomSnapshot(RoomState.VACANT, t0, prediction, 7),
    )
    await hass.async_block_till_done()
    client = await hass_ws_client(hass)
    bedroom = (await call(client, "get_predictions", rooms=[BEDROOM]))["result"]["rooms"][0]
    assert bedroom == {
        "room_id": BEDROOM,
        "room_name": "Bedroom",
        "occupied": False,
        "state": "vacant",
        "state_since": t0.isoformat(),
        "status": "ready",
        "transition_type": "occupied",
        "predicted_time": (t0 + timedelta(minutes=12, seconds=30)).isoformat(),
        "time_until_seconds": 750.0,
        "time_until_human": "in 12 minutes",
        "confidence_score": 0.625,
        "interval": {
            "lower": (t0 + timedelta(minutes=5)).isoformat(),
            "upper": (t0 + timedelta(hours=1, minutes=5)).isoformat(),
            "level": 0.8,
        },
        "occupancy_forecast": [
            {"horizon_minutes": 15.0, "probability": 0.25},
            {"horizon_minutes": 60.0, "probability": 0.75},
        ],
        "model": {"name": "ensemble", "trained_at": None},
        "contributions": [
            {
                "model": "hazard",
                "predicted_time": (t0 + timedelta(minutes=10)).isoformat(),
                "weight": 0.6,
            },
            {"model": "hourly_median", "predicted_time": None, "weight": 0.4},
        ],
        "episodes": 7,
    }
    next_transition = hass.states.get("sensor.bedroom_next_transition")
    assert next_transition.state == bedroom["predicted_time"]
    # The entity carries the same forecast and contributions, as small JSON values.
    assert next_transition.attributes["model"] == "ensemble"
    assert next_transition.attributes["occupancy_forecast"] == {"15": 0.25, "60": 0.75}
    assert next_transition.attributes["contributions"] == bedroom["contributions"]
    forecast = (await call(client, "get_forecast", room_id=BEDROOM))["result"]
    assert forecast == {
        "room_id": BEDROOM,
        "available": True,
        "horizons": bedroom["occupancy_forecast"],
    }
    # A prediction beyond the 24 h horizon.
    publish(
        coordinator,
        HubStatus.READY,
        bedroom_id=RoomSnapshot(
            RoomState.VACANT,
            t0,
            replace(prediction, predicted_time=None, occupancy_forecast={}, contributions=()),
            7,
        ),
    )
    bedroom = (await call(client, "get_predictions", rooms=[BEDROOM]))["result"]["rooms"][0]
    assert bedroom["predicted_time"] is None
    assert bedroom["time_until_seconds"] is None
    assert bedroom["time_until_human"] == "not within 24 hours"
    assert bedroom["occupancy_forecast"] is None
    assert bedroom["contributions"] is None
    attributes = hass.states.get("sensor.bedroom_next_transition").attributes
    assert attributes["occupancy_forecast"] == {}
    assert attributes["contributions"] == []


def test_humanize_seconds() -> None:
    assert humanize_seconds(-5) == "in less than a minute"
    assert humanize_seconds(59) == "in less than a minute"
    assert humanize_seconds(60) == "in 1 minute"
    assert humanize_seconds(3600) == "in 1 hour"
    assert humanize_seconds(2 * 3600 + 5 * 60 + 59) == "in 2 hours 5 minutes"


async def test_accuracy_and_forecast_are_not_made_up(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    config_entry: MockConfigEntry,
) -> None:
    await load(hass, config_entry)
    client = await hass_ws_client(hass)
    msg = await call(client, "get_accuracy", room_id=KITCHEN, window="7d")
    assert msg["result"] == {
        "room_id": KITCHEN,
        "window": "7d",
        "available": False,
        "reason": "no_scores",
        "metrics": None,
        "predictions": [],
    }
    assert (await call(client, "get_accuracy", room_id=KITCHEN))["result"]["window"] == "24h"
    msg = await call(client, "get_forecast", room_id=KITCHEN)
    assert msg["result"] == {
        "room_id": KITCHEN,
        "available": False,
        "horizons": [],
        "reason": "not_supported",
    }
    for command in ("get_accuracy", "get_forecast"):
        assert (await call(client, command, room_id="nope"))["error"]["code"] == "not_found"


# -- streams --------------------------------------------------------------------


async def test_subscribe_predictions_snapshot_then_updates(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    t0: datetime,
    config_entry: MockConfigEntry,
) -> None:
    await load(hass, config_entry)
    client = await hass_ws_client(hass)
    sub = await subscribe(client, "subscribe_predictions")
    kitchen = await sub.next("prediction_update")
    assert set(kitchen) == PREDICTION_FIELDS | {"learning"}
    assert (kitchen["room_id"], kitchen["occupied"]) == (KITCHEN, False)
    bedroom = await sub.next("prediction_update")
    assert (bedroom["room_id"], bedroom["occupied"], bedroom["status"]) == (
        BEDROOM,
        False,
        "learning",
    )
    await assert_quiet(client)

    freezer.tick(timedelta(seconds=10))
    hass.states.async_set(PRESENCE, "on", {"device_class": "presence"})
    await hass.async_block_till_done(wait_background_tasks=True)
    bedroom = await sub.next("prediction_update")
    assert bedroom["room_id"] == BEDROOM
    assert bedroom["occupied"] is True
    assert bedroom["state_since"] == (t0 + timedelta(seconds=10)).isoformat()
    # Training after the change updated the episode count: one more frame at most.
    while True:
        await client.send_json_auto_id({"type": "ping"})
        msg = await client.receive_json()
        if msg["type"] == "pong":
            break
        assert msg["event"]["message_type"] == "prediction_update"
        assert msg["event"]["data"]["room_id"] == BEDROOM
        sub.seq += 1
        assert msg["event"]["sequence"] == sub.seq
        assert (await client.receive_json())["type"] == "pong"
        break

    # Kitchen motion.
    hass.states.async_set(MOTION, "on", {"device_class": "motion"})
    await hass.async_block_till_done()
    kitchen = await sub.next("prediction_update")
    assert (kitchen["room_id"], kitchen["occupied"]) == (KITCHEN, True)


async def test_room_filter_and_unknown_room(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    config_entry: MockConfigEntry,
) -> None:
    coordinator = await load(hass, config_entry)
    client = await hass_ws_client(hass)
    msg = await call(client, "subscribe_predictions", rooms=[BEDROOM, "nope"])
    assert msg["error"]["code"] == "not_found"
    assert (await call(client, "get_stats"))["result"]["total_subscriptions"] == 0

    sub = await subscribe(client, "subscribe_predictions", rooms=[BEDROOM])
    assert (await sub.next("prediction_update"))["room_id"] == BEDROOM
    publish(coordinator, kitchen_id=learning(1))
    await assert_quiet(client)
    publish(coordinator, bedroom_id=learning(2))
    data = await sub.next("prediction_update")
    assert (data["room_id"], data["episodes"]) == (BEDROOM, 2)
    # The same prediction again is no change.
    publish(coordinator, bedroom_id=learning(2))
    await assert_quiet(client)


async def test_subscribe_status_changes_and_heartbeats(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    coordinator = await load(hass, config_entry, **{CONF_HEARTBEAT_INTERVAL: 30})
    client = await hass_ws_client(hass)
    sub = await subscribe(client, "subscribe_status")
    status = await sub.next("system_status")
    assert status["state"] == "learning"
    assert status["subscribers"] == {"predictions": 0, "status": 1, "alerts": 0}
    assert set(status["rooms"]) == {KITCHEN, BEDROOM}

    await tick(hass, freezer, 30)
    beat = await sub.next("heartbeat")
    assert beat == {
        "uptime_seconds": 30.0,
        "subscribers": {"predictions": 0, "status": 1, "alerts": 0},
    }
    await assert_quiet(client)
    # The coordinator's minute refresh changes nothing: no system_status.
    await tick(hass, freezer, 30)
    assert (await sub.next("heartbeat"))["uptime_seconds"] == 60.0
    await assert_quiet(client)

    publish(
        coordinator, HubStatus.DEGRADED, bedroom_id=RoomSnapshot(RoomState.UNKNOWN, None, None, 0)
    )
    status = await sub.next("system_status")
    assert status["state"] == "degraded"
    assert status["rooms"][BEDROOM]["status"] == "unknown"
    assert status["rooms"][BEDROOM]["state"] == "unknown"
    await assert_quiet(client)


async def test_heartbeats_are_skipped_without_a_token(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: Any,
    config_entry: MockConfigEntry,
) -> None:
    await load(
        hass,
        config_entry,
        **{CONF_HEARTBEAT_INTERVAL: 30, CONF_MAX_MESSAGES_PER_MINUTE: 1},
    )
    client = await hass_ws_client(hass)
    sub = await subscribe(client, "subscribe_status")
    await sub.next("system_status")  # snapshots take no token
    await tick(hass, freezer, 30)
    await sub.next("heartbeat")  # takes the one token
    await tick(hass, freezer, 30)  # half a token: skipped
    await assert_quiet(client)
    await tick(hass, freezer, 30)
    assert (await sub.next("heartbeat"))["uptime_seconds"] == 90.0
    stats = (await call(client, "get_stats"))["result"]
    assert stats["streams"]["status"] == {
        "subscribers": 1,
        "messages_sent": 3,
        "coalesced": 0,
        "skipped": 1,
        "redelivered": 0,
    }
    assert stats["connections"] == [
        {
            "user_id": hass_admin_user.id,
            "subscriptions": 1,
            "messages_sent": 3,
            "coalesced": 0,
            "skipped": 1,
            "messages_per_minute": 2.0,
        }
    ]


async def test_burst_is_coalesced_newest_per_room(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    """3 messages a minute: three pass, the rest wait newest-per-room, one every 20 s."""
    coordinator = await load(hass, config_entry, **{CONF_MAX_MESSAGES_PER_MINUTE: 3})
    client = await hass_ws_client(hass)
    sub = await subscribe(client, "subscribe_predictions")
    await sub.next("prediction_update")
    await sub.next("prediction_update")

    for room, episodes in [
        ("kitchen_id", 1),
        ("bedroom_id", 1),
        ("kitchen_id", 2),  # last token
        ("bedroom_id", 2),  # limited: waits
        ("kitchen_id", 3),  # waits
        ("bedroom_id", 3),  # replaces bedroom 2
        ("kitchen_id", 4),  # replaces kitchen 3
    ]:
        publish(coordinator, **{room: learning(episodes)})
    received = [await sub.next("prediction_update") for _ in range(3)]
    assert [(d["room_id"], d["episodes"]) for d in received] == [
        (KITCHEN, 1),
        (BEDROOM, 1),
        (KITCHEN, 2),
    ]
    assert await sub.next("subscription_limited") == {"max_messages_per_minute": 3.0}
    await assert_quiet(client)

    await tick(hass, freezer, 19)
    await assert_quiet(client)
    await tick(hass, freezer, 1)
    data = await sub.next("prediction_update")
    assert (data["room_id"], data["episodes"]) == (BEDROOM, 3)
    await assert_quiet(client)
    await tick(hass, freezer, 20)
    data = await sub.next("prediction_update")
    assert (data["room_id"], data["episodes"]) == (KITCHEN, 4)
    await tick(hass, freezer, 10)
    await assert_quiet(client)

    stats = (await call(client, "get_stats"))["result"]
    assert stats["streams"]["predictions"]["coalesced"] == 2
    assert stats["streams"]["predictions"]["messages_sent"] == 8

    # Half a token at 50 s: limited again, sent at 60 s.
    publish(coordinator, kitchen_id=learning(5))
    await sub.next("subscription_limited")
    await tick(hass, freezer, 10)
    data = await sub.next("prediction_update")
    assert (data["room_id"], data["episodes"]) == (KITCHEN, 5)


async def test_status_changes_coalesce_too(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    coordinator = await load(hass, config_entry, **{CONF_MAX_MESSAGES_PER_MINUTE: 2})
    client = await hass_ws_client(hass)
    sub = await subscribe(client, "subscribe_status")
    await sub.next("system_status")
    for episodes in (1, 2, 3, 4):
        publish(coordinator, kitchen_id=learning(episodes))
    assert (await sub.next("system_status"))["rooms"][KITCHEN]["episodes"] == 1
    assert (await sub.next("system_status"))["rooms"][KITCHEN]["episodes"] == 2
    await sub.next("subscription_limited")
    await assert_quiet(client)
    await tick(hass, freezer, 30)
    assert (await sub.next("system_status"))["rooms"][KITCHEN]["episodes"] == 4
    await assert_quiet(client)


async def test_subscription_cap(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    config_entry: MockConfigEntry,
) -> None:
    await load(hass, config_entry, **{CONF_MAX_SUBSCRIPTIONS: 2})
    client = await hass_ws_client(hass)
    first = await subscribe(client, "subscribe_status")
    await first.next("system_status")
    second = await subscribe(client, "subscribe_alerts")
    for _ in range(2):  # the two insufficient_history alerts
        await second.next("alert")
    for command in ("subscribe_predictions", "subscribe_status", "subscribe_alerts"):
        msg = await call(client, command)
        assert msg["error"]["code"] == "too_many_subscriptions"
    stats = (await call(client, "get_stats"))["result"]
    assert stats["total_subscriptions"] == 2
    assert stats["max_subscriptions"] == 2

    await client.send_json_auto_id({"type": "unsubscribe_events", "subscription": first.id})
    assert (await client.receive_json())["success"]
    await subscribe(client, "subscribe_predictions")


async def test_unsubscribe_and_close_leave_no_timer(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    config_entry: MockConfigEntry,
) -> None:
    coordinator = await load(hass, config_entry, **{CONF_MAX_MESSAGES_PER_MINUTE: 1})
    hub = hass.data[DATA_HUB]
    client = await hass_ws_client(hass)
    status = await subscribe(client, "subscribe_status")
    await status.next("system_status")
    predictions = await subscribe(client, "subscribe_predictions")
    await predictions.next("prediction_update")
    await predictions.next("prediction_update")
    publish(coordinator, kitchen_id=learning(1))
    publish(coordinator, kitchen_id=learning(2))  # waits for a token: a flush timer
    subs = list(hub.subscriptions)
    assert len(subs) == 2
    status_sub = next(s for s in subs if s.msg_id == status.id)
    predictions_sub = next(s for s in subs if s.msg_id == predictions.id)
    assert status_sub.heartbeat_unsub is not None
    flush_timer = predictions_sub.flush_timer
    assert flush_timer is not None

    await client.send_json_auto_id({"type": "unsubscribe_events", "subscription": predictions.id})
    while (msg := await client.receive_json())["type"] == "event":
        pass  # frames sent before the unsubscribe
    assert msg["success"]
    assert flush_timer.cancelled()
    assert predictions_sub.pending == {}
    assert hub.subscriptions == [status_sub]
    msg = await call(client, "get_stats")
    assert msg["result"]["streams"]["predictions"]["subscribers"] == 0

    await client.close()
    await hass.async_block_till_done()
    assert hub.subscriptions == []
    assert status_sub.heartbeat_unsub is None


async def test_streams_survive_a_reload(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    config_entry: MockConfigEntry,
) -> None:
    old = await load(hass, config_entry)
    client = await hass_ws_client(hass)
    predictions = await subscribe(client, "subscribe_predictions")
    await predictions.next("prediction_update")
    await predictions.next("prediction_update")
    bedroom_only = await subscribe(client, "subscribe_predictions", rooms=[BEDROOM])
    await bedroom_only.next("prediction_update")
    status_client = await hass_ws_client(hass)
    status = await subscribe(status_client, "subscribe_status")
    await status.next("system_status")

    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await predictions.next("stream_reset") == {"reason": "entry_reloaded"}
    assert [(await predictions.next("prediction_update"))["room_id"] for _ in range(2)] == [
        KITCHEN,
        BEDROOM,
    ]
    await bedroom_only.next("stream_reset")
    assert (await bedroom_only.next("prediction_update"))["room_id"] == BEDROOM
    await assert_quiet(client)
    await status.next("stream_reset")
    # The snapshot is taken at the first refresh, before the history import.
    # The snapshot comes from the first refresh or, if the recorder answered
    # first, from the end of the history import; either way the import's end
    # is announced.
    snapshot = await status.next("system_status")
    assert snapshot["uptime_seconds"] == 0
    if not snapshot["history_loaded"]:
        assert (await status.next("system_status"))["history_loaded"] is True
    await assert_quiet(status_client)
    hub = hass.data[DATA_HUB]
    (status_sub,) = [s for s in hub.subscriptions if s.stream.value == "status"]
    assert status_sub.heartbeat_unsub is not None

    # Removing the kitchen reloads the entry too.
    assert hass.config_entries.async_remove_subentry(config_entry, KITCHEN)
    await hass.async_block_till_done(wait_background_tasks=True)
    await predictions.next("stream_reset")
    assert await predictions.next("room_removed") == {"room_id": KITCHEN, "room_name": "Kitchen"}
    assert (await predictions.next("prediction_update"))["room_id"] == BEDROOM
    await bedroom_only.next("stream_reset")
    await bedroom_only.next("prediction_update")

    # Adding a room: room_added for unfiltered streams only.
    hass.states.async_set("binary_sensor.study_presence", "off", {"device_class": "presence"})
    hass.config_entries.async_add_subentry(
        config_entry,
        _subentry(room_subentry("study_id", "Study", ["binary_sensor.study_presence"])),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    await predictions.next("stream_reset")
    assert await predictions.next("room_added") == {"room_id": "study_id", "room_name": "Study"}
    assert [(await predictions.next("prediction_update"))["room_id"] for _ in range(2)] == [
        BEDROOM,
        "study_id",
    ]
    await bedroom_only.next("stream_reset")
    await bedroom_only.next("prediction_update")
    await assert_quiet(client)

    # A late update of the unloaded coordinator is ignored.
    old.async_update_listeners()
    await assert_quiet(client)

    # And the streams keep working.
    hass.states.async_set(PRESENCE, "on", {"device_class": "presence"})
    await hass.async_block_till_done()
    assert (await predictions.next("prediction_update"))["occupied"] is True
    assert (await bedroom_only.next("prediction_update"))["occupied"] is True


def _subentry(data: dict[str, Any]) -> Any:
    from homeassistant.config_entries import ConfigSubentry  # noqa: PLC0415

    return ConfigSubentry(
        data=data["data"],
        subentry_id=data["subentry_id"],
        subentry_type=data["subentry_type"],
        title=data["title"],
        unique_id=None,
    )


# -- alerts ---------------------------------------------------------------------


async def test_critical_alert_redelivered_until_acknowledged(
    hass: HomeAssistant,
    *,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    hass_admin_user: Any,
    freezer: FrozenDateTimeFactory,
    t0: datetime,
    config_entry: MockConfigEntry,
) -> None:
    await load(hass, config_entry, **{CONF_ACK_TIMEOUT: 30})
    events = async_capture_events(hass, f"{DOMAIN}_alert")
    admin = await hass_ws_client(hass)
    user = await hass_ws_client(hass, hass_read_only_access_token)
    sub = await subscribe(user, "subscribe_alerts")
    snapshot = [await sub.next("alert") for _ in range(2)]
    assert [(a["kind"], a["room_id"], a["severity"]) for a in snapshot] == [
        ("insufficient_history", KITCHEN, "info"),
        ("insufficient_history", BEDROOM, "info"),
    ]
    assert snapshot[0]["requires_ack"] is False

    hass.states.async_set(PRESENCE, "unavailable")
    await hass.async_block_till_done()
    alert = await sub.next("alert")
    alert_id = alert["alert_id"]
    assert alert == {
        "alert_id": alert_id,
        "kind": "sensor_unavailable",
        "severity": "critical",
        "room_id": BEDROOM,
        "message": "Every occupancy sensor of Bedroom is unavailable",
        "created_at": t0.isoformat(),
        "requires_ack": True,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "resolved_at": None,
    }
    assert events[-1].data == {**alert, "change": "new"}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"alert_{alert_id}")
    assert issue is not None
    assert issue.translation_key == "alert_sensor_unavailable"
    assert issue.translation_placeholders == {"room": "Bedroom", "message": alert["message"]}

    await tick(hass, freezer, 30)
    assert await sub.next("alert") == {**alert, "redelivery": 1}
    await tick(hass, freezer, 29)
    await assert_quiet(user)
    await tick(hass, freezer, 1)
    assert (await sub.next("alert"))["redelivery"] == 2

    # Only admins acknowledge.
    msg = await call(user, "acknowledge_alert", alert_id=alert_id)
    assert msg["error"]["code"] == "unauthorized"
    assert (await call(admin, "acknowledge_alert", alert_id="nope"))["error"]["code"] == "not_found"
    msg = await call(admin, "acknowledge_alert", alert_id=alert_id)
    acknowledged = {
        **alert,
        "acknowledged_at": (t0 + timedelta(seconds=60)).isoformat(),
        "acknowledged_by": hass_admin_user.id,
    }
    assert msg["result"] == acknowledged
    assert await sub.next("alert_updated") == {**acknowledged, "change": "acknowledged"}
    assert events[-1].data["change"] == "acknowledged"
    await tick(hass, freezer, 90)
    await assert_quiet(user)
    stats = (await call(admin, "get_stats"))["result"]
    assert stats["streams"]["alerts"]["redelivered"] == 2

    # get_alerts; acknowledged again changes nothing.
    assert (await call(admin, "acknowledge_alert", alert_id=alert_id))["result"] == acknowledged
    alerts = (await call(user, "get_alerts"))["result"]["alerts"]
    assert [a["kind"] for a in alerts] == [
        "insufficient_history",
        "insufficient_history",
        "sensor_unavailable",
    ]

    # The sensor comes back: resolved, the Repairs issue closes.
    hass.states.async_set(PRESENCE, "off", {"device_class": "presence"})
    await hass.async_block_till_done()
    resolved = await sub.next("alert_updated")
    assert resolved["change"] == "resolved"
    assert resolved["resolved_at"] == (t0 + timedelta(seconds=150)).isoformat()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"alert_{alert_id}") is None
    active = (await call(user, "get_alerts", active_only=True))["result"]["alerts"]
    assert alert_id not in [a["alert_id"] for a in active]


async def test_include_acknowledged_and_training_failed(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    config_entry: MockConfigEntry,
) -> None:
    coordinator = await load(hass, config_entry)
    client = await hass_ws_client(hass)
    publish(coordinator, HubStatus.ERROR)
    await hass.async_block_till_done()
    alerts = (await call(client, "get_alerts", active_only=True))["result"]["alerts"]
    failed = next(a for a in alerts if a["kind"] == "training_failed")
    assert failed["room_id"] is None
    assert failed["severity"] == "critical"
    await call(client, "acknowledge_alert", alert_id=failed["alert_id"])

    plain = await subscribe(client, "subscribe_alerts")
    assert [(await plain.next("alert"))["kind"] for _ in range(2)] == [
        "insufficient_history",
        "insufficient_history",
    ]
    await assert_quiet(client)
    full = await subscribe(client, "subscribe_alerts", include_acknowledged=True)
    kinds = [(await full.next("alert"))["kind"] for _ in range(3)]
    assert kinds == ["insufficient_history", "insufficient_history", "training_failed"]

    publish(coordinator, HubStatus.LEARNING)
    assert (await plain.next("alert_updated"))["change"] == "resolved"
    assert (await full.next("alert_updated"))["change"] == "resolved"


async def test_unacknowledged_alerts_survive_a_restart(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    stored = {
        "alert_id": "a" * 32,
        "kind": "concept_drift",
        "severity": "critical",
        "room_id": KITCHEN,
        "message": "Kitchen is used differently",
        "created_at": "2026-01-03T07:00:00+00:00",
        "requires_ack": True,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "resolved_at": None,
        "redeliveries": 4,
    }
    hass_storage[ALERTS_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": ALERTS_KEY,
        "data": {"alerts": [stored, {"kind": "garbage"}, {**stored, "created_at": "nope"}]},
    }
    await load(hass, config_entry, **{CONF_ACK_TIMEOUT: 45})
    client = await hass_ws_client(hass)
    alerts = (await call(client, "get_alerts"))["result"]["alerts"]
    restored = {k: v for k, v in stored.items() if k != "redeliveries"}
    assert alerts[0] == restored
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"alert_{'a' * 32}")
    assert issue is not None
    assert issue.translation_placeholders == {"room": "Kitchen", "message": stored["message"]}

    sub = await subscribe(client, "subscribe_alerts")
    assert await sub.next("alert") == restored
    for _ in range(2):
        await sub.next("alert")
    # The restored alert was armed with the default timeout before the entry
    # was loaded; the next rounds use the entry's 45 s.
    await tick(hass, freezer, 30)
    assert (await sub.next("alert"))["redelivery"] == 5
    await tick(hass, freezer, 45)
    assert (await sub.next("alert"))["redelivery"] == 6
    await flush_store(hass)
    data = hass_storage[ALERTS_KEY]["data"]["alerts"]
    assert [(a["alert_id"], a["redeliveries"]) for a in data] == [("a" * 32, 6)]

    # Acknowledged: nothing awaits acknowledgement, the file goes.
    await call(client, "acknowledge_alert", alert_id="a" * 32)
    await flush_store(hass)
    assert ALERTS_KEY not in hass_storage

    # A new critical alert is stored again; removing the integration deletes it all.
    hass.states.async_set(PRESENCE, "unavailable")
    await hass.async_block_till_done()
    (alert,) = [a for a in hass.data[DATA_HUB].alerts.alerts() if a.awaiting_ack]
    assert [a["alert_id"] for a in hass_storage[ALERTS_KEY]["data"]["alerts"]] == [alert.alert_id]
    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert ALERTS_KEY not in hass_storage
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"alert_{alert.alert_id}") is None
    assert hass.data[DATA_HUB].alerts.alerts() == []


# -- admin commands ---------------------------------------------------------------


async def test_retrain_and_stats_are_admin_only(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    config_entry: MockConfigEntry,
) -> None:
    await load(hass, config_entry)
    admin = await hass_ws_client(hass)
    user = await hass_ws_client(hass, hass_read_only_access_token)
    for command in ("retrain", "get_stats"):
        assert (await call(user, command))["error"]["code"] == "unauthorized"

    msg = await call(admin, "retrain")
    assert msg["result"] == {"rooms": [KITCHEN, BEDROOM], "duration_seconds": 0.0}
    msg = await call(admin, "retrain", rooms=[BEDROOM])
    assert msg["result"]["rooms"] == [BEDROOM]
    assert (await call(admin, "retrain", rooms=["nope"]))["error"]["code"] == "not_found"
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_escalation_and_shutdown(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, config_entry: MockConfigEntry
) -> None:
    await load(hass, config_entry)
    hub = hass.data[DATA_HUB]
    client = await hass_ws_client(hass)
    sub = await subscribe(client, "subscribe_alerts")
    kitchen = await sub.next("alert")
    await sub.next("alert")
    alert = hub.alerts.async_raise(
        AlertKind.INSUFFICIENT_HISTORY, AlertSeverity.WARNING, KITCHEN, "worse"
    )
    assert alert.alert_id == kitchen["alert_id"]
    escalated = await sub.next("alert_updated")
    assert (escalated["change"], escalated["severity"], escalated["message"]) == (
        "escalated",
        "warning",
        "worse",
    )
    assert escalated["requires_ack"] is False
    # The same or a lower severity again changes nothing.
    hub.alerts.async_raise(AlertKind.INSUFFICIENT_HISTORY, AlertSeverity.INFO, KITCHEN, "less")
    await assert_quiet(client)
    hub.alerts.async_raise(AlertKind.INSUFFICIENT_HISTORY, AlertSeverity.CRITICAL, KITCHEN, "bad")
    escalated = await sub.next("alert_updated")
    assert (escalated["severity"], escalated["requires_ack"]) == ("critical", True)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"alert_{alert.alert_id}")
    assert issue is not None
    assert issue.translation_key == "alert_insufficient_history"

    # Stopping: every subscription and timer goes.
    hub.async_shutdown()
    hub.alerts.async_shutdown()
    assert hub.subscriptions == []
    hub.alerts.async_raise(AlertKind.CONCEPT_DRIFT, AlertSeverity.INFO, KITCHEN, "after")
    await assert_quiet(client)


# The example's own aiohttp session closes its socket without waiting for the
# test server, whose per-connection heartbeat timer can outlive the test under
# the frozen clock; it is aiohttp's timer, not the integration's.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_example_client_prints_and_acknowledges(
    hass: HomeAssistant,
    *,
    aiohttp_client: Any,
    hass_access_token: str,
    socket_enabled: None,
    config_entry: MockConfigEntry,
) -> None:
    """examples/websocket_client.py against this Home Assistant."""
    spec = importlib.util.spec_from_file_location(
        "websocket_client", Path(__file__).parent.parent / "examples" / "websocket_client.py"
    )
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)

    await load(hass, config_entry)
    hass.states.async_set(PRESENCE, "unavailable")
    await hass.async_block_till_done()
    (critical,) = [a for a in hass.data[DATA_HUB].alerts.alerts() if a.requires_ack]
    server = await aiohttp_client(hass.http.app)
    lines: list[str] = []
    # 2 predictions + 3 alerts (2 info, 1 critical) + the acknowledgement.
    await example.run(
        str(server.make_url("/api/websocket")),
        hass_access_token,
        ack=True,
        max_events=6,
        out=lines.append,
    )
    assert critical.acknowledged_at is not None
    assert lines[0].startswith("connected to Home Assistant")
    assert "subscribed to predictions" in lines
    assert "subscribed to alerts" in lines
    assert any("Kitchen: vacant, learning" in line for line in lines)
    assert any("Bedroom: unknown, unknown" in line for line in lines)
    assert any(
        "[critical] Every occupancy sensor of Bedroom is unavailable (new)" in line
        for line in lines
    )
    assert any(line.endswith("(acknowledged)") for line in lines)

    with pytest.raises(example.ClientError, match="authentication failed"):
        await example.run(str(server.make_url("/api/websocket")), "bad", out=lines.append)
    await server.close()
    await hass.async_block_till_done()


async def test_large_fanout_yields_to_the_loop_and_sends_the_latest(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, config_entry: MockConfigEntry
) -> None:
    """With the time budget spent after every subscription, fan-out continues later, in order."""
    coordinator = await load(hass, config_entry)
    hub = hass.data[DATA_HUB]
    clients = [await hass_ws_client(hass) for _ in range(3)]
    subs = [await subscribe(client, "subscribe_predictions") for client in clients]
    for sub in subs:
        await sub.next("prediction_update")
        await sub.next("prediction_update")
    status_client = await hass_ws_client(hass)
    status = await subscribe(status_client, "subscribe_status")
    await status.next("system_status")

    with patch("custom_components.occupancy_prediction.ws_hub.FANOUT_BUDGET_SECONDS", -1.0):
        publish(coordinator, kitchen_id=learning(1))  # job A: first subscription only
        assert len(hub._jobs) == 1
        publish(coordinator, bedroom_id=learning(1))  # job B
        publish(coordinator, HubStatus.DEGRADED, kitchen_id=learning(2))  # merged into B
        assert len(hub._jobs) == 2

    async def received(sub: Sub, count: int) -> list[tuple[str, int]]:
        frames = [await sub.next("prediction_update") for _ in range(count)]
        return [(f["room_id"], f["episodes"]) for f in frames]

    assert await received(subs[0], 3) == [(KITCHEN, 1), (BEDROOM, 1), (KITCHEN, 2)]
    # Later subscriptions get the latest data at once, and no duplicate.
    for sub in subs[1:]:
        assert await received(sub, 2) == [(KITCHEN, 2), (BEDROOM, 1)]
    for client in clients:
        await assert_quiet(client)
    assert (await status.next("system_status"))["state"] == "degraded"
    await assert_quiet(status_client)
    assert not hub._jobs

    # A subscription closed while a fan-out is queued is skipped; a stop drops the queue.
    with patch("custom_components.occupancy_prediction.ws_hub.FANOUT_BUDGET_SECONDS", -1.0):
        publish(coordinator, kitchen_id=learning(3))  # delivered to the first subscription
        second = hub.subscriptions[1]
        second.close()
        assert second.closed
        assert (await subs[0].next("prediction_update"))["episodes"] == 3
        assert (await subs[2].next("prediction_update"))["episodes"] == 3
        await assert_quiet(clients[1])
        publish(coordinator, kitchen_id=learning(4))
        assert hub._jobs
        hub.async_shutdown()
        assert not hub._jobs
        await hass.async_block_till_done()
    assert hub.subscriptions == []
