"""Every path of the hub flow, the options flow and the room subentry flow."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.occupancy_prediction.const import (
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
    DOMAIN,
    SUBENTRY_ROOM,
)

from .conftest import setup_entry


@pytest.fixture(autouse=True)
def sensors(hass: HomeAssistant) -> None:
    """States for the sensors the flows pick from."""
    hass.states.async_set("binary_sensor.kitchen_motion", "off", {"device_class": "motion"})
    hass.states.async_set("binary_sensor.kitchen_door", "off", {"device_class": "door"})
    hass.states.async_set("binary_sensor.bedroom_presence", "off", {"device_class": "presence"})
    hass.states.async_set("binary_sensor.hall_motion", "off", {"device_class": "motion"})
    hass.states.async_set(
        "binary_sensor.all_motion",
        "off",
        {"entity_id": ["binary_sensor.kitchen_motion", "binary_sensor.hall_motion"]},
    )
    hass.states.async_set("binary_sensor.fancy_motion", "off", {"zones": ["a", "b"]})


async def test_user_flow_creates_hub_with_default_options(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Occupancy Prediction"
    assert result["data"] == {}
    assert result["options"] == DEFAULT_OPTIONS
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_only_one_hub(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"


async def test_options_flow(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    await setup_entry(hass, config_entry)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    new = {
        CONF_HISTORY_DAYS: 60.0,
        CONF_RETENTION_DAYS: 400.0,
        CONF_RETRAIN_TIME: "04:15:00",
        CONF_MAE_THRESHOLD: 30.0,
        CONF_COVERAGE_MIN: 0.9,
        CONF_COVERAGE_MAX: 0.7,
        CONF_MAX_MESSAGES_PER_MINUTE: 120.0,
        CONF_MAX_SUBSCRIPTIONS: 50.0,
        CONF_HEARTBEAT_INTERVAL: 10.0,
        CONF_ACK_TIMEOUT: 60.0,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_COVERAGE_MAX: "coverage_range"}
    assert config_entry.options == DEFAULT_OPTIONS
    new[CONF_COVERAGE_MIN], new[CONF_COVERAGE_MAX] = 0.75, 0.85
    result = await hass.config_entries.options.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert config_entry.options == {
        CONF_HISTORY_DAYS: 60,
        CONF_RETENTION_DAYS: 400,
        CONF_RETRAIN_TIME: "04:15:00",
        CONF_MAE_THRESHOLD: 30.0,
        CONF_COVERAGE_MIN: 0.75,
        CONF_COVERAGE_MAX: 0.85,
        CONF_MAX_MESSAGES_PER_MINUTE: 120,
        CONF_MAX_SUBSCRIPTIONS: 50,
        CONF_HEARTBEAT_INTERVAL: 10,
        CONF_ACK_TIMEOUT: 60,
    }
    assert isinstance(config_entry.options[CONF_HISTORY_DAYS], int)
    await hass.async_block_till_done(wait_background_tasks=True)


def room_input(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Hall",
        CONF_OCCUPANCY_SENSORS: ["binary_sensor.hall_motion"],
        CONF_DOOR_SENSORS: [],
        CONF_VACANCY_DELAY: 3,
    }
    return base | changes


async def start_room_flow(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_ROOM), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def test_add_room(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    await setup_entry(hass, config_entry)
    hall = ar.async_get(hass).async_create("Hall")
    result = await start_room_flow(hass, config_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], room_input(name="  Hall ", area=hall.id)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = next(s for s in config_entry.subentries.values() if s.title == "Hall")
    assert dict(subentry.data) == {
        CONF_AREA: hall.id,
        CONF_OCCUPANCY_SENSORS: ["binary_sensor.hall_motion"],
        CONF_DOOR_SENSORS: [],
        CONF_VACANCY_DELAY: 3,
    }
    # The new room works at once, without restarting Home Assistant.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("binary_sensor.hall_occupancy").state == "off"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_OCCUPANCY_SENSORS: []}, {CONF_OCCUPANCY_SENSORS: "no_sensors"}),
        ({"name": "   "}, {"name": "name_required"}),
        ({"name": "kitchen"}, {"name": "name_exists"}),
        (
            {CONF_OCCUPANCY_SENSORS: ["binary_sensor.does_not_exist"]},
            {CONF_OCCUPANCY_SENSORS: "entity_not_found"},
        ),
        (
            {CONF_OCCUPANCY_SENSORS: ["binary_sensor.all_motion"]},
            {CONF_OCCUPANCY_SENSORS: "group_entity"},
        ),
        (
            {CONF_OCCUPANCY_SENSORS: ["binary_sensor.fancy_motion"]},
            {CONF_OCCUPANCY_SENSORS: "list_attributes"},
        ),
        (
            {CONF_DOOR_SENSORS: ["binary_sensor.hall_motion"]},
            {CONF_DOOR_SENSORS: "sensor_in_both"},
        ),
        (
            {CONF_DOOR_SENSORS: ["binary_sensor.no_door"]},
            {CONF_DOOR_SENSORS: "entity_not_found"},
        ),
    ],
)
async def test_add_room_errors(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    await setup_entry(hass, config_entry)
    result = await start_room_flow(hass, config_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], room_input(**changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert len(config_entry.subentries) == 2
    # The user can correct the input in the same flow.
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], room_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_registered_entity_without_state_is_accepted(
    hass: HomeAssistant, config_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """A registered sensor whose integration has not set a state yet exists."""
    entity_registry.async_get_or_create(
        "binary_sensor", "zha", "landing", suggested_object_id="landing_motion"
    )
    await setup_entry(hass, config_entry)
    result = await start_room_flow(hass, config_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        room_input(name="Landing", **{CONF_OCCUPANCY_SENSORS: ["binary_sensor.landing_motion"]}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_area_already_used(hass: HomeAssistant) -> None:
    hall = ar.async_get(hass).async_create("Hall")
    entry = MockConfigEntry(domain=DOMAIN, options=dict(DEFAULT_OPTIONS))
    await setup_entry(hass, entry)
    result = await start_room_flow(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], room_input(area=hall.id)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await start_room_flow(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        room_input(name="Landing", area=hall.id),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_AREA: "area_exists"}


async def test_reconfigure_room(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    await setup_entry(hass, config_entry)
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, SUBENTRY_ROOM),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": "kitchen_id"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    # The form is pre-filled with the room's settings, including its name.
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested["name"] == "Kitchen"
    assert suggested[CONF_OCCUPANCY_SENSORS] == ["binary_sensor.kitchen_motion"]
    # Keeping its own name is not a clash with itself; another room's name is.
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], room_input(name="Bedroom")
    )
    assert result["errors"] == {"name": "name_exists"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        room_input(
            name="Kitchen",
            **{
                CONF_OCCUPANCY_SENSORS: [
                    "binary_sensor.kitchen_motion",
                    "binary_sensor.hall_motion",
                ],
                CONF_DOOR_SENSORS: ["binary_sensor.kitchen_door"],
                CONF_VACANCY_DELAY: 10,
            },
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    kitchen = config_entry.subentries["kitchen_id"]
    assert kitchen.data[CONF_OCCUPANCY_SENSORS] == [
        "binary_sensor.kitchen_motion",
        "binary_sensor.hall_motion",
    ]
    assert kitchen.data[CONF_VACANCY_DELAY] == 10
    # The reload picks the new sensor up without a restart.
    await hass.async_block_till_done(wait_background_tasks=True)
    hass.states.async_set("binary_sensor.hall_motion", "on", {"device_class": "motion"})
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "on"
