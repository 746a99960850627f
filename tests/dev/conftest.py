"""The dev tooling's tests are pure: no Home Assistant instance, no recorder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture: these tests need no hass."""
