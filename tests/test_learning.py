"""Learning that survives restarts, room changes and missing sensors (the recorder is real)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.occupancy_prediction.const import (
    CONF_OCCUPANCY_SENSORS,
    CONF_RETRAIN_TIME,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.occupancy_prediction.store import room_store_key

from .conftest import room_subentry, setup_entry
from .test_coordinator import (
    BEDROOM,
    DAY0,
    VAC,
    bedroom_entry,
    expected_prediction,
    presence,
    record_three_mornings,
    three_mornings_episodes,
)

EIGHT_TWENTY = DAY0 + timedelta(days=3, hours=8, minutes=20)


def expected_at_eight_twenty() -> str:
    """The Next transition state at 08:20 on 7 May, from the ensemble fitted directly."""
    expected = expected_prediction(
        VAC, DAY0 + timedelta(days=3, hours=8), EIGHT_TWENTY, three_mornings_episodes()
    )
    assert expected.predicted_time is not None
    return expected.predicted_time.isoformat(timespec="seconds")


PREDICTION_ENTITIES = (
    "sensor.bedroom_next_transition",
    "sensor.bedroom_time_until_transition",
    "sensor.bedroom_prediction_confidence",
)


def prediction_states(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    states = [hass.states.get(entity_id) for entity_id in PREDICTION_ENTITIES]
    assert all(isinstance(state, State) for state in states)
    return [(s.state, dict(s.attributes)) for s in states if s is not None]


async def test_restart_gives_the_same_predictions_from_storage(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """Learned episodes, refitted hazard tables, weights and 'since' all come back from storage."""
    await record_three_mornings(hass, freezer)
    freezer.move_to(EIGHT_TWENTY)
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    assert prediction_states(hass)[0][0] == expected_at_eight_twenty()
    # Sampled at 08:20, scored when the room is occupied at 08:40 (the weights
    # move; the vacant spell is learned and the hazard tables refitted).
    await entry.runtime_data.async_refresh()
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=40))
    presence(hass, "on")
    await hass.async_block_till_done()
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=45))
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    learner = entry.runtime_data.learners["bedroom_id"]
    scores = dict(learner.model.scores)
    assert set(scores.values()) != {0.0}
    before = prediction_states(hass)
    assert before[0][1]["transition_type"] == "vacant"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[room_store_key("bedroom_id")]["data"]
    # off at 08:00 and on at 09:00 for three days, off at 08:00 and on at 08:40 on the fourth.
    assert stored["sensors"][BEDROOM]["states"] == "01010101"
    assert stored["model"]["key"]["model"] == "ensemble"
    assert stored["model"]["params"]["context"]["episode_counts"] == {
        "occupied": 3,
        "vacant": 4,
    }
    assert stored["model"]["current_episode"] == [
        "occupied",
        (DAY0 + timedelta(days=3, hours=8, minutes=40)).timestamp(),
    ]

    # No retraining after the restart: the predictions come from what was stored.
    with patch(
        "custom_components.occupancy_prediction.room_learner.RoomLearner.async_train",
        side_effect=RuntimeError("no retraining in this test"),
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert prediction_states(hass) == before
    assert entry.runtime_data.learners["bedroom_id"].model.scores == scores
    assert hass.states.get("sensor.occupancy_prediction_status").state == "error"


async def test_stale_saved_model_is_retrained(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A model saved by an older version (B2 only) is not loaded but retrained, without error."""
    await record_three_mornings(hass, freezer)
    freezer.move_to(EIGHT_TWENTY)
    hass_storage[room_store_key("bedroom_id")] = {
        "version": 1,
        "minor_version": 1,
        "key": room_store_key("bedroom_id"),
        "data": {
            "sensors": {},
            "model": {
                "key": {
                    "model": "hourly_median",
                    "sensors": [[BEDROOM, "presence"]],
                    "vacancy_delay": 300.0,
                },
                "trained_at": "2026-05-06T03:30:00+00:00",
                "training_seconds": 0.01,
                "params": {"episode_counts": {"occupied": 3, "vacant": 3}, "buckets": []},
            },
            "accuracy": None,
        },
    }
    entry = bedroom_entry()
    with patch(
        "custom_components.occupancy_prediction.room_learner.EnsembleModel.from_dict",
        side_effect=AssertionError("a stale model must not be loaded"),
    ):
        await setup_entry(hass, entry)
    assert "Saved model of Bedroom is out of date; retraining" in caplog.text
    assert entry.runtime_data.learners["bedroom_id"].trained_at == EIGHT_TWENTY
    assert hass.states.get("sensor.bedroom_next_transition").state == expected_at_eight_twenty()
    assert hass.states.get("sensor.occupancy_prediction_status").state == "learning"


