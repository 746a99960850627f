"""History import and training under load, in a real Home Assistant with the real recorder.

Issue 5, "Training schedule and load": 20 rooms x 3 chatty motion sensors (about 300 state
changes per sensor per day), 60 days of recorder history. The benchmark

1. prepares a recorder database (in a child process, so its memory does not count): a
   real recorder creates the schema in a file SQLite database, then about 1.08 M past
   state changes are inserted straight into the recorder's ``states`` / ``states_meta`` /
   ``state_attributes`` tables with the recorder's own schema (``db_schema.States``...),
   in time order, the way the recorder writes them (``last_changed_ts`` NULL when equal
   to ``last_updated_ts``, ``old_state_id`` chained per entity);
2. starts a Home Assistant test instance on that database ("a restart with 60 days of
   history"), with the motion sensors in the entity registry (device class motion) and
   their current states, and the Occupancy Prediction integration loaded from this
   working tree's ``custom_components/``;
3. sets up the hub entry with one room subentry per room (``history_days`` = days) and
   measures until the coordinator reports ``history_loaded``:

   * ``train_s``: wall time inside ``OccupancyCoordinator._async_train`` (the room's fit in
     the executor and what the loop does around it) during the initial learning;
   * ``import_s``: the rest of the time from the entry setup to ``history_loaded``
     (entry and platform setup, recorder queries, building the rooms' evidence);
   * ``max_loop_stall_ms``: the largest lateness of a ticker task that sleeps 5 ms, from
     the entry setup until ``--settle`` seconds (default 70) after ``history_loaded``, so
     that the integration's delayed store saves (a minute after the import) count too;
   * ``memory_growth_mb``: peak RSS during the run (VmHWM, reset just before the setup)
     minus RSS just before the setup, over the same period.

``sensors`` in the JSON is the total number of sensors (rooms x sensors per room).

A watchdog thread samples the event loop's stack during stalls and the table lists where
the loop was blocked; the ticker also records the loop thread's own CPU time in each
stall, and /proc's schedstat how long the loop thread waited for a CPU (on a busy machine
stalls are longer than the code alone makes them). ``gc.callbacks`` record every cyclic
garbage collection (thread, generation, duration) and each listed stall says how much of
it was a collection: a full (generation 2) collection walks every tracked object of the
process with the GIL held, so it stalls the loop whichever thread triggers it; the table
also times one ``gc.collect()`` after the measurement, what any full collection costs.

For finding where stalls come from: ``--variant`` skips the import and/or the fits
(``idle``: Home Assistant and the recorder alone), ``--gc-freeze`` calls ``gc.freeze()``
before the setup (full collections then skip what existed before), ``--trace FILE``
writes every stall and collection as JSON, and ``--reuse DIR`` prepares the database once
into DIR and measures later runs on a fresh copy of it.

The integration is not modified; timing hooks wrap its functions from outside.

Usage (from the repository root)::

    .venv/bin/python benchmarks/history_load.py                 # 20 rooms x 3 sensors x 60 days
    .venv/bin/python benchmarks/history_load.py --rooms 2 --days 7 --json /tmp/out.json

Targets (issue 5): import + training < 60 s, longest stall < 50 ms, memory growth < 100 MB.
The exit status is 0 whether or not the targets are met (the table says which).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import functools
import gc
import json
import logging
import os
from pathlib import Path
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

# Run as ``python benchmarks/history_load.py``: the repository root must be importable so
# that Home Assistant's loader finds this working tree's ``custom_components``.
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from homeassistant.components import recorder  # noqa: E402
from homeassistant.components.recorder import db_schema, history as recorder_history  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402
from homeassistant.helpers import entity_registry as er, recorder as recorder_helper  # noqa: E402
from homeassistant.loader import async_get_integration  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.occupancy_prediction import (  # noqa: E402
    coordinator as coordinator_module,
    room_learner as room_learner_module,
)
from custom_components.occupancy_prediction.const import (  # noqa: E402
    CONF_AREA,
    CONF_DOOR_SENSORS,
    CONF_HISTORY_DAYS,
    CONF_OCCUPANCY_SENSORS,
    CONF_VACANCY_DELAY,
    DEFAULT_OPTIONS,
    DOMAIN,
    SUBENTRY_ROOM,
)

TIME_ZONE = "Europe/Berlin"
SEED = 20260505
DAY = 86400.0
TICK = 0.005  # the ticker's sleep, seconds
STALL_SAMPLE_S = 0.01  # the watchdog samples the loop's stack once the ticker is this late
STALL_REPORT_S = 0.02  # stalls longer than this are listed
TARGET_TOTAL_S = 60.0
TARGET_STALL_MS = 50.0
TARGET_MEMORY_MB = 100.0
SENSOR_PLATFORM = "history_load_benchmark"


# ---------------------------------------------------------------------------
# Synthetic motion history
# ---------------------------------------------------------------------------


def sensor_ids(rooms: int, sensors: int) -> list[list[str]]:
    """Entity ids of the motion sensors, one list per room."""
    return [
        [f"binary_sensor.room_{r:02d}_motion_{s}" for s in range(1, sensors + 1)]
        for r in range(1, rooms + 1)
    ]


def _room_sessions(rng: random.Random, day_start: float) -> list[tuple[float, float]]:
    """When a room is in use on one local day: a few sessions, mostly in waking hours.

    Returns (start, end) epoch seconds; sessions may overlap.
    """
    sessions = []
    for _ in range(rng.randint(6, 12)):
        start = day_start + rng.uniform(6.5, 23.0) * 3600
        sessions.append((start, start + rng.uniform(10, 90) * 60))
    if rng.random() < 0.4:  # a short visit at night
        start = day_start + rng.uniform(0.5, 5.5) * 3600
        sessions.append((start, start + rng.uniform(3, 15) * 60))
    return sessions


def _sensor_pulses(
    rng: random.Random,
    sessions: list[tuple[float, float]],
    day_start: float,
    day_end: float,
    pulses: int,
) -> Iterator[tuple[float, float]]:
    """One motion sensor's on/off pulses for one day.

    90 % of the pulses start inside the room's sessions, the rest anywhere in waking hours
    (or, rarely, at night: pets, sunlight). Each pulse is on for 30-120 s; pulses never
    overlap (a start is pushed after the previous pulse plus at least 2 s).
    """
    weights = [end - start for start, end in sessions]
    starts = []
    for _ in range(pulses):
        if rng.random() < 0.9:
            start, end = rng.choices(sessions, weights)[0]
            starts.append(rng.uniform(start, end))
        elif rng.random() < 0.8:
            starts.append(day_start + rng.uniform(6.5, 23.5) * 3600)
        else:
            starts.append(rng.uniform(day_start, day_end))
    starts.sort()
    free_from = day_start
    for start in starts:
        on = max(start, free_from)
        off = on + rng.uniform(30, 120)
        if off >= day_end:
            break
        yield on, off
        free_from = off + rng.uniform(2, 20)


def motion_history(
    rooms: list[list[str]], start: float, end: float, changes_per_day: int, tz: ZoneInfo
) -> Iterator[tuple[float, str, str]]:
    """Every state change of every sensor in [start, end), as (timestamp, entity_id, state).

    Deterministic (fixed seed). Each sensor starts ``off`` one second before ``start``
    (so the recorder has a state at the window start), then pulses on and off.
    Not sorted across sensors.
    """
    rng = random.Random(SEED)
    pulses = max(1, changes_per_day // 2)
    first_day = datetime.fromtimestamp(start, tz).date()
    last_day = datetime.fromtimestamp(end, tz).date()
    for room in rooms:
        for entity_id in room:
            yield start - 1, entity_id, "off"
        day = first_day
        while day <= last_day:
            day_start = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
            day_end = (
                datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)
            ).timestamp()
            sessions = _room_sessions(rng, day_start)
            for entity_id in room:
                for on, off in _sensor_pulses(rng, sessions, day_start, day_end, pulses):
                    if start <= on and off < end:
                        yield on, entity_id, "on"
                        yield off, entity_id, "off"
            day += timedelta(days=1)


# ---------------------------------------------------------------------------
# Home Assistant test instance
# ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def ha_instance(
    config_dir: Path, db_url: str, keep_days: int
) -> AsyncIterator[HomeAssistant]:
    """A running Home Assistant test instance with the real recorder on ``db_url``.

    Built with pytest-homeassistant-custom-component's ``async_test_home_assistant``
    (registries loaded, state ``running``), custom integrations enabled the way its
    ``enable_custom_integrations`` fixture does, ``http`` on a free local port, and the
    recorder with its default commit interval, no auto purge and ``keep_days`` days kept.
    """
    async with async_test_home_assistant(config_dir=str(config_dir)) as hass:
        await hass.config.async_set_time_zone(TIME_ZONE)
        hass.data.pop("custom_components", None)  # loader.DATA_CUSTOM_COMPONENTS
        assert await async_setup_component(
            hass, "http", {"http": {"server_host": "127.0.0.1", "server_port": _free_port()}}
        )
        recorder_helper.async_initialize_recorder(hass)
        assert await async_setup_component(
            hass,
            recorder.DOMAIN,
            {
                recorder.DOMAIN: {
                    recorder.CONF_DB_URL: db_url,
                    "purge_keep_days": keep_days,
                    "auto_purge": False,
                }
            },
        )
        await hass.async_block_till_done()
        await hass.async_add_executor_job(recorder.get_instance(hass).block_till_done)
        try:
            yield hass
        finally:
            await hass.async_stop(force=True)


# ---------------------------------------------------------------------------
# Preparation (child process)
# ---------------------------------------------------------------------------


async def _async_create_schema(config_dir: Path, db_url: str, keep_days: int) -> None:
    """Let the real recorder create its schema in the file database, then stop."""
    async with ha_instance(config_dir, db_url, keep_days):
        pass


def _insert_history(
    db_url: str, rooms: list[list[str]], start: float, end: float, changes_per_day: int
) -> int:
    """Write the synthetic history into the recorder's tables; return the number of rows."""
    from sqlalchemy import create_engine, insert  # noqa: PLC0415 - only the child needs it

    tz = ZoneInfo(TIME_ZONE)
    changes = sorted(motion_history(rooms, start, end, changes_per_day, tz))
    engine = create_engine(db_url)
    rng = random.Random(SEED + 1)
    with engine.begin() as conn:
        entity_ids = [entity_id for room in rooms for entity_id in room]
        metadata_ids: dict[str, int] = {}
        attributes_ids: dict[str, int] = {}
        for entity_id in entity_ids:
            meta = conn.execute(insert(db_schema.StatesMeta).values(entity_id=entity_id))
            metadata_ids[entity_id] = meta.inserted_primary_key[0]
            shared = json.dumps(
                {"device_class": "motion", "friendly_name": _friendly_name(entity_id)},
                separators=(",", ":"),
            )
            attrs = conn.execute(
                insert(db_schema.StateAttributes).values(
                    hash=db_schema.StateAttributes.hash_shared_attrs_bytes(shared.encode()),
                    shared_attrs=shared,
                )
            )
            attributes_ids[entity_id] = attrs.inserted_primary_key[0]
        last_id: dict[str, int | None] = dict.fromkeys(entity_ids)
        rows: list[dict[str, Any]] = []
        for state_id, (ts, entity_id, state) in enumerate(changes, start=1):
            rows.append(
                {
                    "state_id": state_id,
                    "metadata_id": metadata_ids[entity_id],
                    "state": state,
                    "last_updated_ts": ts,
                    "last_changed_ts": None,  # the recorder's "same as last_updated_ts"
                    "last_reported_ts": None,
                    "old_state_id": last_id[entity_id],
                    "attributes_id": attributes_ids[entity_id],
                    "origin_idx": 0,
                    "context_id_bin": rng.randbytes(16),
                }
            )
            last_id[entity_id] = state_id
            if len(rows) >= 50_000:
                conn.execute(insert(db_schema.States), rows)
                rows.clear()
        if rows:
            conn.execute(insert(db_schema.States), rows)
    engine.dispose()
    return len(changes)


