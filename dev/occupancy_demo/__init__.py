"""Dev-only companion integration: a replayed household's presence sensors.

Not part of the shipped integration. ``script/develop`` installs it into the
demo configuration, with ``occupancy_demo: {household: <file>}`` in
configuration.yaml. The household file (written by ``dev/demo_config.py``)
lists the rooms and every presence sensor event, already placed on the
calendar. This integration

* provides one ``binary_sensor.demo_<room>_presence`` (device class presence)
  per room, in the state the household was in when Home Assistant started;
* replays the later events live, on Home Assistant's clock (which
  ``dev/ha_run.py`` may run faster than real time);
* offers services for ``script/develop``: ``write_history`` (writes the
  events before the start into the recorder with their own timestamps, once),
  ``set_speed`` and ``status``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import json
import logging
from pathlib import Path
import time
from typing import Any

from homeassistant.components.recorder.core import Recorder
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.discovery import async_load_platform
from homeassistant.helpers.event import async_track_point_in_utc_time, async_track_time_interval
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util
import probatio

DOMAIN = "occupancy_demo"
LOGGER = logging.getLogger(__package__)
CLOCK_FILE = "occupancy_demo_clock.json"

CONFIG_SCHEMA = probatio.Schema(
    {DOMAIN: probatio.Schema({probatio.Required("household"): cv.string})},
    extra=probatio.ALLOW_EXTRA,
)


def entity_id_for(room_key: str) -> str:
    """The entity id of a room's demo presence sensor."""
    return f"binary_sensor.demo_{room_key}_presence"


