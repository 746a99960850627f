"""``script/develop``: a real Home Assistant with Occupancy Prediction learning a real household.

Usage: ``script/develop [--check] [--fresh] [--speed N] [--days D] [--port P] [--dataset PATH]``

* Prepares a demo home in ``.dev/config`` on the first run (``.dev/check``
  for ``--check``, always fresh), starts Home Assistant on
  http://127.0.0.1:PORT with the frontend and the SQLite recorder, onboards
  it with the dev login (``dev`` / ``dev-password``), writes the household's
  first weeks into the recorder, then creates the Occupancy Prediction entry
  and one room per household room through the real flows, and a dashboard.
* Replays the rest of the household live: in real time, or ``--speed 60``
  times faster (an hour a minute).
* ``--check`` runs headless: waits for every room's prediction, replays
  ``--days`` days at ``--speed`` (default 1440, a day a minute), prints a
  table per room with the rolling accuracy, stops Home Assistant and exits
  non-zero when a room has no prediction or the integration logged an error.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
import shutil
import signal
import sys
from typing import NoReturn
from zoneinfo import ZoneInfo

import aiohttp

from . import aruba, synthetic
from .check_report import parse_time
from .check_run import check, states_by_id, wait_for_predictions
from .demo_config import (
    DemoSettings,
    read_marker,
    read_token,
    save_token,
    write_config,
    write_http_storage,
    write_marker,
)
from .demo_setup import (
    DASHBOARD_URL,
    DEV_PASSWORD,
    DEV_USERNAME,
    RoomEntities,
    create_dashboard,
    create_rooms,
    sign_in,
)
from .ha_client import HaClient, HaError
from .ha_process import REPO_ROOT, HaProcess, port_is_free
from .household import Household, place
from .room_table import clock_text, table
from .steps import Steps

DEV_DIR = REPO_ROOT / ".dev"
MIN_HISTORY_DAYS = 28
HISTORY_OPTION_DAYS = 60


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line of ``script/develop``."""
    parser = argparse.ArgumentParser(
        prog="script/develop",
        description="Run a real Home Assistant with Occupancy Prediction learning a real "
        "household, replayed live (see README.md, 'Try it: script/develop').",
    )
    parser.add_argument("--check", action="store_true", help="headless run, table, exit code")
    parser.add_argument("--fresh", action="store_true", help="prepare the demo home anew")
    parser.add_argument("--speed", type=float, help="replay speed (default 1; --check: 1440)")
    parser.add_argument(
        "--days", type=float, default=1.0, help="--check: days to replay (default 1)"
    )
    parser.add_argument("--port", type=int, help="HTTP port (default 8123; --check: 8124)")
    parser.add_argument(
        "--dataset",
        help=f"household: a CASAS Aruba minute-location folder (default {aruba.DEFAULT_PATH}) "
        "or 'synthetic'",
    )
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for HA steps")
    args = parser.parse_args(argv)
    if args.speed is None:
        args.speed = 1440.0 if args.check else 1.0
    if args.port is None:
        args.port = 8124 if args.check else 8123
    if args.speed <= 0 or args.days <= 0:
        parser.error("--speed and --days must be positive")
    return args


def load_household(dataset: str | None) -> Household:
    """The chosen household; the synthetic one when the real data is missing."""
    if dataset == "synthetic":
        return synthetic.generate()
    path = Path(dataset) if dataset else aruba.DEFAULT_PATH
    if aruba.is_aruba(path):
        return aruba.load_aruba(path)
    if dataset:
        msg = f"{path} is not a supported household (needs a CASAS Aruba location.min)"
        raise SystemExit(msg)
    print(f"NOTE: {path} not found: using the SYNTHETIC household (generated, not real data)")
    return synthetic.generate()


def _terminate(_signum: int, _frame: object) -> NoReturn:
    raise SystemExit(143)


