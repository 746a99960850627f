"""Find the errors the integration logged in Home Assistant's log file."""

from __future__ import annotations

import re

# "2026-11-29 13:00:00.123 ERROR (MainThread) [custom_components.occupancy_prediction.x] ..."
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?P<level>[A-Z]+) ")
_BAD_LEVELS = ("ERROR", "CRITICAL")
# Its loggers and its source files (in a traceback) ...
_CODE_MARKERS = ("custom_components.occupancy_prediction", "custom_components/occupancy_prediction")
# ... or the domain named in a message of Home Assistant's own loggers (not a
# path such as ~/.cache/occupancy_prediction/python3.14).
_DOMAIN = re.compile(r"(?<![/\w])occupancy_prediction\b")


def _about_integration(record: list[str]) -> bool:
    if _DOMAIN.search(record[0]):
        return True
    return any(marker in line for line in record for marker in _CODE_MARKERS)


def integration_errors(log_text: str) -> list[str]:
    """The ERROR/CRITICAL records about the integration, first line of each.

    Records of the integration's own loggers count, and so do records of Home
    Assistant's loggers about it: a failed setup naming the domain, or an
    exception whose traceback runs through the integration's code.
    """
    found: list[str] = []
    record: list[str] = []
    for line in [*log_text.splitlines(), "0000-00-00 00:00:00 END"]:
        match = _RECORD.match(line + " ")
        if match is None:
            if record:
                record.append(line)
            continue
        if record and record_level(record[0]) in _BAD_LEVELS and _about_integration(record):
            found.append(record[0])
        record = [line]
    return found


def record_level(first_line: str) -> str | None:
    """The level of a log record from its first line."""
    match = _RECORD.match(first_line + " ")
    return None if match is None else match["level"]
