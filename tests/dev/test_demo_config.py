"""The demo configuration folder and the household file."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path

import yaml

from dev import synthetic
from dev.demo_config import (
    HOUSEHOLD_FILE,
    DemoSettings,
    configuration_yaml,
    http_storage,
    read_marker,
    read_token,
    save_token,
    write_config,
    write_marker,
)
from dev.demo_setup import CARD_TYPE, DASHBOARD_VIEW, RoomEntities, dashboard_config
from dev.household import place


def test_configuration_has_no_http_key_and_keeps_history() -> None:
    household = synthetic.generate(days=40)
    config = yaml.safe_load(configuration_yaml(household, DemoSettings(port=8200)))
    assert "http" not in config
    assert config["recorder"]["purge_keep_days"] >= 112
    assert config["homeassistant"]["time_zone"] == household.time_zone
    assert "SYNTHETIC" in config["homeassistant"]["name"]
    assert config["occupancy_demo"]["household"] == HOUSEHOLD_FILE
    assert http_storage(8200)["data"]["stable"]["server_port"] == 8200


def test_write_config(tmp_path: Path) -> None:
    household = synthetic.generate(days=40)
    placement = place(household, datetime.now(UTC), 28)
    config_dir = tmp_path / "config"
    write_config(config_dir, household, placement, DemoSettings())
    assert (config_dir / "custom_components" / "occupancy_prediction" / "manifest.json").is_file()
    assert (config_dir / "custom_components" / "occupancy_demo" / "manifest.json").is_file()
    document = json.loads((config_dir / HOUSEHOLD_FILE).read_text())
    assert document["synthetic"] is True
    assert [room["key"] for room in document["rooms"]] == [r.key for r in household.rooms]
    times = [event[0] for event in document["events"]]
    assert times == sorted(times)
    assert times[0] < datetime.now(UTC).timestamp() < times[-1]
    assert read_marker(config_dir) is None
    write_marker(config_dir, {"source": "x"})
    assert read_marker(config_dir)["source"] == "x"  # type: ignore[index]
    assert read_token(config_dir) is None
    save_token(config_dir, "abc")
    assert read_token(config_dir) == "abc"


def test_demo_dashboard_starts_with_the_integrations_card() -> None:
    rooms = [RoomEntities("Kitchen", {"occupancy": "binary_sensor.kitchen_occupancy"})]
    view = dashboard_config("Demo", rooms)["views"][0]
    assert view["path"] == DASHBOARD_VIEW
    assert view["cards"][0] == {"type": CARD_TYPE, "title": "Occupancy prediction"}
    assert CARD_TYPE == "custom:occupancy-prediction-card"
    assert {
        "type": "entities",
        "title": "Kitchen",
        "entities": ["binary_sensor.kitchen_occupancy"],
    } in view["cards"]
