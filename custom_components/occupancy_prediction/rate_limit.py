"""A token bucket for the websocket subscriptions (pure Python, no Home Assistant)."""

from __future__ import annotations

_EPSILON = 1e-9
"""Float slack so a token that is due by arithmetic is not missed by rounding."""


class TokenBucket:
    """Allows ``per_minute`` messages a minute, in bursts of up to ``per_minute``.

    The bucket starts full. It refills continuously at ``per_minute / 60``
    tokens a second up to its capacity (``per_minute``). Times are seconds of
    a monotonic clock supplied by the caller (the event loop's ``time()``); a
    clock that goes backwards refills nothing.

    Args:
        per_minute: capacity and refill rate, in messages per minute (>= 1).
        now: the current clock reading, in seconds.

    Raises:
        ValueError: if ``per_minute`` is below 1.
    """

    __slots__ = ("_capacity", "_rate", "_tokens", "_updated")

    def __init__(self, per_minute: float, now: float) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._capacity = float(per_minute)
        self._rate = self._capacity / 60.0
        self._tokens = self._capacity
        self._updated = now

    @property
    def per_minute(self) -> float:
        """The capacity and refill rate, in messages per minute."""
        return self._capacity

    def set_rate(self, per_minute: float, now: float) -> None:
        """Change the rate (after an options change); the tokens held stay, capped.

        Raises:
            ValueError: if ``per_minute`` is below 1.
        """
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._refill(now)
        self._capacity = float(per_minute)
        self._rate = self._capacity / 60.0
        self._tokens = min(self._tokens, self._capacity)

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now

    def try_take(self, now: float) -> bool:
        """Take one token if one is free at ``now``; True if taken."""
        self._refill(now)
        if self._tokens >= 1.0 - _EPSILON:
            self._tokens = max(0.0, self._tokens - 1.0)
            return True
        return False

    def seconds_until_token(self, now: float) -> float:
        """Seconds from ``now`` until one whole token is free (0 if one is free now)."""
        self._refill(now)
        if self._tokens >= 1.0 - _EPSILON:
            return 0.0
        return (1.0 - self._tokens) / self._rate