def _friendly_name(entity_id: str) -> str:
    return entity_id.split(".", 1)[1].replace("_", " ").capitalize()


def prepare(workdir: Path, rooms: int, sensors: int, days: int, changes_per_day: int) -> int:
    """Build ``workdir``/config with a recorder database holding ``days`` of history.

    History ends two minutes before now. Returns the number of state changes written
    (including each sensor's initial ``off`` just before the window).
    """
    config_dir = workdir / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{config_dir / 'home-assistant_v2.db'}"
    asyncio.run(_async_create_schema(config_dir, db_url, days + 30))
    end = time.time() - 120
    start = end - days * DAY
    return _insert_history(db_url, sensor_ids(rooms, sensors), start, end, changes_per_day)


# ---------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------


def _proc_status_kb(field_name: str) -> int:
    text = Path("/proc/self/status").read_text(encoding="ascii")
    match = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


class RssSampler(threading.Thread):
    """Samples VmRSS every 10 ms: the peak when VmHWM cannot be reset."""

    def __init__(self) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.01):
            self.peak_kb = max(self.peak_kb, _proc_status_kb("VmRSS"))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _thread_sched(native_id: int) -> tuple[str, float]:
    """A thread's scheduler state and how long it has waited for a CPU, from /proc.

    Returns:
        The state letter (R runnable, S sleeping...) and the thread's total time spent
        runnable but not running, in seconds; ("?", 0.0) where /proc does not tell.
    """
    task = Path(f"/proc/self/task/{native_id}")
    try:
        state = task.joinpath("stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
        run_wait_ns = int(task.joinpath("schedstat").read_text(encoding="ascii").split()[1])
    except OSError, IndexError, ValueError:
        return "?", 0.0
    return state, run_wait_ns / 1e9


def _where(frame: FrameType | None, state: str) -> str:
    """Where the event loop is, for a stall report.

    The integration's outermost two functions on the stack (the call that blocks) and,
    after ``..``, the innermost one; without integration code on the stack, the innermost
    two frames (``module.function``).
    """
    ours: list[str] = []  # innermost first
    other: list[str] = []
    while frame is not None:
        code = frame.f_code
        label = f"{Path(code.co_filename).stem}.{code.co_name}"
        if "custom_components" in code.co_filename:
            ours.append(label)
        elif len(other) < 2:
            other.append(label)
        frame = frame.f_back
    if not ours:
        if other[:1] == ["selectors.select"]:
            # The loop had nothing to run, yet the ticker woke late: its thread was
            # sleeping on the GIL (held by an executor or recorder thread), or it was
            # runnable and waiting for a CPU (the machine is busy).
            if state == "S":
                return "(loop idle, woke late: waiting for the GIL)"
            return "(loop idle, woke late: waiting for a CPU)"
        return " < ".join(other) or "?"
    outer = list(reversed(ours))[:2]
    if ours[0] in outer:
        return " > ".join(outer)
    return f"{' > '.join(outer)} .. {ours[0]}"


_IDLE_CALLS = frozenset(
    {"wait", "select", "get", "_wait_for_tstate_lock", "acquire", "sleep", "_worker"}
    | {"_run_event_loop"}
)
"""Innermost functions of a thread with nothing to do: a pool worker waiting for a job
(``_worker`` in C's ``SimpleQueue.get``), the recorder thread waiting for its queue."""


def _busy_threads(frames: dict[int, FrameType], skip: set[int]) -> list[str]:
    """``thread name: where`` of every thread but ``skip`` that is not waiting for work.

    Sampled by the watchdog, which runs only while it holds the GIL: the thread that had
    the GIL before it is among these, stopped where it let the GIL go.
    """
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    busy = []
    for ident, frame in frames.items():
        if ident in skip or frame.f_code.co_name in _IDLE_CALLS:
            continue
        code = frame.f_code
        inner = f"{Path(code.co_filename).stem}.{code.co_name}"
        where = _where(frame, "?")
        label = where if where.endswith(inner) else f"{where} @ {inner}"
        busy.append(f"{re.sub(r'_\d+$', '', names.get(ident, '?'))}: {label}")
    return busy


class GcProbe:
    """Records every cyclic garbage collection (``gc.callbacks``): when, how long, which generation.

    A collection holds the GIL from start to end, so it stalls every other thread, the event
    loop included, whichever thread triggered it.
    """

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float, int, str]] = []  # start, seconds, gen, thread
        self.heap_objects = 0  # objects the collector tracks, just before the setup
        self.count_objects = False  # count the tracked objects at each full collection
        self.full_sizes: list[int] = []
        self.full_collect_s = 0.0  # gc.collect() timed after the measurement
        self._started: float | None = None

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2 and self.count_objects:
            self.full_sizes.append(len(gc.get_objects()))
        now = time.perf_counter()
        if phase == "start":
            self._started = now
        elif self._started is not None:
            self.pauses.append(
                (
                    self._started,
                    now - self._started,
                    info["generation"],
                    threading.current_thread().name,
                )
            )
            self._started = None

    def __enter__(self) -> GcProbe:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def longest(self, generation: int | None = None) -> float:
        return max(
            (s for _, s, g, _ in self.pauses if generation is None or g == generation), default=0.0
        )

    def overlapping(self, start: float, end: float) -> float:
        """Seconds of collection between ``start`` and ``end`` (perf_counter)."""
        return sum(max(0.0, min(end, t + s) - max(start, t)) for t, s, _, _ in self.pauses)


