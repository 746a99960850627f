"""Live occupancy, learning from history and entity values under a frozen clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.occupancy_prediction import async_remove_config_entry_device
from custom_components.occupancy_prediction.const import (
    CONF_OCCUPANCY_SENSORS,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.occupancy_prediction.engine import (
    context as context_module,
    ensemble as ensemble_module,
)
from custom_components.occupancy_prediction.engine.ensemble import EnsembleModel
from custom_components.occupancy_prediction.engine.episodes import Episode
from custom_components.occupancy_prediction.engine.occupancy import RoomState
from custom_components.occupancy_prediction.engine.prediction import Prediction

from .conftest import room_subentry, setup_entry

BEDROOM = "binary_sensor.bedroom_presence"
MOTION = "binary_sensor.kitchen_motion"
DOOR = "binary_sensor.kitchen_door"
DAY0 = datetime(2026, 5, 4, tzinfo=dt_util.UTC)


def bedroom_entry(*sensors: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Occupancy Prediction",
        options=dict(DEFAULT_OPTIONS),
        subentries_data=[room_subentry("bedroom_id", "Bedroom", list(sensors or [BEDROOM]))],
    )


def presence(hass: HomeAssistant, value: str, entity_id: str = BEDROOM) -> None:
    hass.states.async_set(entity_id, value, {"device_class": "presence"})


def motion(hass: HomeAssistant, value: str, **attributes: object) -> None:
    hass.states.async_set(MOTION, value, {"device_class": "motion", **attributes})


async def record_three_mornings(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Bedroom vacant 08:00-09:00 and occupied 09:00-08:00, on 4-6 May; vacant at 08:00 on 7 May."""
    await hass.config.async_set_time_zone("UTC")
    for day in range(3):
        freezer.move_to(DAY0 + timedelta(days=day, hours=8))
        presence(hass, "off")
        await hass.async_block_till_done()
        freezer.move_to(DAY0 + timedelta(days=day, hours=9))
        presence(hass, "on")
        await hass.async_block_till_done()
    freezer.move_to(DAY0 + timedelta(days=3, hours=8))
    presence(hass, "off")
    await async_wait_recording_done(hass)


VAC, OCC = RoomState.VACANT, RoomState.OCCUPIED


def three_mornings_episodes() -> list[Episode]:
    """The bedroom's finished episodes as record_three_mornings makes them, listed by hand.

    Vacant 08:00-09:00 and occupied 09:00-08:00 on 4-6 May (the vacant spell
    from 08:00 on 7 May is still going on).
    """
    episodes: list[Episode] = []
    for day in range(3):
        morning = (DAY0 + timedelta(days=day, hours=8)).timestamp()
        episodes.append(Episode(VAC, morning, morning + 3600, OCC))
        episodes.append(Episode(OCC, morning + 3600, morning + 86400, VAC))
    return episodes


FOURTH_MORNING = Episode(
    VAC,
    (DAY0 + timedelta(days=3, hours=8)).timestamp(),
    (DAY0 + timedelta(days=3, hours=9)).timestamp(),
    OCC,
)
"""The vacant spell of 7 May, when the room becomes occupied at 09:00."""


def expected_prediction(
    state: RoomState, since: datetime, now: datetime, episodes: list[Episode]
) -> Prediction:
    """The ensemble's prediction, fitted directly on ``episodes`` (not through the integration)."""
    model = EnsembleModel(dt_util.UTC)
    model.fit(episodes)
    prediction = model.predict(state, since, now)
    assert isinstance(prediction, Prediction)
    return prediction


def attributes_of(prediction: Prediction) -> dict[str, object]:
    """The Next transition sensor's prediction attributes for ``prediction``, written out."""
    return {
        "transition_type": prediction.transition_type.value,
        "confidence": round(prediction.confidence, 3),
        "interval_lower": prediction.interval_lower.isoformat(),
        "interval_upper": prediction.interval_upper.isoformat(),
        "model": "ensemble",
        "occupancy_forecast": {
            str(m): round(p, 3) for m, p in sorted(prediction.occupancy_forecast.items())
        },
        "contributions": [
            {
                "model": c.model,
                "predicted_time": None
                if c.predicted_time is None
                else c.predicted_time.isoformat(),
                "weight": round(c.weight, 3),
            }
            for c in prediction.contributions
        ],
    }