@dataclass(slots=True)
class DemoHome:
    """The replayed household inside Home Assistant."""

    title: str
    synthetic: bool
    rooms: dict[str, str]
    times: list[float]
    events: list[tuple[float, str, bool]]
    started_at: float
    cursor: int = 0
    states: dict[str, bool] = field(default_factory=dict)
    sensors: dict[str, Any] = field(default_factory=dict)
    timer: CALLBACK_TYPE | None = None

    @classmethod
    def from_file(cls, data: dict[str, Any], now: float) -> DemoHome:
        """Build the home from the household file's ``data`` as of ``now``."""
        events = [(float(ts), str(key), bool(on)) for ts, key, on in data["events"]]
        times = [ts for ts, _, _ in events]
        home = cls(
            title=str(data["title"]),
            synthetic=bool(data["synthetic"]),
            rooms={room["key"]: room["name"] for room in data["rooms"]},
            times=times,
            events=events,
            started_at=now,
        )
        home.states = dict.fromkeys(home.rooms, False)
        home.cursor = bisect.bisect_right(times, now)
        for _, key, on in events[: home.cursor]:
            home.states[key] = on
        return home

    def due(self, now: float) -> list[tuple[float, str, bool]]:
        """Take the not yet replayed events up to ``now``."""
        end = bisect.bisect_right(self.times, now, lo=self.cursor)
        taken = self.events[self.cursor : end]
        self.cursor = end
        for _, key, on in taken:
            self.states[key] = on
        return taken


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Load the household, add its sensors and start replaying."""
    path = Path(hass.config.path(config[DOMAIN]["household"]))
    data = await hass.async_add_executor_job(_read_json, path)
    home = DemoHome.from_file(data, time.time())
    hass.data[DOMAIN] = home
    LOGGER.info(
        "%s: %d rooms, %d events, replay from event %d",
        home.title,
        len(home.rooms),
        len(home.events),
        home.cursor,
    )
    store: Store[dict[str, Any]] = Store(hass, 1, DOMAIN)
    clock_path = Path(hass.config.path(CLOCK_FILE))

    async def write_history(call: ServiceCall) -> ServiceResponse:
        stored = await store.async_load() or {}
        if stored.get("history_written_until"):
            return {"written": 0, "already_until": stored["history_written_until"]}
        written = _write_history(hass, home)
        await store.async_save({"history_written_until": home.started_at})
        recorder = get_instance(hass)
        await recorder.async_block_till_done()
        await recorder.async_add_executor_job(_reload_oldest_state_time, recorder)
        return {"written": written, "until": home.started_at}

    async def set_speed(call: ServiceCall) -> ServiceResponse:
        from dev import clock  # noqa: PLC0415 - only present when run by dev/ha_run.py

        if clock.CLOCK is None:
            LOGGER.warning("Not running on the replay clock (dev/ha_run.py); speed stays 1")
            return {"speed": 1.0}
        clock.CLOCK.set_speed(float(call.data["speed"]))
        _scale_real_time_limits(clock.CLOCK.speed)
        _schedule(hass, home)  # the next event is due at a new real moment
        return {"speed": clock.CLOCK.speed}

    async def status(call: ServiceCall) -> ServiceResponse:
        await get_instance(hass).async_block_till_done()
        return {
            "title": home.title,
            "synthetic": home.synthetic,
            "now": time.time(),
            "started_at": home.started_at,
            "replayed": home.cursor,
            "events": len(home.events),
            "next_event": home.times[home.cursor] if home.cursor < len(home.times) else None,
        }

    hass.services.async_register(
        DOMAIN, "write_history", write_history, supports_response=SupportsResponse.ONLY
    )
    hass.services.async_register(
        DOMAIN, "set_speed", set_speed, supports_response=SupportsResponse.OPTIONAL
    )
    hass.services.async_register(DOMAIN, "status", status, supports_response=SupportsResponse.ONLY)

    def save_clock() -> None:
        """Remember the replay time, so a restart after a sped-up run resumes from it."""
        clock_path.write_text(json.dumps({"time": time.time()}), encoding="utf-8")

    async def save_clock_job(_now: Any = None) -> None:
        await hass.async_add_executor_job(save_clock)

    # Every replay hour: a minute at speed 60, a few seconds at a day a minute.
    async_track_time_interval(hass, save_clock_job, timedelta(hours=1))

    async def stop(_event: Event) -> None:
        if home.timer is not None:
            home.timer()
            home.timer = None
        await save_clock_job()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)
    hass.async_create_task(async_load_platform(hass, Platform.BINARY_SENSOR, DOMAIN, {}, config))
    _schedule(hass, home)
    return True


def _scale_real_time_limits(speed: float) -> None:
    """Keep limits meant for people and browsers in real seconds.

    The websocket API gives a client 10 s to authenticate; on the replay
    clock that would be 10 s / speed, less than a browser needs on its first
    load of the frontend.
    """
    from homeassistant.components.websocket_api import http as websocket_http  # noqa: PLC0415

    websocket_http.AUTH_MESSAGE_TIMEOUT = round(10 * speed)


def _reload_oldest_state_time(recorder: Recorder) -> None:
    """Make the recorder notice states older than its first recorded one.

    The history API skips the "state at the start" of any period before the
    oldest state it knows, which it caches when it records its first state.
    """
    with session_scope(session=recorder.get_session(), read_only=True) as session:
        recorder.states_manager.load_from_db(session)


def _read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _write_history(hass: HomeAssistant, home: DemoHome) -> int:
    """Write every event before the start into the state machine with its own time.

    The recorder stores each with that timestamp, exactly as if the sensor had
    reported it then. Runs in one go on the event loop, so no replayed event
    interleaves. Afterwards each sensor writes its current state again.
    """
    written = 0
    for ts, key, on in home.events[: home.cursor]:
        entity_id = entity_id_for(key)
        current = hass.states.get(entity_id)
        attributes = dict(current.attributes) if current is not None else {}
        hass.states.async_set(entity_id, "on" if on else "off", attributes, timestamp=ts)
        written += 1
    for sensor in home.sensors.values():
        sensor.async_write_ha_state()
    LOGGER.info("Wrote %d past sensor states into the recorder", written)
    return written


@callback
def _schedule(hass: HomeAssistant, home: DemoHome) -> None:
    """Arm a timer for the next household event."""
    if home.timer is not None:
        home.timer()
        home.timer = None
    if home.cursor >= len(home.times):
        LOGGER.info("%s: replay finished, all recorded events played", home.title)
        return

    @callback
    def fire(_now: datetime) -> None:
        home.timer = None
        for _, key, _on in home.due(time.time()):
            if (sensor := home.sensors.get(key)) is not None:
                sensor.async_write_ha_state()
        _schedule(hass, home)

    home.timer = async_track_point_in_utc_time(
        hass, fire, dt_util.utc_from_timestamp(home.times[home.cursor])
    )