@dataclass
class Probe:
    """Timing hooks, the ticker and the stall watchdog's findings during the measured setup.

    The ticker sleeps ``TICK`` again and again and records how late it wakes up. A
    watchdog thread looks at the event loop's stack every ``TICK`` while the ticker is
    more than ``STALL_SAMPLE_S`` overdue, so each stall is attributed to the code the loop
    was running.
    """

    train_s: float = 0.0
    trainings: int = 0
    query_s: float = 0.0
    queries: int = 0
    queried_rows: int = 0
    max_stall_s: float = 0.0
    loaded_at: float = float("inf")  # perf_counter() at history_loaded
    started: float = 0.0  # perf_counter() at the entry setup
    max_stall_loading_s: float = 0.0  # until history_loaded
    max_stall_after_s: float = 0.0  # in the --settle seconds after it
    max_stall_cpu_s: float = 0.0
    # (late, loop CPU seconds in it, seconds after the setup began, where, seconds the
    # loop thread was runnable without a CPU in it, the other threads busy meanwhile)
    stalls: list[tuple[float, float, float, str, float, str]] = field(default_factory=list)
    gc: GcProbe = field(default_factory=GcProbe)
    blocked: Counter[str] = field(default_factory=Counter)  # outer call -> seconds overdue
    _due: float = float("inf")
    _samples: list[str] = field(default_factory=list)
    _others: list[str] = field(default_factory=list)  # busy other threads, sampled in stalls
    _schedstat: int | None = None  # the loop thread's /proc schedstat, opened by the ticker

    def _run_wait(self) -> float:
        """The loop thread's total time runnable without a CPU so far, seconds (0 unknown)."""
        if self._schedstat is None:
            return 0.0
        try:
            return int(os.pread(self._schedstat, 128, 0).split()[1]) / 1e9
        except OSError, IndexError, ValueError:
            return 0.0

    async def ticker(self, stop: asyncio.Event) -> None:
        """Sleep ``TICK`` again and again; record how late each wake-up is.

        Each stall also gets the loop thread's CPU time in it and, from /proc's
        schedstat (one ``pread`` per tick), how long the thread was runnable but
        waiting for a CPU; what is left of the stall is mostly waiting for the GIL.
        """
        with contextlib.suppress(OSError):
            self._schedstat = os.open(
                f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY
            )
        try:
            await self._tick(stop)
        finally:
            if self._schedstat is not None:
                os.close(self._schedstat)
                self._schedstat = None

    async def _tick(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            run_wait = self._run_wait()
            cpu = time.thread_time()
            due = self._due = time.perf_counter() + TICK
            await asyncio.sleep(TICK)
            late = time.perf_counter() - due
            self._due = float("inf")
            # The loop thread's own CPU time during the stall: the part of it that the code
            # run on the loop accounts for, whatever else the machine was doing.
            cpu = time.thread_time() - cpu
            run_wait = self._run_wait() - run_wait
            self.max_stall_s = max(self.max_stall_s, late)
            if due < self.loaded_at:
                self.max_stall_loading_s = max(self.max_stall_loading_s, late)
            else:
                self.max_stall_after_s = max(self.max_stall_after_s, late)
            self.max_stall_cpu_s = max(self.max_stall_cpu_s, cpu)
            samples, self._samples = self._samples, []
            others, self._others = self._others, []
            if late > STALL_REPORT_S:
                where = Counter(samples).most_common(1)[0][0] if samples else "(not sampled)"
                busy = "; ".join(f"{label} x{n}" for label, n in Counter(others).most_common(3))
                self.stalls.append((late, cpu, due - self.started, where, run_wait, busy))

    def watch(self, loop_thread_id: int, loop_native_id: int, stop: threading.Event) -> None:
        """Watchdog thread body: sample the loop thread's stack while the ticker is overdue.

        Each sample is credited with the overdue time since the previous look.
        """
        looked = time.perf_counter()
        while not stop.wait(TICK):
            now = time.perf_counter()
            overdue_from = self._due + STALL_SAMPLE_S
            if now > overdue_from:
                frames = sys._current_frames()
                where = _where(frames.get(loop_thread_id), _thread_sched(loop_native_id)[0])
                self._samples.append(where)
                self._others.extend(_busy_threads(frames, {loop_thread_id, threading.get_ident()}))
                self.blocked[where.split(" .. ")[0]] += now - max(looked, overdue_from)
            looked = now


VARIANTS = ("full", "no-import", "no-train", "idle")
"""``--variant``: what of the integration's work runs. ``no-import`` skips the recorder import
(the logs stay empty), ``no-train`` skips the fits (an empty model), ``idle`` skips both: the
baseline of Home Assistant and the recorder with the integration set up but doing nothing."""


@contextlib.contextmanager
def _skip_work(variant: str) -> Iterator[None]:
    """Patch the import and/or the fit out of the integration for a ``--variant`` run."""
    orig_import = room_learner_module.async_import_into_logs
    orig_fit = room_learner_module._fit

    async def no_import(*_args: Any) -> int:
        return 0

    def no_fit(*args: Any, **kwargs: Any) -> Any:
        return orig_fit({}, {}, args[2], args[3], args[4], others={})

    if variant in ("no-import", "idle"):
        room_learner_module.async_import_into_logs = no_import  # type: ignore[assignment]
    if variant in ("no-train", "idle"):
        room_learner_module._fit = no_fit
    try:
        yield
    finally:
        room_learner_module.async_import_into_logs = orig_import
        room_learner_module._fit = orig_fit


@contextlib.contextmanager
def instrument(probe: Probe, variant: str = "full") -> Iterator[None]:
    """Wrap the integration's and the recorder's functions with timers (undone on exit)."""
    coordinator_cls = coordinator_module.OccupancyCoordinator
    orig_train = coordinator_cls._async_train
    orig_query = recorder_history.get_significant_states

    @functools.wraps(orig_train)
    async def timed_train(self: Any, room: Any, **kwargs: Any) -> None:
        if self.history_loaded:
            await orig_train(self, room, **kwargs)
            return
        started = time.perf_counter()
        try:
            await orig_train(self, room, **kwargs)
        finally:
            probe.train_s += time.perf_counter() - started
            probe.trainings += 1

    @functools.wraps(orig_query)
    def timed_query(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = orig_query(*args, **kwargs)
        probe.query_s += time.perf_counter() - started
        probe.queries += 1
        probe.queried_rows += sum(len(rows) for rows in result.values())
        return result

    coordinator_cls._async_train = timed_train  # type: ignore[method-assign]
    recorder_history.get_significant_states = timed_query
    try:
        with _skip_work(variant):
            yield
    finally:
        coordinator_cls._async_train = orig_train  # type: ignore[method-assign]
        recorder_history.get_significant_states = orig_query


def _hub_entry(rooms: list[list[str]], days: int) -> MockConfigEntry:
    """The hub config entry with one room subentry per room, learning ``days`` of history."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Occupancy Prediction",
        data={},
        options={**DEFAULT_OPTIONS, CONF_HISTORY_DAYS: days},
        subentries_data=[
            {
                "subentry_id": f"room_{index:02d}",
                "subentry_type": SUBENTRY_ROOM,
                "title": f"Room {index:02d}",
                "unique_id": None,
                "data": {
                    CONF_AREA: None,
                    CONF_OCCUPANCY_SENSORS: sensors,
                    CONF_DOOR_SENSORS: [],
                    CONF_VACANCY_DELAY: 5,
                },
            }
            for index, sensors in enumerate(rooms, start=1)
        ],
    )


@dataclass
class Result:
    """What one measured run found."""

    total_s: float
    import_s: float
    train_s: float
    max_loop_stall_ms: float
    rss_before_mb: float
    rss_peak_mb: float
    load_before: float
    loop_cpu_wait_s: float
    status: str
    episodes: list[int]
    probe: Probe

    @property
    def memory_growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_before_mb


async def _async_history_loaded(coordinator: Any) -> None:
    """Return once the coordinator says ``history_loaded`` (it publishes right after)."""
    loaded = asyncio.Event()

    def _check() -> None:
        if coordinator.history_loaded:
            loaded.set()

    remove = coordinator.async_add_listener(_check)
    try:
        _check()
        await loaded.wait()
    finally:
        remove()


async def async_measure(  # noqa: PLR0915 - one measured run, step by step
    workdir: Path,
    rooms: list[list[str]],
    days: int,
    settle: float,
    give_up_after: float,
    *,
    variant: str = "full",
    trace: bool = False,
    gc_freeze: bool = False,
) -> Result:
    """Start Home Assistant on the prepared database and measure the hub's setup."""
    config_dir = workdir / "config"
    db_url = f"sqlite:///{config_dir / 'home-assistant_v2.db'}"
    async with ha_instance(config_dir, db_url, days + 30) as hass:
        registry = er.async_get(hass)
        for room in rooms:
            for entity_id in room:
                object_id = entity_id.split(".", 1)[1]
                registry.async_get_or_create(
                    "binary_sensor",
                    SENSOR_PLATFORM,
                    object_id,
                    suggested_object_id=object_id,
                    original_device_class="motion",
                )
                hass.states.async_set(
                    entity_id,
                    "off",
                    {"device_class": "motion", "friendly_name": _friendly_name(entity_id)},
                )
        await hass.async_block_till_done()
        # The recorder writes those sensors' registry entries and states in its own thread:
        # let it finish, so the measured setup does not pay for the benchmark's own set-up.
        await hass.async_add_executor_job(recorder.get_instance(hass).block_till_done)
        integration = await async_get_integration(hass, DOMAIN)
        assert integration.file_path.is_relative_to(REPO / "custom_components"), (
            f"{DOMAIN} loaded from {integration.file_path}, not from this working tree"
        )
        entry = _hub_entry(rooms, days)
        entry.add_to_hass(hass)

        probe = Probe()
        probe.gc.count_objects = trace
        if gc_freeze:
            gc.freeze()  # an experiment: what stays of the stalls without full collections
        stop = asyncio.Event()
        gc.collect()
        rss_before = _proc_status_kb("VmRSS")
        probe.gc.heap_objects = len(gc.get_objects())
        load_before = os.getloadavg()[0]
        cpu_wait_before = _thread_sched(threading.get_native_id())[1]
        sampler = None if _reset_peak_rss() else RssSampler()
        if sampler is not None:
            sampler.start()
        stop_watch = threading.Event()
        watchdog = threading.Thread(
            target=probe.watch,
            args=(threading.get_ident(), threading.get_native_id(), stop_watch),
            daemon=True,
        )
        watchdog.start()
        ticker = asyncio.create_task(probe.ticker(stop))
        await asyncio.sleep(TICK * 2)  # the ticker is running
        with instrument(probe, variant), probe.gc:
            started = probe.started = time.perf_counter()
            assert await hass.config_entries.async_setup(entry.entry_id)
            async with asyncio.timeout(give_up_after):
                await _async_history_loaded(entry.runtime_data)
            total = time.perf_counter() - started
            probe.loaded_at = time.perf_counter()
            # The integration's follow-up work (its delayed store saves, a minute after
            # the import; the coordinator's refreshes) is part of the load too.
            await asyncio.sleep(settle)
        stop.set()
        await ticker
        # What one full collection costs in this process now, whoever would trigger it.
        collect_started = time.perf_counter()
        gc.collect()
        probe.gc.full_collect_s = time.perf_counter() - collect_started
        cpu_wait = _thread_sched(threading.get_native_id())[1] - cpu_wait_before
        stop_watch.set()
        watchdog.join()
        if sampler is not None:
            sampler.stop()
        peak = sampler.peak_kb if sampler is not None else _proc_status_kb("VmHWM")
        # Sanity: the rooms learned something (what the entities show).
        data = entry.runtime_data.data
        status = str(getattr(data, "status", "?"))
        episodes = [getattr(room, "episodes", 0) for room in getattr(data, "rooms", {}).values()]
        await hass.config_entries.async_unload(entry.entry_id)
    return Result(
        total_s=total,
        import_s=total - probe.train_s,
        train_s=probe.train_s,
        max_loop_stall_ms=probe.max_stall_s * 1000,
        rss_before_mb=rss_before / 1024,
        rss_peak_mb=peak / 1024,
        load_before=load_before,
        loop_cpu_wait_s=cpu_wait,
        status=status,
        episodes=episodes,
        probe=probe,
    )


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _print_table(args: argparse.Namespace, changes: int, prep_s: float, res: Result) -> None:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    probe = res.probe
    total = res.import_s + res.train_s
    rows = [
        ("rooms x sensors x days", f"{args.rooms} x {args.sensors} x {args.days}", ""),
        ("state changes in the recorder", f"{changes:,}", ""),
        ("preparation (not measured)", f"{prep_s:.1f} s", ""),
        ("load average before measuring", f"{res.load_before:.2f}", f"{os.cpu_count()} CPUs"),
        ("import", f"{res.import_s:.2f} s", ""),
        ("  recorder queries (executor)", f"{probe.query_s:.2f} s", f"{probe.queries} queries"),
        ("  rows returned", f"{probe.queried_rows:,}", ""),
        (
            "  event loop blocked (sampled)",
            f"{sum(probe.blocked.values()):.2f} s",
            f"beyond {STALL_SAMPLE_S * 1000:.0f} ms per stall",
        ),
        ("training", f"{res.train_s:.2f} s", f"{probe.trainings} rooms"),
        (
            "episodes learned per room",
            f"{min(res.episodes, default=0)}-{max(res.episodes, default=0)}",
            f"hub status {res.status}",
        ),
        (
            "import + training",
            f"{total:.2f} s",
            f"target < {TARGET_TOTAL_S:.0f} s: {verdict(total < TARGET_TOTAL_S)}",
        ),
        (
            "longest event-loop stall",
            f"{res.max_loop_stall_ms:.1f} ms",
            f"target < {TARGET_STALL_MS:.0f} ms: "
            f"{verdict(res.max_loop_stall_ms < TARGET_STALL_MS)}",
        ),
        (
            "  loop-thread CPU in one stall",
            f"{probe.max_stall_cpu_s * 1000:.1f} ms",
            "most; what the loop's own code took, without waits",
        ),
        (
            "  until history_loaded",
            f"{probe.max_stall_loading_s * 1000:.1f} ms",
            "",
        ),
        (
            f"  in the {args.settle:.0f} s after",
            f"{probe.max_stall_after_s * 1000:.1f} ms",
            "delayed saves, refreshes",
        ),
        (f"stalls > {STALL_REPORT_S * 1000:.0f} ms", f"{len(probe.stalls)}", ""),
        (
            "garbage collections",
            f"{len(probe.gc.pauses)}",
            f"{sum(s for _, s, _, _ in probe.gc.pauses):.2f} s in all; each holds the GIL; "
            f"{probe.gc.heap_objects:,} objects tracked before the setup",
        ),
        (
            "  longest collection",
            f"{probe.gc.longest() * 1000:.1f} ms",
            f"{sum(1 for _, _, g, _ in probe.gc.pauses if g == 2)} full (gen 2), "
            f"longest {probe.gc.longest(2) * 1000:.1f} ms",
        ),
        (
            "  gc.collect() afterwards",
            f"{probe.gc.full_collect_s * 1000:.1f} ms",
            "what any full collection costs in this process",
        ),
        (
            "loop thread runnable, no CPU",
            f"{res.loop_cpu_wait_s:.2f} s",
            "in total (schedstat): the machine's own load",
        ),
        ("RSS before setup", f"{res.rss_before_mb:.0f} MB", ""),
        ("peak RSS", f"{res.rss_peak_mb:.0f} MB", ""),
        (
            "memory growth",
            f"{res.memory_growth_mb:.0f} MB",
            f"target < {TARGET_MEMORY_MB:.0f} MB: "
            f"{verdict(res.memory_growth_mb < TARGET_MEMORY_MB)}",
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    print()
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>{value_width}}  {note}".rstrip())
    if probe.stalls:
        print(
            "\nlongest stalls: ms late, ms of loop-thread CPU in it, ms it waited for a CPU"
            " (schedstat), ms of garbage collection in it, when after the setup began,"
            " where the event loop was"
        )
        for late, cpu, at, where, run_wait, busy in sorted(probe.stalls, reverse=True)[:8]:
            due = probe.started + at
            in_gc = probe.gc.overlapping(due, due + late)
            print(
                f"  {late * 1000:8.1f}  {cpu * 1000:8.1f}  {run_wait * 1000:8.1f}"
                f"  {in_gc * 1000:8.1f}  {at:+7.2f} s  {where}"
            )
            if busy:
                print(f"{'':>46}other threads busy (samples): {busy}")
    if probe.blocked:
        print(
            f"\nevent loop blocked (beyond {STALL_SAMPLE_S * 1000:.0f} ms per stall), "
            "by place (ms, sampled):"
        )
        for where, seconds in probe.blocked.most_common(6):
            print(f"  {seconds * 1000:8.0f}  {where}")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--sensors", type=int, default=3, help="motion sensors per room")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument(
        "--changes-per-day", type=int, default=300, help="state changes per sensor per day"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures as JSON")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary config directory and database"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=70,
        help="keep measuring stalls and memory this many s after the history is loaded "
        "(the integration saves its stores a minute after the import)",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many s")
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="DIR",
        help="prepare the database into DIR once and keep it; later runs with the same DIR "
        "skip the preparation (for repeated measurements; the history then ends earlier)",
    )
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        default="full",
        help="skip parts of the integration's work, to see what the stalls come from "
        "(idle: neither the import nor the fits)",
    )
    parser.add_argument(
        "--trace",
        type=Path,
        metavar="FILE",
        help="write every stall and garbage collection (seconds after the setup) as JSON",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: gc.freeze() just before the setup, so full collections skip "
        "everything Home Assistant allocated until then",
    )
    parser.add_argument("--prepare-into", type=Path, help=argparse.SUPPRESS)  # child process
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare the database in a child process, then measure in this one."""
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    if args.prepare_into is not None:
        changes = prepare(
            args.prepare_into, args.rooms, args.sensors, args.days, args.changes_per_day
        )
        print(json.dumps({"state_changes": changes}))
        return 0

    reused = args.reuse is not None and (args.reuse / "state_changes.json").exists()
    if args.reuse is not None:
        args.reuse.mkdir(parents=True, exist_ok=True)
        args.keep = True
    workdir = (
        args.reuse / "pristine"
        if args.reuse is not None
        else Path(tempfile.mkdtemp(prefix="history_load_"))
    )
    try:
        print(
            f"Preparing {args.rooms} rooms x {args.sensors} sensors x {args.days} days "
            f"in {workdir} ...",
            flush=True,
        )
        prep_started = time.perf_counter()
        child = reused or subprocess.run(
            [
                sys.executable,
                __file__,
                "--prepare-into",
                str(workdir),
                f"--rooms={args.rooms}",
                f"--sensors={args.sensors}",
                f"--days={args.days}",
                f"--changes-per-day={args.changes_per_day}",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        if reused:
            saved = (args.reuse / "state_changes.json").read_text(encoding="utf-8")
            changes = int(json.loads(saved)["state_changes"])
        else:
            output = child.stdout.strip().splitlines()[-1]  # type: ignore[union-attr]
            changes = int(json.loads(output)["state_changes"])
            if args.reuse is not None:
                (args.reuse / "state_changes.json").write_text(output, encoding="utf-8")
        if args.reuse is not None:
            # Measure on a copy, so the next run starts from the same database and stores.
            shutil.rmtree(args.reuse / "run", ignore_errors=True)
            shutil.copytree(workdir, args.reuse / "run")
            workdir = args.reuse / "run"
        prep_s = time.perf_counter() - prep_started
        print(f"  {changes:,} state changes written in {prep_s:.1f} s; measuring ...", flush=True)

        rooms = sensor_ids(args.rooms, args.sensors)
        result = asyncio.run(
            async_measure(
                workdir,
                rooms,
                args.days,
                args.settle,
                args.timeout,
                variant=args.variant,
                trace=args.trace is not None,
                gc_freeze=args.gc_freeze,
            )
        )
    except subprocess.CalledProcessError as err:
        print(err.stderr, file=sys.stderr)
        raise
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    _print_table(args, changes, prep_s, result)
    if args.trace is not None:
        probe = result.probe
        args.trace.write_text(
            json.dumps(
                {
                    "loaded_at": probe.loaded_at - probe.started,
                    # CLOCK_MONOTONIC, as other processes see it: to line up their samples.
                    "started_perf_counter": probe.started,
                    "stalls": [
                        {
                            "at": at,
                            "late": late,
                            "cpu": cpu,
                            "cpu_wait": run_wait,
                            "where": where,
                            "other_threads": busy,
                            "gc": probe.gc.overlapping(
                                probe.started + at, probe.started + at + late
                            ),
                        }
                        for late, cpu, at, where, run_wait, busy in probe.stalls
                    ],
                    "gc": [
                        {"at": t - probe.started, "s": sec, "gen": gen, "thread": name}
                        for t, sec, gen, name in probe.gc.pauses
                    ],
                    "full_collection_sizes": probe.gc.full_sizes,
                }
            ),
            encoding="utf-8",
        )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "rooms": args.rooms,
                    "sensors": args.rooms * args.sensors,
                    "days": args.days,
                    "state_changes": changes,
                    "import_s": round(result.import_s, 3),
                    "train_s": round(result.train_s, 3),
                    "max_loop_stall_ms": round(result.max_loop_stall_ms, 1),
                    "memory_growth_mb": round(result.memory_growth_mb, 1),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
