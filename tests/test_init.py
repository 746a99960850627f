"""Setting up, reloading and unloading the entry; rooms added and removed live."""

from __future__ import annotations

import itertools
from types import MappingProxyType, SimpleNamespace
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.occupancy_prediction.const import DEFAULT_OPTIONS, DOMAIN, SUBENTRY_ROOM
from custom_components.occupancy_prediction.entity import ROOM_SPACING
from custom_components.occupancy_prediction.room_learner import RoomLearner

from .conftest import room_subentry, setup_entry


async def test_setup_and_unload(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    hass.states.async_set("binary_sensor.kitchen_motion", "on", {"device_class": "motion"})
    await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "on"
    assert hass.states.get("sensor.occupancy_prediction_status").state == "degraded"
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "unavailable"


async def test_unload_leaves_no_listener_or_timer(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A running motion hold and every state listener go away with the entry.

    A first setup and unload loads the sensor platforms, whose own listeners
    stay; after that, a second setup and unload must return to the same count.
    """
    hass.states.async_set("binary_sensor.kitchen_motion", "on", {"device_class": "motion"})
    await setup_entry(hass, config_entry)
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    baseline = hass.bus.async_listeners()

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    hass.states.async_set("binary_sensor.kitchen_motion", "off", {"device_class": "motion"})
    await hass.async_block_till_done()
    # The 5-minute hold keeps the kitchen occupied: a timer is armed.
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "on"
    assert hass.bus.async_listeners()["state_changed"] > baseline.get("state_changed", 0)
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.bus.async_listeners() == baseline
    # verify_cleanup (autouse in the test plugin) fails the test on a lingering timer.


async def test_room_added_while_the_entry_sets_up_gets_its_reload(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A room added while (re)setup is under way is picked up by another reload."""
    hass.states.async_set("binary_sensor.hall_motion", "on", {"device_class": "motion"})
    hall = ConfigSubentry(
        data=MappingProxyType(room_subentry("x", "Hall", ["binary_sensor.hall_motion"])["data"]),
        subentry_type=SUBENTRY_ROOM,
        title="Hall",
        unique_id=None,
    )
    original_load = RoomLearner.async_load

    async def load_and_add_a_room(learner: RoomLearner) -> None:
        if "Hall" not in [sub.title for sub in config_entry.subentries.values()]:
            hass.config_entries.async_add_subentry(config_entry, hall)
        await original_load(learner)

    config_entry.add_to_hass(hass)
    with patch.object(RoomLearner, "async_load", load_and_add_a_room):
        # The result is not asserted: the second reload may be under way when it returns.
        await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("binary_sensor.hall_occupancy").state == "on"


def _hub_with_rooms(names: list[str]) -> MockConfigEntry:
    """The hub entry with one room per name, each with its own motion sensor."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Occupancy Prediction",
        data={},
        options=dict(DEFAULT_OPTIONS),
        subentries_data=[
            room_subentry(f"{name.lower()}_id", name, [f"binary_sensor.{name.lower()}_motion"])
            for name in names
        ],
    )


async def test_rooms_entities_are_added_one_room_per_loop_turn(hass: HomeAssistant) -> None:
    """Between two rooms' entities the event loop runs other callbacks.

    A callback that reschedules itself with ``call_soon`` runs once per loop
    turn and counts the entry's entities: no turn may add more than one room's
    (3 sensors and the Occupancy binary sensor) plus the hub's Status sensor.
    """
    names = ["Hall", "Kitchen", "Bedroom", "Office", "Bath"]
    entry = _hub_with_rooms(names)
    for name in names:
        hass.states.async_set(
            f"binary_sensor.{name.lower()}_motion", "on", {"device_class": "motion"}
        )
    registry = er.async_get(hass)
    counts: list[int] = []
    ticking = True

    def tick() -> None:
        counts.append(len(er.async_entries_for_config_entry(registry, entry.entry_id)))
        if ticking:
            hass.loop.call_soon(tick)

    hass.loop.call_soon(tick)
    await setup_entry(hass, entry)
    ticking = False
    await hass.async_block_till_done()

    assert counts[-1] == len(names) * 4 + 1
    steps = [after - before for before, after in itertools.pairwise(counts)]
    assert max(steps) <= 5, steps
    # Every room's entities were there in the end, each with its own device.
    for name in names:
        assert hass.states.get(f"binary_sensor.{name.lower()}_occupancy").state == "on"
        assert hass.states.get(f"sensor.{name.lower()}_time_until_transition") is not None


async def test_rooms_entities_are_spaced_in_time(hass: HomeAssistant) -> None:
    """ROOM_SPACING seconds between two rooms' entities, none before the first room's.

    Each platform (sensor, binary sensor) waits once between each two rooms.
    """
    names = ["Hall", "Kitchen", "Bedroom"]
    entry = _hub_with_rooms(names)
    registry = er.async_get(hass)
    waits: list[tuple[float, int]] = []

    async def sleep(delay: float) -> None:
        waits.append((delay, len(er.async_entries_for_config_entry(registry, entry.entry_id))))

    with (
        # The real spacing (the fixture no_room_spacing sets it to 0), without waiting.
        patch("custom_components.occupancy_prediction.entity.ROOM_SPACING", ROOM_SPACING),
        # Only entity.py's asyncio: Home Assistant's own sleeps are left alone.
        patch(
            "custom_components.occupancy_prediction.entity.asyncio", SimpleNamespace(sleep=sleep)
        ),
    ):
        await setup_entry(hass, entry)
    assert ROOM_SPACING == 0.05
    assert sorted(delay for delay, _ in waits) == [0.05] * 2 * (len(names) - 1)
    # One wait per platform between each two rooms (a wait before the first room would
    # make 2 * len(names) of them); nothing was waiting before any room's entities.
    assert min(count for _, count in waits) >= 1
    assert len(er.async_entries_for_config_entry(registry, entry.entry_id)) == len(names) * 4 + 1
