"""The Lovelace card: served by the integration at a versioned URL, loaded on every page."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.occupancy_prediction import CARD_FILE, CARD_URL
from custom_components.occupancy_prediction.const import DOMAIN

MANIFEST = Path(CARD_FILE).parent.parent / "manifest.json"


async def test_card_is_served(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client()
    response = await client.get(CARD_URL)
    assert response.status == 200
    body = await response.text()
    assert "defineElement(CARD_TAG, OccupancyPredictionCard)" in body
    assert "window.customCards" in body
    # Cache headers: the version query string busts them on updates.
    assert "max-age" in response.headers.get("Cache-Control", "")


async def test_card_url_is_versioned_and_loaded_with_the_frontend(hass: HomeAssistant) -> None:
    version = json.loads(MANIFEST.read_text())["version"]
    hass.config.components.add("frontend")
    with patch("custom_components.occupancy_prediction.add_extra_js_url") as add_url:
        assert await async_setup_component(hass, DOMAIN, {})
    add_url.assert_called_once_with(hass, f"{CARD_URL}?v={version}")


async def test_card_not_added_without_the_frontend(hass: HomeAssistant) -> None:
    with patch("custom_components.occupancy_prediction.add_extra_js_url") as add_url:
        assert await async_setup_component(hass, DOMAIN, {})
    add_url.assert_not_called()
