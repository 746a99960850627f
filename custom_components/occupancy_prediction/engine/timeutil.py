"""Time conversions shared by the engine.

The engine works in POSIX seconds (UTC) internally. Every datetime crossing
its boundary must be timezone-aware: a naive datetime is ambiguous across DST
changes and raises ``ValueError`` instead of being guessed at.
"""

from __future__ import annotations

from datetime import UTC, datetime


def to_timestamp(moment: datetime) -> float:
    """Return POSIX seconds for an aware datetime.

    Raises:
        ValueError: if ``moment`` has no timezone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} given; use an aware UTC datetime")
    return moment.timestamp()


def from_timestamp(seconds: float) -> datetime:
    """Return the aware UTC datetime for POSIX ``seconds``."""
    return datetime.fromtimestamp(seconds, UTC)
