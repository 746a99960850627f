"""The ``occupancy_prediction/*`` websocket commands (Home Assistant's own websocket).

Registered once in ``async_setup`` by :func:`async_setup_websocket_api`; they
survive entry reloads and answer ``not_loaded`` while no entry is loaded.
``docs/websocket_api.md`` describes every command, payload and error.
"""

from __future__ import annotations

import time
from typing import Any, Final, cast

from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import ERR_NOT_FOUND
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util import dt as dt_util
import probatio

from .alerts import AlertManager
from .const import CONF_ACK_TIMEOUT, DOMAIN
from .coordinator import SIGNAL_DATA_UPDATED, OccupancyCoordinator
from .ws_hub import (
    DATA_HUB,
    Stream,
    TooManySubscriptionsError,
    WsHub,
    accuracy_metrics,
    forecast_payload,
    prediction_payload,
)

ERR_NOT_LOADED: Final = "not_loaded"
ERR_TOO_MANY_SUBSCRIPTIONS: Final = "too_many_subscriptions"
WINDOWS: Final = ("24h", "7d")

_ROOMS = probatio.All([str], probatio.Length(min=1))


async def async_setup_websocket_api(hass: HomeAssistant) -> None:
    """Create the alert manager and the stream hub, and register every command.

    Call once per Home Assistant run (from ``async_setup``).
    """
    hub: WsHub | None = None

    def _ack_timeout() -> float:
        return hub.option(CONF_ACK_TIMEOUT) if hub is not None else 30.0

    def _room_name(room_id: str) -> str | None:
        return hub.room_name(room_id) if hub is not None else None

    alerts = AlertManager(hass, _ack_timeout, _room_name)
    hub = hass.data[DATA_HUB] = WsHub(hass, alerts)
    await alerts.async_load()
    async_dispatcher_connect(hass, SIGNAL_DATA_UPDATED, hub.async_coordinator_updated)

    @callback
    def _stop(_event: Event) -> None:
        hub.async_shutdown()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop)
    for command in (
        ws_subscribe_predictions,
        ws_subscribe_status,
        ws_subscribe_alerts,
        ws_get_predictions,
        ws_get_status,
        ws_get_alerts,
        ws_get_accuracy,
        ws_get_forecast,
        ws_acknowledge_alert,
        ws_retrain,
        ws_get_stats,
    ):
        websocket_api.async_register_command(hass, command)


async def async_remove_alerts(hass: HomeAssistant) -> None:
    """Forget every alert and delete their stored file (the integration is being removed)."""
    if (hub := hass.data.get(DATA_HUB)) is not None:
        await hub.alerts.async_clear()


