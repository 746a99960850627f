"""The replay clock's arithmetic (not installed into this process)."""

from __future__ import annotations

import pytest

from dev.clock import ReplayClock


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_speed_one_is_real_time_plus_offset() -> None:
    real = FakeTime()
    clock = ReplayClock(real, real, offset=50)
    real.now += 10
    assert clock.time() == 1060
    assert clock.monotonic() == 1010
    assert clock.time_ns() == 1060 * 10**9


def test_set_speed_is_continuous() -> None:
    real = FakeTime()
    clock = ReplayClock(real, real)
    real.now += 10
    clock.set_speed(60)
    assert clock.time() == 1010
    real.now += 2
    assert clock.time() == 1010 + 120
    assert clock.monotonic() == 1010 + 120
    assert clock.monotonic_ns() == (1010 + 120) * 10**9
    assert clock.real_seconds(600) == 10
    clock.set_speed(1)
    real.now += 1
    assert clock.time() == 1131
    assert clock.speed == 1


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ReplayClock(speed=0)
