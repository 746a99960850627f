"""Which log records count as errors of the integration."""

from __future__ import annotations

from dev.log_scan import integration_errors, record_level

CORE = "(MainThread) [custom_components.occupancy_prediction"
LOG = f"""\
2026-11-29 12:00:00.001 ERROR (MainThread) [haffmpeg.core] FFmpeg fails
Traceback (most recent call last):
  File "/root/.cache/occupancy_prediction/python3.14/usr/lib/python3.14/subprocess.py", line 1
FileNotFoundError: ffmpeg
2026-11-29 12:00:01.000 ERROR {CORE}.coordinator] Training failed
2026-11-29 12:00:02.000 WARNING {CORE}] slow
2026-11-29 12:00:03.000 ERROR (MainThread) [hass.setup] Setup failed for occupancy_prediction
2026-11-29 12:00:04.000 ERROR (MainThread) [homeassistant] Error doing job: Task exception
Traceback (most recent call last):
  File "/x/custom_components/occupancy_prediction/sensor.py", line 3, in native_value
ZeroDivisionError
2026-11-29 12:00:05.000 INFO (MainThread) [homeassistant] done
"""


def test_only_the_integrations_errors_count() -> None:
    found = integration_errors(LOG)
    assert [line[11:23] for line in found] == ["12:00:01.000", "12:00:03.000", "12:00:04.000"]


def test_record_level() -> None:
    assert record_level("2026-11-29 12:00:00 CRITICAL (x) [y] z") == "CRITICAL"
    assert record_level("  File x") is None
