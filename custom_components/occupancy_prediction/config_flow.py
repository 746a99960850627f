"""Config flow: the hub entry, its options, and one subentry per room."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    AreaSelector,
    EntitySelector,
    EntitySelectorConfig,
    EntityWithDeviceFilterSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TimeSelector,
)
import probatio

from .const import (
    CONF_ACK_TIMEOUT,
    CONF_AREA,
    CONF_COVERAGE_MAX,
    CONF_COVERAGE_MIN,
    CONF_DOOR_SENSORS,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HISTORY_DAYS,
    CONF_MAE_THRESHOLD,
    CONF_MAX_MESSAGES_PER_MINUTE,
    CONF_MAX_SUBSCRIPTIONS,
    CONF_OCCUPANCY_SENSORS,
    CONF_RETENTION_DAYS,
    CONF_RETRAIN_TIME,
    CONF_VACANCY_DELAY,
    DEFAULT_OPTIONS,
    DEFAULT_VACANCY_DELAY_MIN,
    DOMAIN,
    DOOR_DEVICE_CLASSES,
    OCCUPANCY_DEVICE_CLASSES,
    SUBENTRY_ROOM,
)
from .room_config import entity_exists

CONF_NAME = "name"


def _number(minimum: float, maximum: float, step: float, unit: str | None = None) -> NumberSelector:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def _sensor_selector(device_classes: Iterable[str]) -> EntitySelector:
    return EntitySelector(
        EntitySelectorConfig(
            multiple=True,
            filter=EntityWithDeviceFilterSelectorConfig(
                domain="binary_sensor", device_class=list(device_classes)
            ),
        )
    )


ROOM_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): TextSelector(),
        probatio.Optional(CONF_AREA): AreaSelector(),
        probatio.Required(CONF_OCCUPANCY_SENSORS, default=[]): _sensor_selector(
            OCCUPANCY_DEVICE_CLASSES
        ),
        probatio.Optional(CONF_DOOR_SENSORS, default=[]): _sensor_selector(DOOR_DEVICE_CLASSES),
        probatio.Required(CONF_VACANCY_DELAY, default=DEFAULT_VACANCY_DELAY_MIN): _number(
            0, 120, 1, "min"
        ),
    }
)

OPTIONS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_HISTORY_DAYS): _number(1, 365, 1, "d"),
        probatio.Required(CONF_RETENTION_DAYS): _number(7, 3650, 1, "d"),
        probatio.Required(CONF_RETRAIN_TIME): TimeSelector(),
        probatio.Required(CONF_MAE_THRESHOLD): _number(1, 1440, 1, "min"),
        probatio.Required(CONF_COVERAGE_MIN): _number(0, 1, 0.01),
        probatio.Required(CONF_COVERAGE_MAX): _number(0, 1, 0.01),
        probatio.Required(CONF_MAX_MESSAGES_PER_MINUTE): _number(1, 6000, 1),
        probatio.Required(CONF_MAX_SUBSCRIPTIONS): _number(1, 10000, 1),
        probatio.Required(CONF_HEARTBEAT_INTERVAL): _number(5, 3600, 1, "s"),
        probatio.Required(CONF_ACK_TIMEOUT): _number(5, 3600, 1, "s"),
    }
)

_INTEGER_OPTIONS = (
    CONF_HISTORY_DAYS,
    CONF_RETENTION_DAYS,
    CONF_MAX_MESSAGES_PER_MINUTE,
    CONF_MAX_SUBSCRIPTIONS,
    CONF_HEARTBEAT_INTERVAL,
    CONF_ACK_TIMEOUT,
)


class OccupancyPredictionConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create the one hub entry; rooms are added to it as subentries."""

    VERSION = 1
    MINOR_VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm, then create the hub with default options."""
        if user_input is not None:
            return self.async_create_entry(
                title="Occupancy Prediction", data={}, options=dict(DEFAULT_OPTIONS)
            )
        return self.async_show_form(step_id="user", data_schema=probatio.Schema({}))

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Edit the hub's global options."""
        return OccupancyOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Rooms are subentries of type ``room``."""
        return {SUBENTRY_ROOM: RoomSubentryFlow}


class OccupancyOptionsFlow(OptionsFlow):
    """Global options: learning window, retraining, alert thresholds, streaming limits."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and validate the options form."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input[CONF_COVERAGE_MIN] >= user_input[CONF_COVERAGE_MAX]:
                errors[CONF_COVERAGE_MAX] = "coverage_range"
            else:
                options = {**DEFAULT_OPTIONS, **user_input}
                for key in _INTEGER_OPTIONS:
                    options[key] = int(options[key])
                return self.async_create_entry(data=options)
        suggested = user_input or {**DEFAULT_OPTIONS, **self.config_entry.options}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, suggested),
            errors=errors,
        )


