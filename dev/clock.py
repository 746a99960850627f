"""A replay clock for the dev Home Assistant: real time, or real time sped up.

``script/develop --speed 60`` replays an hour of the household per minute.
For the integration to see the replayed household as it would live (a
10-minute stay lasting 10 minutes on its clock), the whole Home Assistant
process runs on this clock: :func:`install` makes ``time.time``,
``time.monotonic`` (the event loop's clock) and ``dt_util.utcnow`` return the
replay time, and shortens the event loop's waits by the same factor, so
timers fire on replay time. At speed 1 the clock is the real clock.

The clock is continuous and piecewise linear: :meth:`ReplayClock.set_speed`
re-anchors it, so Home Assistant can boot at speed 1 and speed up once the
demo home is set up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import selectors
import threading
import time
from typing import Any


@dataclass(slots=True)
class _Anchor:
    real_time: float
    real_monotonic: float
    time: float
    monotonic: float
    speed: float


class ReplayClock:
    """Replay time derived from the real clocks.

    Args:
        real_time: the real wall clock (epoch seconds).
        real_monotonic: the real monotonic clock.
        offset: seconds the replay clock starts ahead of the real clock.
        speed: replay seconds per real second.
    """

    def __init__(
        self,
        real_time: Callable[[], float] = time.time,
        real_monotonic: Callable[[], float] = time.monotonic,
        offset: float = 0.0,
        speed: float = 1.0,
    ) -> None:
        """Start the clock ``offset`` seconds ahead of the real clock."""
        self._real_time = real_time
        self._real_monotonic = real_monotonic
        self._lock = threading.Lock()
        now, mono = real_time(), real_monotonic()
        self._anchor = _Anchor(now, mono, now + offset, mono, _valid(speed))

    @property
    def speed(self) -> float:
        """Current replay seconds per real second."""
        return self._anchor.speed

    def time(self) -> float:
        """Replay wall-clock time (epoch seconds)."""
        anchor = self._anchor
        return anchor.time + (self._real_time() - anchor.real_time) * anchor.speed

    def time_ns(self) -> int:
        """Replay wall-clock time in nanoseconds."""
        return int(self.time() * 1e9)

    def monotonic(self) -> float:
        """Replay monotonic time: advances at the replay speed."""
        anchor = self._anchor
        return anchor.monotonic + (self._real_monotonic() - anchor.real_monotonic) * anchor.speed

    def monotonic_ns(self) -> int:
        """Replay monotonic time in nanoseconds."""
        return int(self.monotonic() * 1e9)

    def real_seconds(self, replay_seconds: float) -> float:
        """How long ``replay_seconds`` of replay time take in real time now."""
        return replay_seconds / self._anchor.speed

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on; the clock does not jump."""
        with self._lock:
            real_now, real_mono = self._real_time(), self._real_monotonic()
            self._anchor = _Anchor(
                real_now, real_mono, self.time(), self.monotonic(), _valid(speed)
            )


def _valid(speed: float) -> float:
    if not speed > 0:
        msg = f"speed must be positive, got {speed}"
        raise ValueError(msg)
    return float(speed)


CLOCK: ReplayClock | None = None
"""The clock installed in this process, or None when time is not replayed."""


def install(offset: float = 0.0, speed: float = 1.0) -> ReplayClock:
    """Run this process on a :class:`ReplayClock`. Call before importing Home Assistant.

    Patches the ``time`` module (modules importing ``from time import ...``
    afterwards get the replay functions), the default selector's waits, and
    Home Assistant's ``utcnow`` helpers.
    """
    global CLOCK  # noqa: PLW0603 - one clock per process, by design
    clock = ReplayClock(time.time, time.monotonic, offset, speed)
    time.time = clock.time
    time.time_ns = clock.time_ns
    time.monotonic = clock.monotonic
    time.monotonic_ns = clock.monotonic_ns
    _shorten_selector_waits(clock)
    _patch_home_assistant(clock)
    CLOCK = clock
    return clock


def _shorten_selector_waits(clock: ReplayClock) -> None:
    """The event loop waits for its next timer in replay seconds; wait real ones."""
    selector_class: Any = selectors.DefaultSelector
    original = selector_class.select

    def select(self: Any, timeout: float | None = None) -> Any:
        if timeout is not None and timeout > 0:
            timeout = clock.real_seconds(timeout)
        return original(self, timeout)

    selector_class.select = select


def _patch_home_assistant(clock: ReplayClock) -> None:
    """Home Assistant binds ``utcnow`` to the C clock; point it at the replay clock."""
    from datetime import UTC, datetime, tzinfo  # noqa: PLC0415

    from homeassistant import util  # noqa: PLC0415 - must follow the time patches
    from homeassistant.util import dt as dt_util  # noqa: PLC0415

    def utcnow() -> datetime:
        return datetime.fromtimestamp(clock.time(), UTC)

    def now(time_zone: tzinfo | None = None) -> datetime:
        return datetime.fromtimestamp(clock.time(), time_zone or dt_util.get_default_time_zone())

    dt_util.utcnow = utcnow  # type: ignore[assignment]
    dt_util.now = now
    util.utcnow = utcnow  # type: ignore[attr-defined,assignment]
    _patch_jwt(clock)


def _patch_jwt(clock: ReplayClock) -> None:
    """PyJWT checks ``iat``/``exp`` against the C clock; Home Assistant signs in replay time.

    Without this, every token issued once the replay runs ahead of real time
    is "not yet valid", and nobody can log in.
    """
    from datetime import datetime, tzinfo  # noqa: PLC0415

    import jwt.api_jwt  # noqa: PLC0415

    class _Meta(type):
        def __instancecheck__(cls, instance: object) -> bool:
            return isinstance(instance, datetime)

    class ReplayDatetime(datetime, metaclass=_Meta):
        """``datetime`` whose ``now`` is replay time (only inside PyJWT)."""

        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(clock.time(), tz)

    jwt.api_jwt.datetime = ReplayDatetime  # type: ignore[attr-defined]