@pytest.mark.parametrize(
    "params",
    [
        {"version": 1},
        {"version": 99},
        None,
        [1, 2, 3],
        "scores",
    ],
)
async def test_corrupt_saved_model_is_retrained(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    params: Any,
) -> None:
    """Unusable saved parameters under a current key: a warning, then the room retrains."""
    await record_three_mornings(hass, freezer)
    freezer.move_to(EIGHT_TWENTY)
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[room_store_key("bedroom_id")]["data"]
    stored["model"]["params"] = params
    with patch(
        "custom_components.occupancy_prediction.room_learner.RoomLearner.async_train",
        side_effect=RuntimeError("no retraining yet"),
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert "Saved model of Bedroom is unusable" in caplog.text
    assert entry.runtime_data.learners["bedroom_id"].model is None
    assert hass.states.get("sensor.bedroom_next_transition").state == "unknown"
    # The next training (here the retrain action's) brings the predictions back.
    await entry.runtime_data.async_retrain()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.bedroom_next_transition").state == expected_at_eight_twenty()


async def test_damaged_room_file_is_relearned_from_the_recorder(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await record_three_mornings(hass, freezer)
    freezer.move_to(EIGHT_TWENTY)
    hass_storage[room_store_key("bedroom_id")] = {
        "version": 1,
        "minor_version": 1,
        "key": room_store_key("bedroom_id"),
        "data": {"sensors": {BEDROOM: {"start": "yesterday"}}},
    }
    await setup_entry(hass, bedroom_entry())
    assert "moved aside" in caplog.text
    assert hass.states.get("sensor.bedroom_next_transition").state == expected_at_eight_twenty()


async def test_live_episodes_are_learned_and_saved(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    await record_three_mornings(hass, freezer)
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=20))
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=40))
    presence(hass, "on")
    await hass.async_block_till_done()
    # The vacant spell 08:00-08:40 is a fourth vacant episode, learned at once.
    coordinator = entry.runtime_data
    assert coordinator.data.rooms["bedroom_id"].episodes == 7
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[room_store_key("bedroom_id")]["data"]
    assert stored["sensors"][BEDROOM]["states"] == "01010101"
    assert stored["model"]["params"]["context"]["episode_counts"] == {
        "occupied": 3,
        "vacant": 4,
    }


async def test_removed_room_loses_its_data_and_a_new_one_starts_fresh(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    presence(hass, "off")
    hass.states.async_set("binary_sensor.kitchen_motion", "off")
    await setup_entry(hass, config_entry)
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert room_store_key("bedroom_id") in hass_storage
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.config_entries.async_remove_subentry(config_entry, "bedroom_id")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert room_store_key("bedroom_id") not in hass_storage
    assert room_store_key("kitchen_id") in hass_storage

    # Removing the integration deletes every file it kept.
    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert not [key for key in hass_storage if key.startswith(DOMAIN)]


async def test_sensor_removed_from_a_room_is_forgotten(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    freezer.move_to(DAY0 - timedelta(hours=1))
    presence(hass, "on", "binary_sensor.bed_mat")
    await record_three_mornings(hass, freezer)
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=20))
    entry = bedroom_entry(BEDROOM, "binary_sensor.bed_mat")
    await setup_entry(hass, entry)
    # The bed mat has been on all along: the room was never vacant.
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "on"
    assert hass.states.get("sensor.bedroom_next_transition").state == "unknown"

    hass.config_entries.async_update_subentry(
        entry,
        entry.subentries["bedroom_id"],
        data={**entry.subentries["bedroom_id"].data, CONF_OCCUPANCY_SENSORS: [BEDROOM]},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    # Episodes are derived again from the remaining sensor only.
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "off"
    assert hass.states.get("sensor.bedroom_next_transition").state == expected_at_eight_twenty()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert list(hass_storage[room_store_key("bedroom_id")]["data"]["sensors"]) == [BEDROOM]


async def test_missing_sensor_repair_and_fix_flow(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    entity_registry.async_get_or_create(
        "binary_sensor", "test", "mat", suggested_object_id="bed_mat"
    )
    presence(hass, "off")
    presence(hass, "off", "binary_sensor.bed_mat")
    entry = bedroom_entry(BEDROOM, "binary_sensor.bed_mat", "binary_sensor.gone")
    await setup_entry(hass, entry)
    issues = ir.async_get(hass)
    # A configured sensor that does not exist at all is reported at start-up.
    gone_id = "missing_entity_bedroom_id_binary_sensor.gone"
    assert issues.async_get_issue(DOMAIN, gone_id) is not None
    # One deleted while running is reported at once.
    entity_registry.async_remove("binary_sensor.bed_mat")
    hass.states.async_remove("binary_sensor.bed_mat")
    await hass.async_block_till_done()
    mat_id = "missing_entity_bedroom_id_binary_sensor.bed_mat"
    issue = issues.async_get_issue(DOMAIN, mat_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "room": "Bedroom",
        "entity_id": "binary_sensor.bed_mat",
    }

    client = await hass_client()
    resp = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": mat_id}
    )
    flow = await resp.json()
    assert flow["step_id"] == "confirm"
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await resp.json())["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.subentries["bedroom_id"].data[CONF_OCCUPANCY_SENSORS] == [
        BEDROOM,
        "binary_sensor.gone",
    ]
    # The reload closed the fixed issue; the other stays open.
    assert issues.async_get_issue(DOMAIN, mat_id) is None
    assert issues.async_get_issue(DOMAIN, gone_id) is not None


