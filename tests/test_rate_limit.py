"""The token bucket of the websocket subscriptions."""

from __future__ import annotations

import pytest

from custom_components.occupancy_prediction.rate_limit import TokenBucket


def test_bucket_starts_full_and_refills_per_minute() -> None:
    bucket = TokenBucket(3, now=100.0)
    assert [bucket.try_take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.seconds_until_token(100.0) == pytest.approx(20.0)
    assert bucket.seconds_until_token(110.0) == pytest.approx(10.0)
    assert bucket.try_take(120.0)
    assert not bucket.try_take(120.0)
    # A clock going backwards refills nothing.
    assert not bucket.try_take(50.0)
    # Never more than the capacity.
    assert bucket.seconds_until_token(10_000.0) == 0.0
    assert [bucket.try_take(10_000.0) for _ in range(4)] == [True, True, True, False]


def test_set_rate_keeps_tokens_capped() -> None:
    bucket = TokenBucket(10, now=0.0)
    bucket.set_rate(2, now=0.0)
    assert bucket.per_minute == 2.0
    assert [bucket.try_take(0.0) for _ in range(3)] == [True, True, False]
    assert bucket.seconds_until_token(0.0) == pytest.approx(30.0)


@pytest.mark.parametrize("per_minute", [0, 0.5, -1])
def test_rate_below_one_is_refused(per_minute: float) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        TokenBucket(per_minute, now=0.0)
    with pytest.raises(ValueError, match="at least 1"):
        TokenBucket(1, now=0.0).set_rate(per_minute, now=0.0)
