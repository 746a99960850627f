"""Packed arrays in the stores: exact round trips, older list form, clear errors."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from custom_components.occupancy_prediction.engine.packing import FLOAT64, INT32, pack, unpack


def test_round_trips_are_exact() -> None:
    floats = np.array([[0.1, -2.5e-300], [np.inf, 1 / 3]])
    assert np.array_equal(unpack(pack(floats, FLOAT64), FLOAT64, (2, 2)), floats)
    ints = np.array([0, -1, 2**31 - 1, -(2**31)], dtype=np.int64)
    assert unpack(pack(ints, INT32), INT32).tolist() == ints.tolist()
    assert unpack(pack(np.empty(0), INT32), INT32).size == 0


def test_packed_text_is_the_little_endian_bytes() -> None:
    """1 and 258 as 32-bit little-endian: 01 00 00 00 02 01 00 00."""
    text = pack(np.array([1, 258]), INT32)
    assert base64.b64decode(text) == bytes([1, 0, 0, 0, 2, 1, 0, 0])


def test_lists_from_older_stores() -> None:
    assert unpack([[1.5, 2.0], [3.0, 4.0]], FLOAT64, (2, 2)).tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert unpack([1, 2, 3], INT32).dtype == np.int32


@pytest.mark.parametrize(
    ("value", "shape", "message"),
    [
        ("AQ?A", None, "not base64"),
        ("é", None, "not base64"),
        ("AQID", None, "whole"),
        ({"a": 1}, None, "neither"),
        (["x"], None, "not numbers"),
        ([2**40], None, "not numbers"),
        ([[1, 2]], None, "dimensions"),
        ([1, 2, 3], (2, 2), "shape"),
        ([[1, 2, 3], [4, 5, 6]], (3, 2), "shape"),
    ],
)
def test_bad_stored_arrays_raise(
    value: object, shape: tuple[int, ...] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        unpack(value, INT32, shape)


def test_values_beyond_the_type_are_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        pack(np.array([2**40]), INT32)
