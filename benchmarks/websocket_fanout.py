"""Websocket fan-out benchmark: many subscriptions, rooms updating fast (not shipped).

Runs a real Home Assistant test instance (pytest-homeassistant-custom-component: real
event loop, real http server and websocket transport on localhost, an in-memory
recorder) with the integration loaded with ``--rooms`` rooms. A separate client
process (this script in ``--client`` mode, so the clients' work does not count as Home
Assistant's) opens ``--subscriptions`` ``subscribe_predictions`` subscriptions spread
over ``--connections`` websocket connections; then every room's prediction is
published ``--rate`` times a second for ``--duration`` seconds, and the clients read
until every subscription holds every room's latest prediction (or ``--drain-timeout``
passes after the last update).

Updates enter through the coordinator's ``SIGNAL_DATA_UPDATED`` with new data (the path
real updates take to the websocket streams; entity state writes are left out so the
numbers are the fan-out's own). The clients announce ``coalesce_messages`` as the
frontend's client does, so Home Assistant joins queued frames into one.

Usage::

    .venv/bin/python benchmarks/websocket_fanout.py [--json FILE]
        [--subscriptions 500] [--connections 50] [--rooms 20] [--rate 10] [--duration 30]

Prints delivered and coalesced counts, the largest event-loop lag of Home Assistant's
loop and its peak memory; ``--json FILE`` writes ``{"subscriptions",
"updates_published", "events_delivered", "coalesced", "all_latest_delivered",
"max_loop_lag_ms", "disconnects", "peak_rss_mb"}``. The exit status is 0 when every
subscription ended with every room's latest prediction, nothing was disconnected and
the lag stayed under 100 ms. ``FANOUT_DEBUG=1`` also prints each lag spike over 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import resource
import sys
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import pytest  # noqa: E402

if __name__ != "__main__":
    # Imported by pytest. The integration must be imported before Home Assistant's test
    # instance puts its testing_config ``custom_components`` in sys.modules; and not
    # when run as a script, before the pytest plugin has set up its patches.
    from homeassistant.helpers.dispatcher import async_dispatcher_send
    from homeassistant.util import dt as dt_util
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.occupancy_prediction.const import (
        CONF_MAX_SUBSCRIPTIONS,
        DEFAULT_OPTIONS,
        DOMAIN,
    )
    from custom_components.occupancy_prediction.coordinator import (
        SIGNAL_DATA_UPDATED,
        OccupancyData,
        RoomSnapshot,
    )
    from custom_components.occupancy_prediction.engine.occupancy import RoomState
    from custom_components.occupancy_prediction.engine.prediction import (
        InsufficientHistory,
    )
    from custom_components.occupancy_prediction.ws_hub import DATA_HUB

ENV = "OCCUPANCY_FANOUT_ARGS"
LAG_TARGET_MS = 100.0
COMMAND = "occupancy_prediction/subscribe_predictions"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=500)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0, help="updates per room per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of updates")
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument("--json", type=Path, help="write the results here")
    # Client mode (started by the benchmark itself).
    parser.add_argument("--client", nargs=2, metavar=("URL", "TOKEN"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    if args.client:
        return asyncio.run(_client_main(args))
    os.environ[ENV] = json.dumps(
        {k: None if v is None else str(v) for k, v in vars(args).items() if k != "client"}
    )
    return int(
        pytest.main(
            [
                str(Path(__file__).resolve()),
                "-q",
                "-s",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                str(ROOT),
                "-W",
                "ignore::DeprecationWarning",
            ]
        )
    )


# --- the client process ---------------------------------------------------------------


@dataclass
class _Connection:
    """One websocket connection and what its subscriptions last received per room."""

    ws: aiohttp.ClientWebSocketResponse
    latest: dict[int, dict[str, int]] = field(default_factory=dict)
    subscribed: int = 0
    delivered: int = 0
    disconnected: bool = False


async def _connect(session: aiohttp.ClientSession, url: str, token: str) -> _Connection:
    ws = await session.ws_connect(url, max_msg_size=0)
    await ws.receive_json()  # auth_required
    await ws.send_json({"type": "auth", "access_token": token})
    answer = await ws.receive_json()
    if answer["type"] != "auth_ok":
        raise RuntimeError(f"authentication failed: {answer}")
    await ws.send_json(
        {"id": 1, "type": "supported_features", "features": {"coalesce_messages": 1}}
    )
    return _Connection(ws)


async def _read(conn: _Connection, done: asyncio.Event, check: Any) -> None:
    async for msg in conn.ws:
        if msg.type is not aiohttp.WSMsgType.TEXT:
            break
        payload = json.loads(msg.data)
        for frame in payload if isinstance(payload, list) else [payload]:
            if frame["type"] == "result":
                if frame["id"] > 1 and frame["success"]:
                    conn.subscribed += 1
                continue
            event = frame["event"]
            if event["message_type"] == "prediction_update":
                data = event["data"]
                conn.delivered += 1
                conn.latest.setdefault(frame["id"], {})[data["room_id"]] = data["episodes"]
        check()
    if not done.is_set():
        conn.disconnected = True


async def _client_main(args: argparse.Namespace) -> int:
    """Subscribe, say READY, then read until told the final tick and everything arrived.

    Protocol on stdin/stdout (one JSON line each): the client prints ``READY`` once
    every subscription is confirmed; the benchmark answers with the final tick and the
    room ids; the client prints its results when every subscription holds every room's
    final value or ``--drain-timeout`` seconds have passed.
    """
    url, token = args.client
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    final: dict[str, Any] = {}

    async with aiohttp.ClientSession() as session:
        conns = [await _connect(session, url, token) for _ in range(args.connections)]

        def _complete() -> bool:
            if not final:
                return False
            rooms = final["rooms"]
            return sum(len(c.latest) for c in conns) == args.subscriptions and all(
                len(latest) == len(rooms) and all(v == final["tick"] for v in latest.values())
                for c in conns
                for latest in c.latest.values()
            )

        last_check = [0.0]

        def check() -> None:
            now = loop.time()
            if final and now - last_check[0] > 0.2:
                last_check[0] = now
                if _complete():
                    done.set()

        readers = [asyncio.create_task(_read(c, done, check)) for c in conns]
        next_id = 2
        for n in range(args.subscriptions):
            conn = conns[n % len(conns)]
            await conn.ws.send_json({"id": next_id + n // len(conns), "type": COMMAND})
        while sum(c.subscribed for c in conns) < args.subscriptions:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        print("READY", flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        final.update(json.loads(line))
        try:
            async with asyncio.timeout(args.drain_timeout):
                while not _complete():  # noqa: ASYNC110 - also checked on each frame
                    await asyncio.sleep(0.2)
        except TimeoutError:
            pass
        done.set()
        results = {
            "events_delivered": sum(c.delivered for c in conns),
            "all_latest_delivered": _complete(),
            "disconnects": sum(c.disconnected for c in conns),
        }
        for conn in conns:
            await conn.ws.close()
        for reader in readers:
            await reader
    print(json.dumps(results), flush=True)
    return 0


# --- the benchmark, run by pytest --------------------------------------------------


@pytest.fixture
async def mock_recorder_before_hass(async_setup_recorder_instance: Any) -> None:
    """Resolve the recorder fixtures before hass is created."""


@pytest.fixture(autouse=True)
def _integration(recorder_mock: Any, enable_custom_integrations: None) -> None:
    return


async def _lag_monitor(results: dict[str, float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    interval = 0.01
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(interval)
        lag = (loop.time() - start - interval) * 1000
        results["max"] = max(results["max"], lag)
        if os.environ.get("FANOUT_DEBUG") and lag > 50:
            print(f"DEBUG lag {lag:.0f} ms at {loop.time() - results['t0']:.2f} s")


async def _load_entry(hass: Any, args: argparse.Namespace) -> Any:
    """Set up the integration with ``args.rooms`` rooms, one presence sensor each."""
    subentries = []
    for i in range(args.rooms):
        sensor = f"binary_sensor.room_{i}_presence"
        hass.states.async_set(sensor, "off", {"device_class": "presence"})
        subentries.append(
            {
                "subentry_id": f"room_{i}",
                "subentry_type": "room",
                "title": f"Room {i}",
                "unique_id": None,
                "data": {"area": None, "occupancy_sensors": [sensor], "door_sensors": []},
            }
        )
    entry = MockConfigEntry(
        domain=DOMAIN,
        options={**DEFAULT_OPTIONS, CONF_MAX_SUBSCRIPTIONS: max(500, args.subscriptions)},
        subentries_data=subentries,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry.runtime_data


async def test_fanout(
    hass: Any, aiohttp_client: Any, hass_access_token: str, socket_enabled: None
) -> None:
    """Publish, fan out, drain; print and write the results."""
    raw = json.loads(os.environ.get(ENV, "{}"))
    args = parse_args([f"--{k.replace('_', '-')}={v}" for k, v in raw.items() if v is not None])
    coordinator = await _load_entry(hass, args)
    hub = hass.data[DATA_HUB]
    room_ids = [f"room_{i}" for i in range(args.rooms)]
    server = await aiohttp_client(hass.http.app)
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        *[f"--{k.replace('_', '-')}={v}" for k, v in raw.items() if v is not None and k != "json"],
        "--client",
        str(server.make_url("/api/websocket")),
        hass_access_token,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert client.stdin is not None
    assert client.stdout is not None
    assert (await client.stdout.readline()).strip() == b"READY"
    assert len(hub.subscriptions) == args.subscriptions

    lag = {"max": 0.0, "t0": asyncio.get_running_loop().time()}
    stop = asyncio.Event()
    monitor = asyncio.create_task(_lag_monitor(lag, stop))
    now = dt_util.utcnow()
    ticks = round(args.duration * args.rate)
    started = time.monotonic()
    for tick in range(1, ticks + 1):
        rooms = {
            room_id: RoomSnapshot(
                RoomState.VACANT, now, InsufficientHistory(episodes=tick, needed=3), tick
            )
            for room_id in room_ids
        }
        coordinator.data = OccupancyData(
            rooms=rooms, status=coordinator.data.status, computed_at=dt_util.utcnow()
        )
        async_dispatcher_send(hass, SIGNAL_DATA_UPDATED, coordinator)
        # Keep the pace whatever each update cost.
        await asyncio.sleep(max(0.0, started + tick / args.rate - time.monotonic()))
    client.stdin.write(json.dumps({"tick": ticks, "rooms": room_ids}).encode() + b"\n")
    await client.stdin.drain()
    line = await client.stdout.readline()
    await client.wait()
    stop.set()
    await monitor
    received = json.loads(line)

    results = {
        "subscriptions": args.subscriptions,
        "updates_published": ticks * len(room_ids),
        "events_delivered": received["events_delivered"],
        "coalesced": hub.stats_payload()["streams"]["predictions"]["coalesced"],
        "all_latest_delivered": received["all_latest_delivered"],
        "max_loop_lag_ms": round(lag["max"], 1),
        "disconnects": received["disconnects"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    await server.close()
    await hass.async_block_till_done()
    for key, value in results.items():
        print(f"{key:>22}: {value}")
    if raw.get("json"):
        await hass.async_add_executor_job(
            Path(raw["json"]).write_text, json.dumps(results, indent=2) + "\n"
        )
    assert results["all_latest_delivered"], "a subscription missed a room's latest prediction"
    assert results["disconnects"] == 0, "a client was disconnected"
    assert results["max_loop_lag_ms"] < LAG_TARGET_MS, "event-loop lag over 100 ms"


if __name__ == "__main__":
    sys.exit(main())
