"""Run Home Assistant on the replay clock: ``python -m dev.ha_run -c CONFIG [hass args]``.

Installs :mod:`dev.clock` before Home Assistant is imported, then hands over
to Home Assistant's own ``main``. The clock starts at speed 1; when the
configuration folder holds the replay time of a previous (sped-up) run, the
clock resumes from there instead of jumping back to the real time.
``script/develop`` speeds it up later through ``occupancy_demo.set_speed``.
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
import time

from dev import clock

CLOCK_FILE = "occupancy_demo_clock.json"
REPO_ROOT = Path(__file__).resolve().parent.parent


def saved_offset(config_dir: Path, real_now: float) -> float:
    """Seconds the previous run's replay time is ahead of ``real_now`` (0 if none)."""
    path = config_dir / CLOCK_FILE
    try:
        saved = float(json.loads(path.read_text(encoding="utf-8"))["time"])
    except OSError, ValueError, KeyError, TypeError:
        return 0.0
    return max(0.0, saved - real_now)


def config_dir_from(argv: list[str]) -> Path:
    """The ``-c``/``--config`` folder from Home Assistant's arguments."""
    for flag in ("-c", "--config"):
        if flag in argv and argv.index(flag) + 1 < len(argv):
            return Path(argv[argv.index(flag) + 1])
    msg = "dev.ha_run needs -c CONFIG"
    raise SystemExit(msg)


def main() -> int:
    """Install the replay clock and run Home Assistant with our arguments."""
    args = sys.argv[1:]
    clock.install(offset=saved_offset(config_dir_from(args), time.time()))
    # The repository root holds a custom_components/ folder too; left on
    # sys.path it would shadow the config folder's custom_components (a
    # namespace package), and the demo companion would not be found.
    # dev.clock stays importable: it is already loaded.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO_ROOT]
    from homeassistant import __main__ as hass_main  # noqa: PLC0415 - after the clock

    sys.argv = ["hass", *args]
    return hass_main.main()


if __name__ == "__main__":
    sys.exit(main())
