"""Service actions: retrain, get_predictions and acknowledge_alert.

Registered once in ``async_setup``; they raise a translated
``ServiceValidationError`` for bad input (no loaded entry, unknown rooms or
alerts) and change nothing then.
"""

from __future__ import annotations

import time
from typing import Any, cast

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.service import async_register_admin_service
import probatio

from .const import DOMAIN
from .coordinator import OccupancyCoordinator
from .ws_hub import DATA_HUB, prediction_payload

SERVICE_RETRAIN = "retrain"
SERVICE_GET_PREDICTIONS = "get_predictions"
SERVICE_ACKNOWLEDGE_ALERT = "acknowledge_alert"
ATTR_ROOMS = "rooms"
ATTR_ALERT_ID = "alert_id"

_ROOMS_SCHEMA = probatio.Schema({probatio.Optional(ATTR_ROOMS): [str]})
_ALERT_SCHEMA = probatio.Schema({probatio.Required(ATTR_ALERT_ID): str})


def _coordinator(hass: HomeAssistant) -> OccupancyCoordinator:
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    return cast(OccupancyCoordinator, entries[0].runtime_data)


def _room_ids(coordinator: OccupancyCoordinator, call: ServiceCall) -> list[str] | None:
    """The rooms a call names, by room id or (case-insensitive) name; None for all.

    Raises:
        ServiceValidationError: a name or id matches no room.
    """
    wanted: list[str] | None = call.data.get(ATTR_ROOMS)
    if not wanted:
        return None
    configs = coordinator.room_configs
    by_name = {config.name.casefold(): room_id for room_id, config in configs.items()}
    ids: list[str] = []
    unknown: list[str] = []
    for value in wanted:
        room_id = value if value in configs else by_name.get(value.strip().casefold())
        if room_id is None:
            unknown.append(value)
        elif room_id not in ids:
            ids.append(room_id)
    if unknown:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="room_not_found",
            translation_placeholders={"rooms": ", ".join(unknown)},
        )
    return ids


async def _async_retrain(call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(call.hass)
    rooms = _room_ids(coordinator, call)
    started = time.monotonic()
    retrained = await coordinator.async_retrain(rooms)
    if not call.return_response:
        return None
    rooms_done: list[Any] = list(retrained)
    return {"rooms": rooms_done, "duration_seconds": round(time.monotonic() - started, 3)}


async def _async_get_predictions(call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(call.hass)
    rooms = _room_ids(coordinator, call)
    data = coordinator.data
    configs = coordinator.room_configs
    payloads: list[Any] = [
        prediction_payload(room_id, configs[room_id].name, snapshot, data.computed_at)
        for room_id, snapshot in data.rooms.items()
        if rooms is None or room_id in rooms
    ]
    return {"rooms": payloads}


async def _async_acknowledge_alert(call: ServiceCall) -> ServiceResponse:
    _coordinator(call.hass)
    alert_id: str = call.data[ATTR_ALERT_ID]
    try:
        alert = call.hass.data[DATA_HUB].alerts.async_acknowledge(alert_id, call.context.user_id)
    except KeyError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="alert_not_found",
            translation_placeholders={"alert_id": alert_id},
        ) from err
    return cast(ServiceResponse, dict(alert.as_dict())) if call.return_response else None


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the service actions (once per run, from ``async_setup``).

    ``retrain`` and ``acknowledge_alert`` change state and are admin-only, as
    their websocket twins are; ``get_predictions`` only reads.
    """
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_RETRAIN,
        _async_retrain,
        _ROOMS_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_PREDICTIONS,
        _async_get_predictions,
        schema=_ROOMS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_ACKNOWLEDGE_ALERT,
        _async_acknowledge_alert,
        _ALERT_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