async def test_fix_flow_refuses_to_remove_the_last_sensor(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    entry = bedroom_entry("binary_sensor.gone")
    await setup_entry(hass, entry)
    client = await hass_client()
    resp = await client.post(
        "/api/repairs/issues/fix",
        json={"handler": DOMAIN, "issue_id": "missing_entity_bedroom_id_binary_sensor.gone"},
    )
    result = await resp.json()
    assert result["type"] == "abort"
    assert result["reason"] == "last_sensor"


async def test_unavailable_sensor_repair_after_an_hour(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    presence(hass, "on")
    presence(hass, "on", "binary_sensor.bed_mat")
    await setup_entry(hass, bedroom_entry(BEDROOM, "binary_sensor.bed_mat"))
    presence(hass, "unavailable")
    await hass.async_block_till_done()
    issue_id = f"sensor_unavailable_bedroom_id_{BEDROOM}"
    issues = ir.async_get(hass)
    freezer.tick(timedelta(minutes=59))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    # The bed mat, on for the whole time, is not reported (AOD#468).
    assert (
        issues.async_get_issue(DOMAIN, "sensor_unavailable_bedroom_id_binary_sensor.bed_mat")
        is None
    )
    presence(hass, "off")
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_daily_retrain_at_local_time_across_dst(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """03:30 local on 29 March 2026 in Berlin is 01:30 UTC (CEST began at 01:00 UTC)."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    freezer.move_to(datetime(2026, 3, 28, 12, tzinfo=dt_util.UTC))
    presence(hass, "off")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Occupancy Prediction",
        options={**DEFAULT_OPTIONS, CONF_RETRAIN_TIME: "03:30:00"},
        subentries_data=[room_subentry("bedroom_id", "Bedroom", [BEDROOM])],
    )
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    assert coordinator.last_trained == datetime(2026, 3, 28, 12, tzinfo=dt_util.UTC)
    # 03:30 CET on the 28th would be 02:30 UTC: already past, nothing happens until the 29th.
    freezer.move_to(datetime(2026, 3, 29, 1, 29, 59, tzinfo=dt_util.UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.last_trained == datetime(2026, 3, 28, 12, tzinfo=dt_util.UTC)
    freezer.move_to(datetime(2026, 3, 29, 1, 30, tzinfo=dt_util.UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.last_trained == datetime(2026, 3, 29, 1, 30, tzinfo=dt_util.UTC)
    # Not again an hour later (a naive "03:30 + 1 h" bug would fire at 02:30 UTC).
    freezer.move_to(datetime(2026, 3, 29, 2, 30, tzinfo=dt_util.UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.last_trained == datetime(2026, 3, 29, 1, 30, tzinfo=dt_util.UTC)


async def test_short_history_issue_closes_after_a_week(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await record_three_mornings(hass, freezer)
    freezer.move_to(DAY0 + timedelta(days=3, hours=8, minutes=20))
    entry = bedroom_entry()
    await setup_entry(hass, entry)
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, "insufficient_history_bedroom_id") is not None
    # Seven days after the first evidence (08:00 on day 0) the issue closes by itself.
    freezer.move_to(DAY0 + timedelta(days=7, hours=8, minutes=1))
    # The minute's refresh, run directly: a four-day jump of the frozen clock
    # does not reliably fire the coordinator's own timer.
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, "insufficient_history_bedroom_id") is None
    assert hass.states.get("sensor.occupancy_prediction_status").state == "ready"


async def test_recorder_failure_does_not_stop_learning(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    presence(hass, "off")
    with patch(
        "custom_components.occupancy_prediction.room_learner.async_import_into_logs",
        side_effect=RuntimeError("database is locked"),
    ):
        entry = bedroom_entry()
        await setup_entry(hass, entry)
    assert "Could not read the history of Bedroom from the recorder" in caplog.text
    assert entry.runtime_data.history_loaded
    # Live states are still learned from.
    presence(hass, "on")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.bedroom_occupancy").state == "on"
    assert [v for _, v in entry.runtime_data.learners["bedroom_id"].logs[BEDROOM].events()] == [
        "off",
        "on",
    ]
