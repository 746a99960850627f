"""Alerts: raised by the integration, streamed to websocket clients, acknowledged by admins.

One :class:`AlertManager` exists per Home Assistant run (it lives at domain
level, not per config entry, so alerts and their acknowledgements survive an
entry reload). Each alert also fires the ``occupancy_prediction_alert`` bus
event; critical ones open a Repairs issue until they are resolved, are sent
again every ``ack_timeout`` seconds until acknowledged, and are stored (in
``.storage/occupancy_prediction.alerts``) so they survive a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, TypedDict
from uuid import uuid4

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER

EVENT_ALERT: Final = f"{DOMAIN}_alert"
"""Bus event fired for every new, acknowledged, escalated or resolved alert."""

STORAGE_KEY: Final = f"{DOMAIN}.alerts"
STORAGE_VERSION: Final = 1


class AlertKind(StrEnum):
    """What an alert is about."""

    ACCURACY_DEGRADED = "accuracy_degraded"
    CONCEPT_DRIFT = "concept_drift"
    SENSOR_UNAVAILABLE = "sensor_unavailable"
    TRAINING_FAILED = "training_failed"
    INSUFFICIENT_HISTORY = "insufficient_history"


class AlertSeverity(StrEnum):
    """How serious an alert is; only critical alerts require acknowledgement."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


_SEVERITY_RANK: Final = {AlertSeverity.INFO: 0, AlertSeverity.WARNING: 1, AlertSeverity.CRITICAL: 2}


