"""Compact JSON form of numpy arrays for the stores: base64 of their little-endian bytes.

A year of a room's model is tens of thousands of numbers. As nested JSON
lists they cost a Python list per row and an object per number when saved,
enough to set off full garbage collections that stall the event loop; packed,
each array is one string. The gain is in allocations, not size: the text is
about as long as the decimal digits (shorter for full-precision floats,
longer for small whole numbers).
"""

from __future__ import annotations

import base64
import binascii

import numpy as np

FLOAT64 = "<f8"
INT32 = "<i4"


def pack(values: np.ndarray, dtype: str) -> str:
    """``values`` (any shape, flattened in C order) as base64 text of ``dtype`` bytes.

    Raises:
        ValueError: if ``values`` do not fit ``dtype`` (e.g. an int beyond 32 bits).
    """
    array = np.asarray(values)
    converted = array.astype(dtype)
    if converted.dtype.kind == "i" and not np.array_equal(converted, array):
        raise ValueError(f"values do not fit {dtype}")
    return base64.b64encode(converted.tobytes()).decode("ascii")


def unpack(value: object, dtype: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """An array from :func:`pack`'s text, or from a (nested) JSON list as older stores hold.

    Args:
        value: the packed text, or a list of numbers (older stored data).
        dtype: the packed element type (``FLOAT64`` or ``INT32``).
        shape: the array's shape; None for a 1-D array of any length.

    Returns:
        A new array of ``dtype``'s native equivalent.

    Raises:
        ValueError: for text that is not base64 of whole ``dtype`` elements,
            values that are not numbers, or another shape.
    """
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as err:
            raise ValueError(f"packed array is not base64: {err}") from err
        size = np.dtype(dtype).itemsize
        if len(raw) % size:
            raise ValueError(f"packed array of {len(raw)} bytes is not whole {dtype} elements")
        array = np.frombuffer(raw, dtype=dtype).astype(np.dtype(dtype).newbyteorder("="))
    elif isinstance(value, list):
        try:
            array = np.asarray(value, dtype=np.dtype(dtype).newbyteorder("="))
        except (TypeError, ValueError, OverflowError) as err:
            raise ValueError(f"stored array is not numbers: {err}") from err
    else:
        raise ValueError(f"stored array is neither packed text nor a list: {type(value)!r}")
    if shape is None:
        if array.ndim != 1:
            raise ValueError(f"stored array has {array.ndim} dimensions, not 1")
        return array
    if array.size != int(np.prod(shape)) or (array.ndim > 1 and array.shape != shape):
        raise ValueError(f"stored array has shape {array.shape}, not {shape}")
    return array.reshape(shape)
