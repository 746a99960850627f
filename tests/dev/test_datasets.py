"""The CASAS Aruba loader and the synthetic household generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from dev import aruba, synthetic
from dev.household import presence_events


def test_parse_locations_maps_codes_to_rooms() -> None:
    assert aruba.parse_locations("1\n2\n3\n4\n5\n7\n9\n") == [
        "bedroom",
        "bathroom",
        "living_room",
        "kitchen",
        None,
        "office",
        None,
    ]


def test_parse_locations_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="line 2"):
        aruba.parse_locations("1\nx\n")


def test_load_aruba_from_a_folder(tmp_path: Path) -> None:
    (tmp_path / "location.min").write_text("1\n1\n3\n")
    assert aruba.is_aruba(tmp_path)
    household = aruba.load_aruba(tmp_path)
    assert not household.synthetic
    assert household.location == ["bedroom", "bedroom", "living_room"]
    assert household.start.weekday() == 3  # 2010-11-04 was a Thursday
    assert not aruba.is_aruba(tmp_path / "missing")


def test_synthetic_household_is_labelled_and_reproducible() -> None:
    first, second = synthetic.generate(days=14, seed=3), synthetic.generate(days=14, seed=3)
    assert first.synthetic
    assert "SYNTHETIC" in first.title
    assert first.location == second.location
    assert first.minutes == 14 * 1440


def test_synthetic_household_gives_every_room_episodes() -> None:
    household = synthetic.generate(days=14)
    events = presence_events(household)
    for room in household.rooms:
        assert sum(1 for e in events if e.room == room.key and e.on) >= 10
