r"""A small client of the Occupancy Prediction websocket API (see docs/websocket_api.md).

It authenticates with a long-lived access token (create one on your Home Assistant
profile page, under Security), subscribes to predictions and alerts, prints every
event, and with ``--ack`` acknowledges critical alerts (the token's user must then be
an administrator).

Usage::

    HA_TOKEN=... python examples/websocket_client.py \\
        --url ws://homeassistant.local:8123/api/websocket [--rooms ROOM_ID ...] [--ack]

Needs only ``aiohttp`` (installed with Home Assistant).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import itertools
import json
import os
import sys
from typing import Any

import aiohttp

PREFIX = "occupancy_prediction/"


class ClientError(Exception):
    """Authentication failed or Home Assistant refused a command."""


def describe(event: dict[str, Any]) -> str:
    """One line for an event envelope: sequence, type and the interesting fields."""
    data = event["data"]
    kind = event["message_type"]
    head = f"#{event['sequence']:<4} {kind:<20}"
    if kind == "prediction_update":
        if data["status"] != "ready":
            return f"{head} {data['room_name']}: {data['state']}, {data['status']}"
        return (
            f"{head} {data['room_name']}: {data['state']}, {data['transition_type']} "
            f"{data['time_until_human'] or ''} (confidence {data['confidence_score']:.0%})"
        )
    if kind in ("alert", "alert_updated"):
        extra = data.get("change") or (
            f"redelivery {data['redelivery']}" if "redelivery" in data else "new"
        )
        return f"{head} [{data['severity']}] {data['message']} ({extra})"
    return f"{head} {json.dumps(data)}"


async def run(
    url: str,
    token: str,
    *,
    rooms: list[str] | None = None,
    ack: bool = False,
    max_events: int | None = None,
    out: Callable[[str], None] = print,
) -> None:
    """Connect, subscribe to predictions and alerts and print events until closed.

    Args:
        url: the websocket URL, e.g. ``ws://homeassistant.local:8123/api/websocket``.
        token: a long-lived access token.
        rooms: follow only these room ids (default all rooms).
        ack: acknowledge each critical alert that is not acknowledged yet.
        max_events: stop after this many event frames (default: run until closed).
        out: where the lines go.

    Raises:
        ClientError: authentication failed or a command was refused.
        aiohttp.ClientError: the connection failed.
    """
    ids = itertools.count(1)
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        hello = await ws.receive_json()
        if hello.get("type") != "auth_required":
            raise ClientError(f"unexpected greeting: {hello}")
        await ws.send_json({"type": "auth", "access_token": token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise ClientError(f"authentication failed: {answer.get('message', answer)}")
        out(f"connected to Home Assistant {answer.get('ha_version', '?')}")

        subscribe: dict[str, Any] = {"type": PREFIX + "subscribe_predictions"}
        if rooms:
            subscribe["rooms"] = rooms
        streams = {next(ids): "predictions", next(ids): "alerts"}
        predictions_id, alerts_id = streams
        await ws.send_json({"id": predictions_id, **subscribe})
        await ws.send_json({"id": alerts_id, "type": PREFIX + "subscribe_alerts"})

        acknowledging: set[str] = set()
        events = 0
        async for frame in ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                break
            payload = json.loads(frame.data)
            # Home Assistant may join several frames into one JSON array.
            for msg in payload if isinstance(payload, list) else [payload]:
                if msg["type"] == "result":
                    if not msg["success"]:
                        error = msg["error"]
                        raise ClientError(
                            f"command {msg['id']}: {error['code']}: {error['message']}"
                        )
                    if msg["id"] in streams:
                        out(f"subscribed to {streams[msg['id']]}")
                    continue
                if msg["type"] != "event":
                    continue
                event = msg["event"]
                out(describe(event))
                data = event["data"]
                if (
                    ack
                    and event["message_type"] == "alert"
                    and data["requires_ack"]
                    and data["acknowledged_at"] is None
                    and data["alert_id"] not in acknowledging
                ):
                    acknowledging.add(data["alert_id"])
                    await ws.send_json(
                        {
                            "id": next(ids),
                            "type": PREFIX + "acknowledge_alert",
                            "alert_id": data["alert_id"],
                        }
                    )
                events += 1
                if max_events is not None and events >= max_events:
                    return


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("HA_URL", "ws://localhost:8123/api/websocket"),
        help="websocket URL (default $HA_URL or ws://localhost:8123/api/websocket)",
    )
    parser.add_argument(
        "--token", default=os.environ.get("HA_TOKEN"), help="access token (default $HA_TOKEN)"
    )
    parser.add_argument("--rooms", nargs="+", help="room ids to follow (default all)")
    parser.add_argument("--ack", action="store_true", help="acknowledge critical alerts")
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set HA_TOKEN")
    try:
        asyncio.run(run(args.url, args.token, rooms=args.rooms, ack=args.ack))
    except ClientError as err:
        sys.exit(str(err))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