async def test_predictions_learned_from_history(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The entities show the ensemble fitted on the three mornings (compared with a direct fit)."""
    await record_three_mornings(hass, freezer)
    now = DAY0 + timedelta(days=3, hours=8, minutes=20)
    freezer.move_to(now)
    await setup_entry(hass, bedroom_entry())

    occupancy = hass.states.get("binary_sensor.bedroom_occupancy")
    assert occupancy.state == "off"
    # Vacant since 08:00 by the recorder's history, not since the set-up at 08:20.
    assert occupancy.attributes["since"] == "2026-05-07T08:00:00+00:00"
    since = DAY0 + timedelta(days=3, hours=8)
    expected = expected_prediction(VAC, since, now, three_mornings_episodes())
    assert expected.predicted_time is not None
    # Every vacant spell so far ended at 09:00, 40 minutes from now.
    assert now + timedelta(minutes=20) < expected.predicted_time < now + timedelta(minutes=50)
    next_transition = hass.states.get("sensor.bedroom_next_transition")
    assert next_transition.state == expected.predicted_time.isoformat(timespec="seconds")
    attributes = dict(next_transition.attributes)
    assert attributes.pop("device_class") == "timestamp"
    assert attributes.pop("friendly_name") == "Bedroom Next transition"
    assert attributes == attributes_of(expected)
    assert attributes["transition_type"] == "occupied"
    contributions = attributes["contributions"]
    assert contributions
    # No prediction was scored yet: the weights are equal.
    assert {c["weight"] for c in contributions} == {round(1 / len(contributions), 3)}
    assert list(attributes["occupancy_forecast"]) == ["15", "30", "60", "120", "240"]
    until = hass.states.get("sensor.bedroom_time_until_transition")
    assert float(until.state) == round((expected.predicted_time - now).total_seconds() / 60, 1)
    assert until.attributes["unit_of_measurement"] == "min"
    assert float(hass.states.get("sensor.bedroom_prediction_confidence").state) == round(
        expected.confidence * 100, 1
    )
    # Three days of history predict, but under a week is still "learning", with a repair.
    assert hass.states.get("sensor.occupancy_prediction_status").state == "learning"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "insufficient_history_bedroom_id")
    assert issue is not None
    assert issue.translation_placeholders == {
        "room": "Bedroom",
        "days": "3.0",
        "needed": "7",
        "keep_days": "10",
    }

    # The room becomes occupied at 09:00. The fourth vacant spell is learned at
    # once by B1 and B2; the hazard model's tables are refitted in the executor
    # and used from the next minute's refresh.
    nine = DAY0 + timedelta(days=3, hours=9)
    freezer.move_to(nine)
    presence(hass, "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "on"
    model = EnsembleModel(dt_util.UTC)
    model.fit(three_mornings_episodes())
    model.learn(FOURTH_MORNING)
    learned = model.predict(OCC, nine, nine)
    assert isinstance(learned, Prediction)
    assert learned.predicted_time is not None
    # Three 23-hour occupied spells: vacant again towards 08:00 tomorrow.
    assert timedelta(hours=20) < learned.predicted_time - nine <= timedelta(hours=23)
    next_transition = hass.states.get("sensor.bedroom_next_transition")
    assert next_transition.state == learned.predicted_time.isoformat(timespec="seconds")
    assert next_transition.attributes["transition_type"] == "vacant"
    until = float(hass.states.get("sensor.bedroom_time_until_transition").state)
    assert until == round((learned.predicted_time - nine).total_seconds() / 60, 1)

    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    refitted = expected_prediction(
        OCC, nine, nine + timedelta(minutes=1), [*three_mornings_episodes(), FOURTH_MORNING]
    )
    assert refitted != learned
    next_transition = hass.states.get("sensor.bedroom_next_transition")
    assert dict(next_transition.attributes, device_class=None, friendly_name=None) == dict(
        attributes_of(refitted), device_class=None, friendly_name=None
    )


async def test_time_until_follows_the_clock(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Each minute's refresh predicts afresh for the new moment (not the cached prediction)."""
    await record_three_mornings(hass, freezer)
    start = DAY0 + timedelta(days=3, hours=8, minutes=20)
    freezer.move_to(start)
    await setup_entry(hass, bedroom_entry())
    since = DAY0 + timedelta(days=3, hours=8)
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    later = expected_prediction(VAC, since, start + timedelta(minutes=1), three_mornings_episodes())
    assert later != expected_prediction(VAC, since, start, three_mornings_episodes())
    assert later.predicted_time is not None
    assert hass.states.get("sensor.bedroom_next_transition").state == (
        later.predicted_time.isoformat(timespec="seconds")
    )


async def test_too_little_history_is_learning_and_unknown(hass: HomeAssistant) -> None:
    presence(hass, "on")
    await setup_entry(hass, bedroom_entry())
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "on"
    for key in ("next_transition", "time_until_transition", "prediction_confidence"):
        state = hass.states.get(f"sensor.bedroom_{key}")
        assert state.state == "unknown"
    assert "transition_type" not in hass.states.get("sensor.bedroom_next_transition").attributes
    assert hass.states.get("sensor.occupancy_prediction_status").state == "learning"


async def test_all_sensors_unavailable_is_unknown(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    presence(hass, "on")
    presence(hass, "off", "binary_sensor.bedroom_presence_2")
    await setup_entry(hass, bedroom_entry(BEDROOM, "binary_sensor.bedroom_presence_2"))
    presence(hass, "unavailable")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "off"
    presence(hass, "unknown", "binary_sensor.bedroom_presence_2")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "unavailable"
    assert hass.states.get("sensor.bedroom_next_transition").state == "unavailable"
    assert hass.states.get("sensor.occupancy_prediction_status").state == "degraded"
    assert caplog.text.count("Bedroom: every occupancy sensor is unavailable") == 1
    # The first on after that occupies the room at once.
    presence(hass, "on", "binary_sensor.bedroom_presence_2")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "on"
    assert caplog.text.count("Bedroom: occupancy sensors report again") == 1


async def test_motion_hold_live(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, config_entry: MockConfigEntry
) -> None:
    motion(hass, "off")
    presence(hass, "off")
    await setup_entry(hass, config_entry)
    occupancy = "binary_sensor.kitchen_occupancy"
    assert hass.states.get(occupancy).state == "off"
    motion(hass, "on")
    await hass.async_block_till_done()
    assert hass.states.get(occupancy).state == "on"
    motion(hass, "off")
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=3))
    # An attribute-only update of the off state does not restart the hold.
    motion(hass, "off", battery=80)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(occupancy).state == "on"
    freezer.tick(timedelta(minutes=2, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(occupancy).state == "off"
    assert (
        hass.states.get(occupancy).attributes["since"]
        == (dt_util.utcnow() - timedelta(seconds=1)).isoformat()
    )


async def test_door_change_counts_as_activity(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, config_entry: MockConfigEntry
) -> None:
    motion(hass, "off")
    hass.states.async_set(DOOR, "off", {"device_class": "door"})
    await setup_entry(hass, config_entry)
    hass.states.async_set(DOOR, "on", {"device_class": "door"})
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "on"
    freezer.tick(timedelta(minutes=5, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "off"


async def test_reload_takes_state_from_sensors_not_from_before(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    motion(hass, "on")
    await setup_entry(hass, config_entry)
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "on"
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    motion(hass, "off")
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("binary_sensor.kitchen_occupancy").state == "off"


async def test_renamed_sensor_keeps_being_followed(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entity_registry.async_get_or_create(
        "binary_sensor", "test", "bed", suggested_object_id="bedroom_presence"
    )
    presence(hass, "off")
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    entity_registry.async_update_entity(BEDROOM, new_entity_id="binary_sensor.bed_presence")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.subentries["bedroom_id"].data[CONF_OCCUPANCY_SENSORS] == [
        "binary_sensor.bed_presence"
    ]
    presence(hass, "on", "binary_sensor.bed_presence")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "on"


async def test_removed_sensor_stops_counting(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entity_registry.async_get_or_create(
        "binary_sensor", "test", "bed", suggested_object_id="bedroom_presence"
    )
    presence(hass, "on")
    presence(hass, "off", "binary_sensor.bedroom_presence_2")
    await setup_entry(hass, bedroom_entry(BEDROOM, "binary_sensor.bedroom_presence_2"))
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "on"
    entity_registry.async_remove(BEDROOM)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "off"
    # Even if something sets a state under the removed id, it no longer counts.
    presence(hass, "on")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "off"


async def test_unrelated_registry_update_changes_nothing(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entity_registry.async_get_or_create(
        "binary_sensor", "test", "bed", suggested_object_id="bedroom_presence"
    )
    presence(hass, "on")
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    entity_registry.async_update_entity(BEDROOM, name="Bed sensor")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.subentries["bedroom_id"].data[CONF_OCCUPANCY_SENSORS] == [BEDROOM]
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "on"


async def test_training_failure_sets_error(hass: HomeAssistant) -> None:
    presence(hass, "on")
    with patch(
        "custom_components.occupancy_prediction.room_learner.EnsembleModel.fit",
        side_effect=RuntimeError("boom"),
    ):
        await setup_entry(hass, bedroom_entry())
    assert hass.states.get("sensor.occupancy_prediction_status").state == "error"


async def test_remove_room_removes_device_and_entities(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    presence(hass, "on")
    await setup_entry(hass, config_entry)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, "bedroom_id"), config_entry.entry_id
    )
    assert device is not None
    assert device.config_subentry_id == "bedroom_id"
    assert hass.config_entries.async_remove_subentry(config_entry, "bedroom_id")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, "bedroom_id"), config_entry.entry_id
        )
        is None
    )
    assert entity_registry.async_get("binary_sensor.bedroom_occupancy") is None
    assert hass.states.get("binary_sensor.bedroom_occupancy") is None
    assert hass.states.get("binary_sensor.kitchen_occupancy") is not None


async def test_deleting_a_room_device_removes_the_room(
    hass: HomeAssistant, config_entry: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    await setup_entry(hass, config_entry)
    room_device = device_registry.async_get_device_by_identifier(
        (DOMAIN, "kitchen_id"), config_entry.entry_id
    )
    hub_device = device_registry.async_get_device_by_identifier(
        (DOMAIN, config_entry.entry_id), config_entry.entry_id
    )
    assert room_device is not None
    assert hub_device is not None
    assert not await async_remove_config_entry_device(hass, config_entry, hub_device)
    assert await async_remove_config_entry_device(hass, config_entry, room_device)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "kitchen_id" not in config_entry.subentries


async def test_no_rooms_is_learning(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, title="Occupancy Prediction", options=dict(DEFAULT_OPTIONS)
    )
    await setup_entry(hass, entry)
    assert hass.states.get("sensor.occupancy_prediction_status").state == "learning"
    assert entry.runtime_data.room_configs == {}


KITCHEN = "binary_sensor.kitchen_presence"


async def test_context_of_the_other_rooms(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bedroom's context member sees the kitchen: its history when fitting, its state now.

    Kitchen occupied 08:00-08:30 while the bedroom is vacant 08:00-09:00, on
    4-6 May; on 7 May both changed at 08:00 and it is 08:20. The integration's
    prediction equals the ensemble fitted directly on both rooms' episodes
    (listed by hand) with the kitchen "occupied since 08:00" as context.
    """
    # Three days of history: let the learned members and small buckets count.
    monkeypatch.setattr(ensemble_module, "MIN_MODEL_EPISODES", 3)
    monkeypatch.setattr(context_module, "MIN_BUCKET_EPISODES", 2)
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(DAY0 + timedelta(hours=7))
    presence(hass, "off", KITCHEN)
    await hass.async_block_till_done()
    kitchen: list[Episode] = []
    free_since = (DAY0 + timedelta(hours=7)).timestamp()
    for day in range(4):
        eight = DAY0 + timedelta(days=day, hours=8)
        freezer.move_to(eight)
        presence(hass, "off")
        presence(hass, "on", KITCHEN)
        await hass.async_block_till_done()
        kitchen.append(Episode(VAC, free_since, eight.timestamp(), OCC))
        if day == 3:
            kitchen.append(Episode(OCC, eight.timestamp(), None, None))
            break
        free_since = eight.timestamp() + 1800
        kitchen.append(Episode(OCC, eight.timestamp(), free_since, VAC))
        freezer.move_to(eight + timedelta(minutes=30))
        presence(hass, "off", KITCHEN)
        await hass.async_block_till_done()
        freezer.move_to(eight + timedelta(hours=1))
        presence(hass, "on")
        await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    now = DAY0 + timedelta(days=3, hours=8, minutes=20)
    freezer.move_to(now)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Occupancy Prediction",
        options=dict(DEFAULT_OPTIONS),
        subentries_data=[
            room_subentry("bedroom_id", "Bedroom", [BEDROOM]),
            room_subentry("kitchen_id", "Kitchen", [KITCHEN]),
        ],
    )
    await setup_entry(hass, entry)

    model = EnsembleModel(dt_util.UTC)
    model.fit(three_mornings_episodes(), {"kitchen_id": kitchen})
    eight = DAY0 + timedelta(days=3, hours=8)
    expected = model.predict(VAC, eight, now, {"kitchen_id": (OCC, eight.timestamp())})
    assert isinstance(expected, Prediction)
    assert {c.model for c in expected.contributions} == {"hazard", "context", "hourly_median"}
    next_transition = hass.states.get("sensor.bedroom_next_transition")
    attributes = dict(next_transition.attributes, device_class=None, friendly_name=None)
    assert attributes == dict(attributes_of(expected), device_class=None, friendly_name=None)
    # Without the kitchen's history the context member would have learned nothing of it.
    blind = EnsembleModel(dt_util.UTC)
    blind.fit(three_mornings_episodes())
    assert blind.predict(VAC, eight, now, {"kitchen_id": (OCC, eight.timestamp())}) != expected
    # The kitchen's own timeline, as the bedroom's learning reads it, is the one listed.
    timeline = entry.runtime_data.learners["kitchen_id"].timeline
    assert len(timeline) == len(kitchen)
    assert timeline.at(now.timestamp()) == (OCC, eight.timestamp())

    # The kitchen is left at 08:25: the bedroom's context is "nobody" now. The
    # publish shows the stale prediction at once; the catch-up replaces it.
    later = now + timedelta(minutes=5)
    freezer.move_to(later)
    presence(hass, "off", KITCHEN)
    await hass.async_block_till_done(wait_background_tasks=True)
    nobody = model.predict(VAC, eight, later, {"kitchen_id": (VAC, later.timestamp())})
    assert isinstance(nobody, Prediction)
    assert nobody != expected
    next_transition = hass.states.get("sensor.bedroom_next_transition")
    attributes = dict(next_transition.attributes, device_class=None, friendly_name=None)
    assert attributes == dict(attributes_of(nobody), device_class=None, friendly_name=None)


async def test_changes_do_not_push_the_refresh_back(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A state change publishes at once and the one-minute refresh still runs on time.

    (``async_set_updated_data`` would re-arm it a minute after every change:
    in a busy home it would never run, nor the sampling it does.)
    """
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(DAY0)
    presence(hass, "off")
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    with patch.object(
        coordinator, "_async_update_data", wraps=coordinator._async_update_data
    ) as refresh:
        for seconds in (30, 50):
            freezer.move_to(DAY0 + timedelta(seconds=seconds))
            presence(hass, "on" if seconds == 30 else "off")
            await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get("binary_sensor.bedroom_occupancy").state == "off"
        assert refresh.call_count == 0
        freezer.move_to(DAY0 + timedelta(seconds=61))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert refresh.call_count == 1
