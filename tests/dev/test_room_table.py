"""The per-room table built from Home Assistant's states."""

from __future__ import annotations

from dev import synthetic
from dev.check_report import Score
from dev.check_run import has_prediction
from dev.demo_setup import RoomEntities, dashboard_config, entity_id_for
from dev.room_table import table

ROOM = RoomEntities(
    "Kitchen",
    {"occupancy": "binary_sensor.kitchen_occupancy", "next_transition": "sensor.kitchen_next"},
)


def test_table_shows_prediction_and_state() -> None:
    household = synthetic.generate(days=1)  # Europe/Amsterdam
    states = {
        "binary_sensor.kitchen_occupancy": {
            "state": "off",
            "attributes": {"since": "2026-01-05T06:00:00+00:00"},
        },
        "sensor.kitchen_next": {
            "state": "2026-01-05T07:30:00+00:00",
            "attributes": {
                "transition_type": "occupied",
                "confidence": 0.42,
                "interval_lower": "2026-01-05T07:00:00+00:00",
                "interval_upper": "2026-01-05T08:00:00+00:00",
            },
        },
    }
    text = table(household, [ROOM], states, {"Kitchen": Score(3, 10.0, 1.0, 0)})
    row = text.splitlines()[2]
    assert "vacant since Mon 07:00" in row
    assert "occupied Mon 08:30" in row
    assert "Mon 08:00 - Mon 09:00" in row
    assert "42%" in row
    assert "10.0" in row


def test_table_without_prediction() -> None:
    household = synthetic.generate(days=1)
    text = table(household, [ROOM], {"sensor.kitchen_next": {"state": "unknown"}}, {})
    assert "none yet" in text
    assert "MAE" not in text
    states = {
        "sensor.kitchen_next": {"state": "unknown", "attributes": {"transition_type": "vacant"}}
    }
    assert "vacant beyond 24 h" in table(household, [ROOM], states, {})


def test_dashboard_has_a_card_per_room() -> None:
    config = dashboard_config("Demo", [ROOM])
    cards = config["views"][0]["cards"]
    assert cards[-1] == {
        "type": "entities",
        "title": "Kitchen",
        "entities": ["binary_sensor.kitchen_occupancy", "sensor.kitchen_next"],
    }
    assert entity_id_for("kitchen") == "binary_sensor.demo_kitchen_presence"


def test_has_prediction() -> None:
    assert not has_prediction({}, ROOM)
    assert not has_prediction({"sensor.kitchen_next": {"state": "unknown"}}, ROOM)
    assert has_prediction({"sensor.kitchen_next": {"state": "2026-01-05T07:30:00+00:00"}}, ROOM)
    beyond = {"state": "unknown", "attributes": {"transition_type": "vacant"}}
    assert has_prediction({"sensor.kitchen_next": beyond}, ROOM)