def _sensor_error(hass: HomeAssistant, entity_id: str) -> str | None:
    """Why ``entity_id`` cannot be a room sensor, as an error key, or None."""
    if not entity_exists(hass, entity_id):
        return "entity_not_found"
    if (state := hass.states.get(entity_id)) is None:
        return None
    if "entity_id" in state.attributes:
        return "group_entity"
    if any(isinstance(value, (list, tuple)) for value in state.attributes.values()):
        return "list_attributes"
    return None


class RoomSubentryFlow(ConfigSubentryFlow):
    """Add or reconfigure a room."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a room."""
        return await self._async_room_step(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a room's name, area, sensors or vacancy delay."""
        return await self._async_room_step(user_input)

    def _validate(self, user_input: Mapping[str, Any], own_id: str | None) -> dict[str, str]:
        errors: dict[str, str] = {}
        others = [
            sub
            for sub in self._get_entry().get_subentries_of_type(SUBENTRY_ROOM)
            if sub.subentry_id != own_id
        ]
        name = user_input[CONF_NAME].strip()
        if not name:
            errors[CONF_NAME] = "name_required"
        elif any(sub.title.strip().casefold() == name.casefold() for sub in others):
            errors[CONF_NAME] = "name_exists"
        area = user_input.get(CONF_AREA)
        if area and any(sub.data.get(CONF_AREA) == area for sub in others):
            errors[CONF_AREA] = "area_exists"
        occupancy = user_input[CONF_OCCUPANCY_SENSORS]
        doors = user_input[CONF_DOOR_SENSORS]
        if not occupancy:
            errors[CONF_OCCUPANCY_SENSORS] = "no_sensors"
        elif set(occupancy) & set(doors):
            errors[CONF_DOOR_SENSORS] = "sensor_in_both"
        for field in (CONF_OCCUPANCY_SENSORS, CONF_DOOR_SENSORS):
            for entity_id in user_input[field]:
                if field not in errors and (error := _sensor_error(self.hass, entity_id)):
                    errors[field] = error
        return errors

    async def _async_room_step(self, user_input: dict[str, Any] | None) -> SubentryFlowResult:
        is_new = self.source == SOURCE_USER
        own = None if is_new else self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate(user_input, None if own is None else own.subentry_id)
            if not errors:
                title = user_input[CONF_NAME].strip()
                data = {
                    CONF_AREA: user_input.get(CONF_AREA) or None,
                    CONF_OCCUPANCY_SENSORS: list(user_input[CONF_OCCUPANCY_SENSORS]),
                    CONF_DOOR_SENSORS: list(user_input[CONF_DOOR_SENSORS]),
                    CONF_VACANCY_DELAY: int(user_input[CONF_VACANCY_DELAY]),
                }
                if own is None:
                    return self.async_create_entry(title=title, data=data)
                return self.async_update_and_abort(self._get_entry(), own, title=title, data=data)
        suggested: Mapping[str, Any] | None = user_input
        if suggested is None and own is not None:
            suggested = {**own.data, CONF_NAME: own.title}
        return self.async_show_form(
            step_id="user" if is_new else "reconfigure",
            data_schema=self.add_suggested_values_to_schema(ROOM_SCHEMA, suggested or {}),
            errors=errors,
        )
