"""Write the demo Home Assistant configuration folder (under ``.dev/``).

The folder holds:

* ``configuration.yaml``: the home's name and zone, the recorder with
  ``purge_keep_days`` raised so the demo history stays, and the companion
  integration. No ``http:`` key: in 2026.x it triggers a confirm dialog and an
  automatic revert; ``.storage/http`` is seeded instead (loopback, our port).
* ``custom_components/``: links to the working tree's ``occupancy_prediction``
  and to the dev-only ``occupancy_demo``, so edits are picked up on restart.
* ``occupancy_demo_household.json``: the rooms and every sensor event, placed
  on the calendar so the history ends at the preparation moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import json
from pathlib import Path
from typing import Any

from .household import Household, Placement, presence_events, timeline

REPO_ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLD_FILE = "occupancy_demo_household.json"
PREPARED_MARKER = ".demo_prepared.json"
PURGE_KEEP_DAYS = 400
TOKEN_FILE = ".dev_token"


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """What the demo configuration depends on.

    Attributes:
        port: HTTP port on 127.0.0.1.
        fast_replay: the home replays much faster than real time (``--check``):
            the recorder commits every 5 replay minutes instead of 5 seconds
            (or it would commit many times a second), and Home Assistant's
            "updating state took N seconds" warnings, which measure real
            milliseconds in replay seconds, are silenced.
    """

    port: int = 8123
    fast_replay: bool = False


def configuration_yaml(household: Household, settings: DemoSettings) -> str:
    """The demo's configuration.yaml."""
    name = "Occupancy demo: " + ("SYNTHETIC household" if household.synthetic else "CASAS Aruba")
    commit_interval = 300 if settings.fast_replay else 5
    entity_log_level = "error" if settings.fast_replay else "warning"
    return f"""# Written by script/develop (dev/demo_config.py). Dev-only demo home.
homeassistant:
  name: "{name}"
  latitude: 47.61
  longitude: -122.33
  elevation: 0
  unit_system: metric
  time_zone: {household.time_zone}
  country: US
  currency: USD
  language: en
  internal_url: "http://127.0.0.1:{settings.port}"

history:
logbook:

recorder:
  purge_keep_days: {PURGE_KEEP_DAYS}
  commit_interval: {commit_interval}

logger:
  default: warning
  logs:
    custom_components.occupancy_prediction: info
    custom_components.occupancy_demo: info
    homeassistant.components.recorder: warning
    homeassistant.helpers.entity: {entity_log_level}

occupancy_demo:
  household: {HOUSEHOLD_FILE}
"""


def http_storage(port: int) -> dict[str, Any]:
    """A stable ``.storage/http``: loopback only, no pending trial config."""
    return {
        "version": 2,
        "minor_version": 2,
        "key": "http",
        "data": {
            "stable": {
                "server_port": port,
                "server_host": ["127.0.0.1"],
                "cors_allowed_origins": [],
                "login_attempts_threshold": -1,
                "ip_ban_enabled": False,
                "ssl_profile": "modern",
                "use_x_frame_options": True,
                "created_at": "2026-01-01T00:00:00+00:00",
                "error": None,
                "error_message": None,
            },
            "pending": None,
            "yaml_migration_done": True,
        },
    }


def write_http_storage(config_dir: Path, port: int) -> None:
    """Seed (or update, for a reused folder and another ``--port``) ``.storage/http``."""
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / "http").write_text(json.dumps(http_storage(port), indent=1), encoding="utf-8")


def household_document(household: Household, placement: Placement) -> dict[str, Any]:
    """The household file: rooms and calendar-placed presence events."""
    events = timeline(household, placement, presence_events(household))
    return {
        "title": household.title,
        "synthetic": household.synthetic,
        "source": household.source,
        "time_zone": household.time_zone,
        "rooms": [{"key": room.key, "name": room.name} for room in household.rooms],
        "events": [[round(ts, 3), key, int(on)] for ts, key, on in events],
    }


def write_config(
    config_dir: Path,
    household: Household,
    placement: Placement,
    settings: DemoSettings,
) -> None:
    """Create ``config_dir`` with everything the demo home needs (it must not exist)."""
    config_dir.mkdir(parents=True)
    (config_dir / "configuration.yaml").write_text(
        configuration_yaml(household, settings), encoding="utf-8"
    )
    write_http_storage(config_dir, settings.port)
    components = config_dir / "custom_components"
    components.mkdir()
    (components / "occupancy_prediction").symlink_to(
        REPO_ROOT / "custom_components" / "occupancy_prediction", target_is_directory=True
    )
    (components / "occupancy_demo").symlink_to(
        REPO_ROOT / "dev" / "occupancy_demo", target_is_directory=True
    )
    (config_dir / HOUSEHOLD_FILE).write_text(
        json.dumps(household_document(household, placement)), encoding="utf-8"
    )


def read_marker(config_dir: Path) -> dict[str, Any] | None:
    """The preparation record of a finished demo setup, or None."""
    try:
        data: dict[str, Any] = json.loads((config_dir / PREPARED_MARKER).read_text())
    except OSError, ValueError:
        return None
    return data


def write_marker(config_dir: Path, record: dict[str, Any]) -> None:
    """Record that the demo home in ``config_dir`` is fully set up."""
    record = {**record, "prepared_at": datetime.now().astimezone().isoformat()}
    (config_dir / PREPARED_MARKER).write_text(json.dumps(record, indent=1))


def read_token(config_dir: Path) -> str | None:
    """The long-lived token an earlier run saved, if any."""
    try:
        return (config_dir / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def save_token(config_dir: Path, token: str) -> None:
    """Keep the long-lived token for later runs (readable by the owner only)."""
    path = config_dir / TOKEN_FILE
    path.write_text(token, encoding="utf-8")
    path.chmod(0o600)