class AlertChange(StrEnum):
    """What happened to an alert; the ``change`` of bus events and ``alert_updated``."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    REDELIVERY = "redelivery"


class AlertDict(TypedDict):
    """An alert as JSON (websocket payloads, bus event data and storage)."""

    alert_id: str
    kind: str
    severity: str
    room_id: str | None
    message: str
    created_at: str
    requires_ack: bool
    acknowledged_at: str | None
    acknowledged_by: str | None
    resolved_at: str | None


@dataclass(slots=True)
class Alert:
    """One alert.

    Attributes:
        alert_id: uuid4 hex.
        kind: what it is about.
        severity: info, warning or critical.
        room_id: the room subentry id, or None for the whole hub.
        message: English text for people.
        created_at: when it was raised (aware UTC).
        acknowledged_at: when an admin acknowledged it, else None.
        acknowledged_by: the acknowledging user's id, else None.
        resolved_at: when its condition cleared, else None.
        redeliveries: how many times it was sent again unacknowledged.
    """

    alert_id: str
    kind: AlertKind
    severity: AlertSeverity
    room_id: str | None
    message: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    redeliveries: int = 0

    @property
    def requires_ack(self) -> bool:
        """Critical alerts must be acknowledged."""
        return self.severity is AlertSeverity.CRITICAL

    @property
    def active(self) -> bool:
        """Not resolved yet."""
        return self.resolved_at is None

    @property
    def awaiting_ack(self) -> bool:
        """Active, requiring acknowledgement and not acknowledged yet."""
        return self.active and self.requires_ack and self.acknowledged_at is None

    def as_dict(self) -> AlertDict:
        """Plain JSON values (ISO 8601 UTC strings for the times)."""
        return {
            "alert_id": self.alert_id,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "room_id": self.room_id,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "requires_ack": self.requires_ack,
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "resolved_at": _iso(self.resolved_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        """Read a stored alert.

        Raises:
            KeyError, ValueError: if ``data`` is not a stored alert.
        """
        return cls(
            alert_id=str(data["alert_id"]),
            kind=AlertKind(data["kind"]),
            severity=AlertSeverity(data["severity"]),
            room_id=data.get("room_id"),
            message=str(data["message"]),
            created_at=_parse(data["created_at"]),
            redeliveries=int(data.get("redeliveries", 0)),
        )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: str) -> datetime:
    parsed = dt_util.parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return dt_util.as_utc(parsed)


type AlertListener = Callable[[AlertChange, Alert], None]


class AlertManager:
    """Keeps the alerts of this Home Assistant run and tells listeners of every change.

    Args:
        hass: Home Assistant.
        ack_timeout: returns the current redelivery interval in seconds (the
            loaded entry's ``ack_timeout`` option).
        room_name: returns a room's name for Repairs texts, or None if unknown.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        ack_timeout: Callable[[], float],
        room_name: Callable[[str], str | None],
    ) -> None:
        self._hass = hass
        self._ack_timeout = ack_timeout
        self._room_name = room_name
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._alerts: dict[str, Alert] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._listeners: list[AlertListener] = []
        self._stored = False
        self._dirty = False
        self._sync_task: asyncio.Task[None] | None = None
        self.redelivered = 0
        """Total redeliveries (alerts sent again) in this run."""

    async def async_load(self) -> None:
        """Restore the critical alerts that were awaiting acknowledgement at the last stop.

        Their redelivery restarts and their Repairs issues are opened again.
        Entries that cannot be read are logged and skipped.
        """
        stored = await self._store.async_load()
        self._stored = stored is not None
        for raw in (stored or {}).get("alerts", []):
            try:
                alert = Alert.from_dict(raw)
            except KeyError, TypeError, ValueError:
                LOGGER.warning("Skipping unreadable stored alert %s", raw)
                continue
            self._alerts[alert.alert_id] = alert
            self._open_issue(alert)
            self._arm_redelivery(alert)
        self._hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._async_stop)

    @callback
    def _async_stop(self, _event: Event) -> None:
        self.async_shutdown()

    @callback
    def async_shutdown(self) -> None:
        """Cancel every redelivery timer (alerts stay stored)."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()

    @callback
    def async_add_listener(self, listener: AlertListener) -> CALLBACK_TYPE:
        """Call ``listener(change, alert)`` on every change; returns the remover."""
        self._listeners.append(listener)

        @callback
        def _remove() -> None:
            self._listeners.remove(listener)

        return _remove

    def alerts(self, *, active_only: bool = False) -> list[Alert]:
        """The alerts of this run, oldest first; only unresolved ones if ``active_only``."""
        return [a for a in self._alerts.values() if a.active or not active_only]

    def find_active(self, kind: AlertKind, room_id: str | None) -> Alert | None:
        """The unresolved alert of ``kind`` for ``room_id``, or None."""
        for alert in self._alerts.values():
            if alert.active and alert.kind is kind and alert.room_id == room_id:
                return alert
        return None

    @callback
    def async_raise(
        self, kind: AlertKind, severity: AlertSeverity, room_id: str | None, message: str
    ) -> Alert:
        """Raise an alert, unless the same kind is already active for the room.

        An active alert raised again with a higher severity is escalated (and,
        if it now requires acknowledgement, redelivered until acknowledged).

        Returns:
            The new or existing alert.
        """
        if (existing := self.find_active(kind, room_id)) is not None:
            if _SEVERITY_RANK[severity] > _SEVERITY_RANK[existing.severity]:
                existing.severity = severity
                existing.message = message
                self._open_issue(existing)
                self._arm_redelivery(existing)
                self._changed(AlertChange.ESCALATED, existing)
            return existing
        alert = Alert(
            alert_id=uuid4().hex,
            kind=kind,
            severity=severity,
            room_id=room_id,
            message=message,
            created_at=dt_util.utcnow(),
        )
        self._alerts[alert.alert_id] = alert
        self._open_issue(alert)
        self._arm_redelivery(alert)
        self._changed(AlertChange.NEW, alert)
        return alert

    @callback
    def async_resolve(self, kind: AlertKind, room_id: str | None) -> Alert | None:
        """Mark the active alert of ``kind`` for ``room_id`` resolved; None if there is none."""
        if (alert := self.find_active(kind, room_id)) is None:
            return None
        alert.resolved_at = dt_util.utcnow()
        self._cancel_redelivery(alert.alert_id)
        ir.async_delete_issue(self._hass, DOMAIN, _issue_id(alert))
        self._changed(AlertChange.RESOLVED, alert)
        return alert

    @callback
    def async_acknowledge(self, alert_id: str, user_id: str | None) -> Alert:
        """Acknowledge an alert (again is a no-op: the first acknowledgement stays).

        Args:
            alert_id: the alert.
            user_id: the acknowledging user's id.

        Raises:
            KeyError: no alert has ``alert_id``.
        """
        alert = self._alerts[alert_id]
        if alert.acknowledged_at is not None:
            return alert
        alert.acknowledged_at = dt_util.utcnow()
        alert.acknowledged_by = user_id
        self._cancel_redelivery(alert_id)
        self._changed(AlertChange.ACKNOWLEDGED, alert)
        return alert

    def _changed(self, change: AlertChange, alert: Alert) -> None:
        if change is not AlertChange.REDELIVERY:
            self._hass.bus.async_fire(EVENT_ALERT, {**alert.as_dict(), "change": change.value})
            self._save()
        for listener in list(self._listeners):
            listener(change, alert)

    def _save(self) -> None:
        """Store the alerts awaiting acknowledgement; remove the file when there is none.

        Writes run one at a time in a task, which writes again if anything
        changed meanwhile.
        """
        self._dirty = True
        if self._sync_task is None or self._sync_task.done():
            self._sync_task = self._hass.async_create_task(
                self._async_sync(), f"{DOMAIN} save alerts", eager_start=True
            )

    async def _async_sync(self) -> None:
        while self._dirty:
            self._dirty = False
            data = self._stored_data()
            if data["alerts"]:
                self._stored = True
                await self._store.async_save(data)
            elif self._stored:
                self._stored = False
                await self._store.async_remove()

    async def async_clear(self) -> None:
        """Forget every alert, close their Repairs issues and delete the stored file.

        For the removal of the integration.
        """
        self.async_shutdown()
        for alert in self._alerts.values():
            ir.async_delete_issue(self._hass, DOMAIN, _issue_id(alert))
        self._alerts.clear()
        self._stored = True  # remove the file even if this run never wrote it
        self._save()
        if self._sync_task is not None:
            await self._sync_task

    @callback
    def _stored_data(self) -> dict[str, Any]:
        return {
            "alerts": [
                {**alert.as_dict(), "redeliveries": alert.redeliveries}
                for alert in self._alerts.values()
                if alert.awaiting_ack
            ]
        }

    @callback
    def async_refresh_issues(self) -> None:
        """Rewrite the open Repairs issues (after room names became known or changed)."""
        for alert in self._alerts.values():
            self._open_issue(alert)

    def _open_issue(self, alert: Alert) -> None:
        if alert.severity is not AlertSeverity.CRITICAL or not alert.active:
            return
        room = self._room_name(alert.room_id) if alert.room_id else None
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            _issue_id(alert),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=f"alert_{alert.kind.value}",
            translation_placeholders={
                "room": room or alert.room_id or "-",
                "message": alert.message,
            },
        )

    def _arm_redelivery(self, alert: Alert) -> None:
        self._cancel_redelivery(alert.alert_id)
        if not alert.awaiting_ack:
            return

        @callback
        def _redeliver(_now: datetime) -> None:
            self._timers.pop(alert.alert_id, None)
            if not alert.awaiting_ack:  # pragma: no cover - timers are cancelled first
                return
            alert.redeliveries += 1
            self.redelivered += 1
            self._save()
            self._arm_redelivery(alert)
            self._changed(AlertChange.REDELIVERY, alert)

        self._timers[alert.alert_id] = async_call_later(self._hass, self._ack_timeout(), _redeliver)

    def _cancel_redelivery(self, alert_id: str) -> None:
        if (cancel := self._timers.pop(alert_id, None)) is not None:
            cancel()


def _issue_id(alert: Alert) -> str:
    return f"alert_{alert.alert_id}"