def _coordinator(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> OccupancyCoordinator | None:
    """The loaded entry's coordinator; sends ``not_loaded`` and returns None without one."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        connection.send_error(
            msg["id"], ERR_NOT_LOADED, "Occupancy Prediction is not loaded (no entry is set up)"
        )
        return None
    return cast(OccupancyCoordinator, entries[0].runtime_data)


def _known_rooms(
    coordinator: OccupancyCoordinator,
    connection: ActiveConnection,
    msg: dict[str, Any],
    rooms: list[str] | None,
) -> bool:
    """Whether every id in ``rooms`` is a room; sends ``not_found`` naming the others if not."""
    unknown = [r for r in rooms or () if r not in coordinator.room_configs]
    if unknown:
        connection.send_error(msg["id"], ERR_NOT_FOUND, f"Unknown room id(s): {', '.join(unknown)}")
        return False
    return True


def _subscribe(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
    stream: Stream,
    **kwargs: Any,
) -> None:
    try:
        hass.data[DATA_HUB].subscribe(connection, msg["id"], stream, **kwargs)
    except TooManySubscriptionsError:
        connection.send_error(
            msg["id"],
            ERR_TOO_MANY_SUBSCRIPTIONS,
            "The maximum number of live subscriptions is reached",
        )


@websocket_command(
    {
        probatio.Required("type"): "occupancy_prediction/subscribe_predictions",
        probatio.Optional("rooms"): _ROOMS,
    }
)
@callback
def ws_subscribe_predictions(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Stream ``prediction_update`` frames: one per selected room, then one per change.

    ``rooms`` (room subentry ids) selects rooms; default all. Errors:
    ``not_loaded``, ``not_found`` (unknown room; no subscription is made),
    ``too_many_subscriptions``.
    """
    if (coordinator := _coordinator(hass, connection, msg)) is None:
        return
    rooms: list[str] | None = msg.get("rooms")
    if not _known_rooms(coordinator, connection, msg, rooms):
        return
    _subscribe(hass, connection, msg, Stream.PREDICTIONS, rooms=rooms)


@websocket_command({probatio.Required("type"): "occupancy_prediction/subscribe_status"})
@callback
def ws_subscribe_status(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Stream ``system_status`` (snapshot, then on change) and ``heartbeat`` frames.

    Errors: ``not_loaded``, ``too_many_subscriptions``.
    """
    if _coordinator(hass, connection, msg) is None:
        return
    _subscribe(hass, connection, msg, Stream.STATUS)


@websocket_command(
    {
        probatio.Required("type"): "occupancy_prediction/subscribe_alerts",
        probatio.Optional("include_acknowledged", default=False): bool,
    }
)
@callback
def ws_subscribe_alerts(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Stream the active alerts (``alert`` frames), then ``alert`` and ``alert_updated``.

    Acknowledged alerts are in the snapshot only with ``include_acknowledged``.
    Errors: ``not_loaded``, ``too_many_subscriptions``.
    """
    if _coordinator(hass, connection, msg) is None:
        return
    _subscribe(
        hass,
        connection,
        msg,
        Stream.ALERTS,
        include_acknowledged=msg["include_acknowledged"],
    )


@websocket_command(
    {
        probatio.Required("type"): "occupancy_prediction/get_predictions",
        probatio.Optional("rooms"): _ROOMS,
    }
)
@callback
def ws_get_predictions(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Answer ``{"rooms": [prediction_update data, ...]}`` for the selected rooms.

    Errors: ``not_loaded``, ``not_found``.
    """
    if (coordinator := _coordinator(hass, connection, msg)) is None:
        return
    rooms: list[str] | None = msg.get("rooms")
    if not _known_rooms(coordinator, connection, msg, rooms):
        return
    data = coordinator.data
    configs = coordinator.room_configs
    connection.send_result(
        msg["id"],
        {
            "rooms": [
                prediction_payload(room_id, configs[room_id].name, snap, data.computed_at)
                for room_id, snap in data.rooms.items()
                if rooms is None or room_id in rooms
            ]
        },
    )


@websocket_command({probatio.Required("type"): "occupancy_prediction/get_status"})
@callback
def ws_get_status(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Answer the ``system_status`` data. Errors: ``not_loaded``."""
    if (coordinator := _coordinator(hass, connection, msg)) is None:
        return
    connection.send_result(msg["id"], hass.data[DATA_HUB].status_payload(coordinator))


@websocket_command(
    {
        probatio.Required("type"): "occupancy_prediction/get_alerts",
        probatio.Optional("active_only", default=False): bool,
    }
)
@callback
def ws_get_alerts(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Answer ``{"alerts": [...]}``: this run's alerts, or only unresolved ones.

    Errors: ``not_loaded``.
    """
    if _coordinator(hass, connection, msg) is None:
        return
    alerts = hass.data[DATA_HUB].alerts.alerts(active_only=msg["active_only"])
    connection.send_result(msg["id"], {"alerts": [alert.as_dict() for alert in alerts]})


@websocket_command(
    {
        probatio.Required("type"): "occupancy_prediction/get_accuracy",
        probatio.Required("room_id"): str,
        probatio.Optional("window", default="24h"): probatio.In(WINDOWS),
    }
)
@callback
def ws_get_accuracy(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Answer a room's rolling accuracy and its recent scored predictions (for charts).

    Every room's prediction is sampled every 5 minutes and scored when the
    room really changes: absolute error, within +-15 minutes, inside the 80 %
    interval. ``available`` is false (``reason: no_scores``, ``metrics``
    null) until a prediction was scored in the window. Errors:
    ``not_loaded``, ``not_found``.
    """
    if (coordinator := _coordinator(hass, connection, msg)) is None:
        return
    if not _known_rooms(coordinator, connection, msg, [msg["room_id"]]):
        return
    summary, scores = coordinator.accuracy(
        msg["room_id"], coordinator.data.computed_at, msg["window"]
    )
    metrics = accuracy_metrics(summary)
    connection.send_result(
        msg["id"],
        {
            "room_id": msg["room_id"],
            "window": msg["window"],
            "available": metrics is not None,
            "reason": None if metrics is not None else "no_scores",
            "metrics": metrics,
            "predictions": [
                {
                    "scored_at": dt_util.utc_from_timestamp(score.scored_at).isoformat(),
                    "error_minutes": round(score.error / 60, 2),
                    "within15": bool(score.within15),
                    "inside_interval": bool(score.inside_interval),
                }
                for score in scores
            ],
        },
    )


@websocket_command(
    {
        probatio.Required("type"): "occupancy_prediction/get_forecast",
        probatio.Required("room_id"): str,
    }
)
@callback
def ws_get_forecast(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Answer a room's P(occupied) per horizon of its current prediction.

    ``{"room_id", "available", "horizons": [{"horizon_minutes", "probability"}]}``;
    ``available`` is false with ``reason`` ``not_supported`` when the room's
    model gives no forecast (or it has no prediction yet). Errors:
    ``not_loaded``, ``not_found``.
    """
    if (coordinator := _coordinator(hass, connection, msg)) is None:
        return
    room_id: str = msg["room_id"]
    if not _known_rooms(coordinator, connection, msg, [room_id]):
        return
    snapshot = coordinator.data.rooms.get(room_id)
    horizons = forecast_payload(snapshot.prediction if snapshot is not None else None)
    result: dict[str, Any] = {"room_id": room_id, "available": bool(horizons), "horizons": horizons}
    if not horizons:
        result["reason"] = "not_supported"
    connection.send_result(msg["id"], result)


@require_admin
@websocket_command(
    {
        probatio.Required("type"): "occupancy_prediction/acknowledge_alert",
        probatio.Required("alert_id"): str,
    }
)
@callback
def ws_acknowledge_alert(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Acknowledge an alert (admin only); answers the alert.

    Every alert subscriber gets ``alert_updated`` with who acknowledged and
    when; redelivery stops. Errors: ``unauthorized``, ``not_loaded``,
    ``not_found``.
    """
    if _coordinator(hass, connection, msg) is None:
        return
    try:
        alert = hass.data[DATA_HUB].alerts.async_acknowledge(msg["alert_id"], connection.user.id)
    except KeyError:
        connection.send_error(msg["id"], ERR_NOT_FOUND, f"Unknown alert id: {msg['alert_id']}")
        return
    connection.send_result(msg["id"], alert.as_dict())


@require_admin
@websocket_command(
    {
        probatio.Required("type"): "occupancy_prediction/retrain",
        probatio.Optional("rooms"): _ROOMS,
    }
)
@async_response
async def ws_retrain(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Refit the selected rooms' models now (admin only); answers when done.

    The result is ``{"rooms": [room_id, ...], "duration_seconds": float}``.
    Errors: ``unauthorized``, ``not_loaded``, ``not_found``.
    """
    if (coordinator := _coordinator(hass, connection, msg)) is None:
        return
    rooms: list[str] | None = msg.get("rooms")
    if not _known_rooms(coordinator, connection, msg, rooms):
        return
    started = time.monotonic()
    retrained = await coordinator.async_retrain(rooms)
    connection.send_result(
        msg["id"],
        {"rooms": retrained, "duration_seconds": round(time.monotonic() - started, 3)},
    )


@require_admin
@websocket_command({probatio.Required("type"): "occupancy_prediction/get_stats"})
@callback
def ws_get_stats(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Answer the delivery statistics (admin only). Errors: ``unauthorized``, ``not_loaded``."""
    if _coordinator(hass, connection, msg) is None:
        return
    connection.send_result(msg["id"], hass.data[DATA_HUB].stats_payload())
