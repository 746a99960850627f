"""Repairs: a room sensor that no longer exists, with a fix flow that removes it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.components.repairs.models import RepairsFlowResult
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
import probatio

from .const import CONF_DOOR_SENSORS, CONF_OCCUPANCY_SENSORS, DOMAIN
from .room_config import RoomConfig, entity_exists

ISSUE_MISSING_ENTITY = "missing_entity"


def _issue_id(room_id: str, entity_id: str) -> str:
    return f"{ISSUE_MISSING_ENTITY}_{room_id}_{entity_id}"


@callback
def async_sync_missing_entity_issues(
    hass: HomeAssistant, entry: ConfigEntry, rooms: Iterable[RoomConfig]
) -> None:
    """Open an issue per configured sensor that no longer exists; close the rest.

    Args:
        hass: the running Home Assistant.
        entry: the hub entry the rooms belong to.
        rooms: every room of ``entry``.
    """
    wanted: dict[str, tuple[RoomConfig, str]] = {
        _issue_id(room.room_id, entity_id): (room, entity_id)
        for room in rooms
        for entity_id in room.entity_ids
        if not entity_exists(hass, entity_id)
    }
    registry = ir.async_get(hass)
    for (domain, issue_id), issue in list(registry.issues.items()):
        if (
            domain == DOMAIN
            and issue.translation_key == ISSUE_MISSING_ENTITY
            and issue.data is not None
            and issue.data.get("entry_id") == entry.entry_id
            and issue_id not in wanted
        ):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    for issue_id, (room, entity_id) in wanted.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            data={"entry_id": entry.entry_id, "room_id": room.room_id, "entity_id": entity_id},
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_MISSING_ENTITY,
            translation_placeholders={"room": room.name, "entity_id": entity_id},
        )


@callback
def async_set_warning_issue(
    hass: HomeAssistant, issue_id: str, translation_key: str, placeholders: dict[str, str] | None
) -> None:
    """Open (or update) a non-fixable warning issue, or close it when ``placeholders`` is None."""
    if placeholders is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )


class MissingEntityRepairFlow(RepairsFlow):
    """Remove a sensor that no longer exists from its room.

    Args:
        data: the issue's data: ``entry_id``, ``room_id`` and ``entity_id``.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        """Keep what the issue is about."""
        self._entry_id = str(data["entry_id"])
        self._room_id = str(data["room_id"])
        self._entity_id = str(data["entity_id"])

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Confirm, then remove the sensor from the room."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        subentry = None if entry is None else entry.subentries.get(self._room_id)
        if entry is None or subentry is None:
            return self.async_abort(reason="room_not_found")
        lists = {
            key: [e for e in subentry.data.get(key, []) if e != self._entity_id]
            for key in (CONF_OCCUPANCY_SENSORS, CONF_DOOR_SENSORS)
        }
        placeholders = {"room": subentry.title, "entity_id": self._entity_id}
        if not lists[CONF_OCCUPANCY_SENSORS]:
            return self.async_abort(reason="last_sensor", description_placeholders=placeholders)
        if user_input is not None:
            # The entry's update listener reloads it, which closes this issue.
            self.hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, **lists}
            )
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=probatio.Schema({}),
            description_placeholders=placeholders,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Create the fix flow of one of our issues."""
    if issue_id.startswith(f"{ISSUE_MISSING_ENTITY}_") and data is not None:
        return MissingEntityRepairFlow(data)
    return ConfirmRepairFlow()