def main(argv: list[str] | None = None) -> int:
    """Run ``script/develop``; the exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    household = load_household(args.dataset)
    config_dir = DEV_DIR / ("check" if args.check else "config")
    steps = Steps()
    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C must stop Home Assistant even when started from a script that
    # ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    process = HaProcess(config_dir)
    try:
        return asyncio.run(run(args, household, config_dir, process, steps))
    except KeyboardInterrupt:
        print("\nInterrupted.")
        return 130
    finally:
        if process.pid is not None:
            with steps.step("stop Home Assistant"):
                process.stop()
            print("Steps:\n" + steps.summary())


async def run(
    args: argparse.Namespace,
    household: Household,
    config_dir: Path,
    process: HaProcess,
    steps: Steps,
) -> int:
    """Prepare, start, set up, then check or follow the demo home."""
    if not port_is_free(args.port):
        print(f"Port {args.port} is in use (another Home Assistant?); choose one with --port.")
        return 2
    marker = None if (args.fresh or args.check) else read_marker(config_dir)
    if marker is not None and marker.get("source") != household.source:
        print(f"{config_dir} holds {marker.get('source')}; use --fresh to switch households.")
        return 2
    if marker is None:
        with steps.step(f"prepare demo config in {config_dir.relative_to(REPO_ROOT)}"):
            shutil.rmtree(config_dir, ignore_errors=True)
            placement = place(household, datetime.now(UTC), MIN_HISTORY_DAYS)
            settings = DemoSettings(args.port, fast_replay=args.check)
            write_config(config_dir, household, placement, settings)
            print(
                f"    {household.title}: {household.minutes // 1440} days from {household.source}; "
                f"history = first {placement.history_end_minute / 1440:.1f} days, shifted "
                f"{placement.weeks} weeks (weekdays kept)"
            )
    else:
        write_http_storage(config_dir, args.port)
    base_url = f"http://127.0.0.1:{args.port}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        client = HaClient(session, base_url)
        with steps.step("start Home Assistant (HTTP up)"):
            process.start()
            print(f"    pid {process.pid}, log {config_dir / 'home-assistant.log'}")
            await client.wait_until_up(args.timeout, process.alive)
        with steps.step("onboard / log in"):
            save_token(config_dir, await sign_in(client, read_token(config_dir)))
        with steps.step("wait until Home Assistant has started"):
            config = await client.wait_until_running(args.timeout)
            if "occupancy_demo" not in config.get("components", []):
                msg = f"the demo household did not load; see {config_dir / 'home-assistant.log'}"
                raise HaError(msg)
        if marker is None:
            with steps.step("write the household's history into the recorder"):
                written = await client.call_service("occupancy_demo", "write_history", {})
                print(f"    {written}")
            with steps.step("create the Occupancy Prediction entry and rooms (config flows)"):
                await create_rooms(client, household, HISTORY_OPTION_DAYS)
        with steps.step("wait until every room has a prediction"):
            rooms, ready = await wait_for_predictions(client, len(household.rooms), args.timeout)
        with steps.step("create the dashboard"):
            # Rewritten on every run, once the rooms' entities exist.
            await create_dashboard(client, household.title, rooms)
        write_marker(config_dir, {"source": household.source, "title": household.title})
        print(table(household, rooms, await states_by_id(client), {}))
        if args.check:
            return await check(
                args, household, client, rooms, config_dir=config_dir, steps=steps, ready=ready
            )
        await follow(args, household, client, rooms)
        return 0


async def follow(
    args: argparse.Namespace, household: Household, client: HaClient, rooms: list[RoomEntities]
) -> None:
    """Interactive mode: replay at ``--speed`` and show the rooms until Ctrl-C."""
    if args.speed != 1:
        await client.call_service("occupancy_demo", "set_speed", {"speed": args.speed})
    label = "SYNTHETIC household" if household.synthetic else household.title
    print(
        f"\nHome Assistant is running on {client.base_url}/{DASHBOARD_URL}/rooms\n"
        f"  login: {DEV_USERNAME} / {DEV_PASSWORD}\n"
        f"  replaying {label} at speed {args.speed:g}\n"
        "  Ctrl-C stops Home Assistant; the next run reuses .dev/config (--fresh starts over)."
    )
    zone = ZoneInfo(household.time_zone)
    while True:
        await asyncio.sleep(60)
        states = await states_by_id(client)
        parts = []
        for room in rooms:
            occupancy = states.get(room.entity_ids.get("occupancy", ""), {}).get("state")
            predicted = parse_time(
                states.get(room.entity_ids.get("next_transition", ""), {}).get("state")
            )
            mark = {"on": "occupied", "off": "vacant"}.get(str(occupancy), str(occupancy))
            parts.append(f"{room.name}: {mark}, next {clock_text(predicted, zone)}")
        now = (await client.call_service("occupancy_demo", "status", {}))["now"]
        print(f"[{clock_text(float(now), zone)}] " + "; ".join(parts), flush=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HaError as err:
        print(f"script/develop: {err}", file=sys.stderr)
        sys.exit(1)
