"""Timed steps: each prints its duration, and the summary lists them all."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import time


class Steps:
    """Prints each step with its duration, and keeps them for the summary."""

    def __init__(self) -> None:
        """Start the overall clock."""
        self.started = time.monotonic()
        self.done: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as step ``name``."""
        print(f"==> {name} ...", flush=True)
        begin = time.monotonic()
        yield
        took = time.monotonic() - begin
        self.done.append((name, took))
        print(f"==> {name}: done in {took:.1f} s", flush=True)

    def summary(self) -> str:
        """All steps with their durations and the total."""
        lines = [f"  {took:6.1f} s  {name}" for name, took in self.done]
        lines.append(f"  {time.monotonic() - self.started:6.1f} s  total")
        return "\n".join(lines)
