"""The websocket streams: subscriptions, payloads, rate limiting and statistics.

One :class:`WsHub` exists per Home Assistant run (domain level). It follows
whichever coordinator is current through ``SIGNAL_DATA_UPDATED``, so streams
outlive an entry reload: when a new coordinator appears while streams exist,
every stream gets ``stream_reset`` and a fresh snapshot.

Rate limiting (per subscription, :class:`TokenBucket` of the entry's
``max_messages_per_minute``) applies to live ``prediction_update`` and
``system_status`` frames and to heartbeats. Over the limit, updates are kept
newest-per-room (status: newest one) and sent as soon as a token frees;
heartbeats are skipped. Snapshots, ``stream_reset``, ``room_added``,
``room_removed``, ``subscription_limited`` and alert frames are never limited
and take no token.

Fan-out runs subscription by subscription and yields to the event loop after
``FANOUT_BUDGET_SECONDS``; changes arriving meanwhile merge into one queued job,
which sends each room's latest data when it runs.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time as dt_time, timedelta
from enum import StrEnum
import time
from typing import TYPE_CHECKING, Any, Final
from uuid import uuid4
import weakref

from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.messages import construct_event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.json import json_bytes
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .alerts import Alert, AlertChange, AlertKind, AlertManager, AlertSeverity
from .const import (
    CONF_HEARTBEAT_INTERVAL,
    CONF_MAX_MESSAGES_PER_MINUTE,
    CONF_MAX_SUBSCRIPTIONS,
    CONF_RETRAIN_TIME,
    DEFAULT_OPTIONS,
    DOMAIN,
    MIN_HISTORY_DAYS,
)
from .engine.occupancy import RoomState
from .engine.prediction import InsufficientHistory, Prediction
from .engine.scoring import MIN_SAMPLES as MIN_SCORED, AccuracySummary
from .rate_limit import TokenBucket

if TYPE_CHECKING:
    from .coordinator import OccupancyCoordinator, OccupancyData, RoomSnapshot

DATA_HUB: HassKey[WsHub] = HassKey(f"{DOMAIN}_websocket")

INTERVAL_LEVEL: Final = 0.8
"""Coverage the 80 % prediction interval aims at."""

FANOUT_BUDGET_SECONDS: Final = 0.01
"""Longest a fan-out runs before it yields to the event loop (then continues)."""

_STATUS_KEY: Final = "\x00status"
"""Pending-queue key of a status subscription's one coalesced frame."""


class Stream(StrEnum):
    """The three kinds of subscription."""

    PREDICTIONS = "predictions"
    STATUS = "status"
    ALERTS = "alerts"


class MessageType(StrEnum):
    """The ``message_type`` of an event envelope."""

    PREDICTION_UPDATE = "prediction_update"
    SYSTEM_STATUS = "system_status"
    HEARTBEAT = "heartbeat"
    ALERT = "alert"
    ALERT_UPDATED = "alert_updated"
    ACCURACY_UPDATE = "accuracy_update"
    DRIFT_DETECTED = "drift_detected"
    MODEL_TRAINED = "model_trained"
    ROOM_ADDED = "room_added"
    ROOM_REMOVED = "room_removed"
    SUBSCRIPTION_LIMITED = "subscription_limited"
    STREAM_RESET = "stream_reset"
    ERROR = "error"


class TooManySubscriptionsError(Exception):
    """The ``max_subscriptions`` cap is reached."""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def humanize_seconds(seconds: float) -> str:
    """Say a positive duration as English text: "in 12 minutes", "in 1 hour 5 minutes".

    Args:
        seconds: the duration, in seconds (negative counts as 0).
    """
    minutes = int(max(seconds, 0.0) // 60)
    if minutes < 1:
        return "in less than a minute"
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return "in " + " ".join(parts)


def prediction_payload(
    room_id: str, room_name: str, snapshot: RoomSnapshot, now: datetime
) -> dict[str, Any]:
    """The ``prediction_update`` data of one room, in plain JSON values.

    Args:
        room_id: the room subentry id.
        room_name: the room's name.
        snapshot: the room's snapshot from the coordinator.
        now: the moment the prediction was made for (aware UTC);
            ``time_until_seconds`` counts from it.

    Returns:
        ``status`` is ``ready`` with a prediction, ``learning`` while the room
        has too little history (``predicted_time`` and the other prediction
        fields are null) and ``unknown`` while every sensor is unavailable.
        ``occupancy_forecast`` (``[{"horizon_minutes", "probability"}]``) is
        null when the model gives none; ``contributions``
        (``[{"model", "predicted_time", "weight"}]``: each ensemble member's
        own prediction and its weight) is null when the model has no members.
    """
    state = snapshot.state
    prediction = snapshot.prediction
    data: dict[str, Any] = {
        "room_id": room_id,
        "room_name": room_name,
        "occupied": None if state is RoomState.UNKNOWN else state is RoomState.OCCUPIED,
        "state": state.value,
        "state_since": _iso(snapshot.since),
        "status": "unknown",
        "transition_type": None,
        "predicted_time": None,
        "time_until_seconds": None,
        "time_until_human": None,
        "confidence_score": None,
        "interval": None,
        "occupancy_forecast": None,
        "model": None,
        "contributions": None,
        "episodes": int(snapshot.episodes),
    }
    if isinstance(prediction, Prediction):
        predicted = prediction.predicted_time
        until = None if predicted is None else max(0.0, (predicted - now).total_seconds())
        data.update(
            status="ready",
            transition_type=prediction.transition_type.value,
            predicted_time=_iso(predicted),
            time_until_seconds=None if until is None else round(until, 3),
            time_until_human="not within 24 hours" if until is None else humanize_seconds(until),
            confidence_score=float(prediction.confidence),
            interval={
                "lower": _iso(prediction.interval_lower),
                "upper": _iso(prediction.interval_upper),
                "level": INTERVAL_LEVEL,
            },
            model={"name": str(prediction.model), "trained_at": _iso(snapshot.trained_at)},
            occupancy_forecast=forecast_payload(prediction) or None,
            contributions=[
                {
                    "model": c.model,
                    "predicted_time": _iso(c.predicted_time),
                    "weight": float(c.weight),
                }
                for c in prediction.contributions
            ]
            or None,
        )
    elif isinstance(prediction, InsufficientHistory):
        data.update(
            status="learning",
            learning={"episodes": int(prediction.episodes), "needed": int(prediction.needed)},
        )
    return data


def forecast_payload(prediction: object) -> list[dict[str, float]]:
    """A prediction's P(occupied) per horizon as ``[{"horizon_minutes", "probability"}]``.

    Empty when the model gives no forecast (or ``prediction`` is not a
    :class:`Prediction`).
    """
    forecast = getattr(prediction, "occupancy_forecast", None) or {}
    return [
        {"horizon_minutes": float(minutes), "probability": float(probability)}
        for minutes, probability in sorted(forecast.items())
    ]


def _prediction_key(data: dict[str, Any]) -> tuple[Any, ...]:
    """What makes a prediction "changed" (the countdown alone does not)."""
    return tuple(v for k, v in data.items() if k not in ("time_until_seconds", "time_until_human"))


def status_rooms(coordinator: OccupancyCoordinator, data: OccupancyData) -> dict[str, Any]:
    """The per-room part of ``system_status``, in plain JSON values.

    ``trained_at`` and ``training_duration_seconds`` describe the last full
    refit; an ``accuracy`` window is null until a prediction was scored in it.
    """
    names = {room_id: config.name for room_id, config in coordinator.room_configs.items()}
    learners = coordinator.learners
    rooms: dict[str, Any] = {}
    for room_id, snap in data.rooms.items():
        learner = learners.get(room_id)
        status = "unknown"
        if isinstance(snap.prediction, Prediction):
            status = "ready"
        elif isinstance(snap.prediction, InsufficientHistory):
            status = "learning"
        rooms[room_id] = {
            "room_name": names.get(room_id, room_id),
            "state": snap.state.value,
            "status": status,
            "episodes": int(snap.episodes),
            "trained_at": _iso(learner.trained_at) if learner else None,
            "training_duration_seconds": learner.training_seconds if learner else None,
            "accuracy": {
                window: accuracy_metrics(coordinator.accuracy(room_id, data.computed_at, window)[0])
                for window in ("24h", "7d")
            },
        }
    return rooms


def accuracy_metrics(summary: AccuracySummary) -> dict[str, Any] | None:
    """Rolling accuracy as plain JSON; None when nothing was scored in the window."""
    if not summary.samples:
        return None
    return {
        "samples": int(summary.samples),
        "mae_minutes": None if summary.mae_minutes is None else round(summary.mae_minutes, 2),
        "within15": None if summary.within15 is None else round(summary.within15, 4),
        "coverage80": None if summary.coverage is None else round(summary.coverage, 4),
        "brier": {str(minutes): round(value, 4) for minutes, value in summary.brier.items()},
    }


def next_retrain(coordinator: OccupancyCoordinator) -> str | None:
    """The next daily retraining (the ``retrain_time`` option, local time) as ISO UTC.

    None if the option is not a time.
    """
    value = coordinator.config_entry.options.get(
        CONF_RETRAIN_TIME, DEFAULT_OPTIONS[CONF_RETRAIN_TIME]
    )
    try:
        at = dt_time.fromisoformat(str(value))
    except ValueError:
        return None
    upcoming = dt_util.find_next_time_expression_time(
        dt_util.now(), [at.second], [at.minute], [at.hour]
    )
    return dt_util.as_utc(upcoming).isoformat()


@dataclass(slots=True)
class StreamStats:
    """Counters of one stream over this Home Assistant run.

    Attributes:
        sent: event frames sent.
        coalesced: updates replaced by a newer one before they could be sent.
        skipped: heartbeats skipped for lack of a token.
        redelivered: critical alert frames sent again (alerts stream only).
    """

    sent: int = 0
    coalesced: int = 0
    skipped: int = 0
    redelivered: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters as a dict."""
        return {
            "messages_sent": self.sent,
            "coalesced": self.coalesced,
            "skipped": self.skipped,
            "redelivered": self.redelivered,
        }


class Subscription:
    """One client subscription: its sequence, bucket, pending updates and timers.

    Args:
        hub: the hub that owns it.
        connection: the client's connection.
        msg_id: the subscribe command's id (the id of every event frame).
        stream: which stream.
        rooms: the room ids selected, or None for all (predictions only).
        include_acknowledged: alerts snapshot includes acknowledged alerts.
    """

    def __init__(
        self,
        hub: WsHub,
        connection: ActiveConnection,
        msg_id: int,
        stream: Stream,
        *,
        rooms: frozenset[str] | None = None,
        include_acknowledged: bool = False,
    ) -> None:
        self.hub = hub
        self.connection = connection
        self.msg_id = msg_id
        self.stream = stream
        self.rooms = rooms
        self.include_acknowledged = include_acknowledged
        self.sequence = 0
        self.stats = StreamStats()
        self.created = hub.loop_time()
        self.bucket = TokenBucket(hub.option(CONF_MAX_MESSAGES_PER_MINUTE), self.created)
        self.pending: dict[str, tuple[MessageType, bytes]] = {}
        self.limited = False
        self.flush_timer: asyncio.TimerHandle | None = None
        self.heartbeat_unsub: CALLBACK_TYPE | None = None
        self.heartbeat_interval: float | None = None
        self.closed = False
        self.last: dict[str, bytes] = {}

    def wants(self, room_id: str) -> bool:
        """Whether this subscription follows ``room_id``."""
        return self.rooms is None or room_id in self.rooms

    def send(self, message_type: MessageType, data: bytes) -> None:
        """Send one event frame now (not rate limited).

        Args:
            message_type: the envelope's ``message_type``.
            data: the envelope's ``data``, already serialised to JSON.
        """
        self.sequence += 1
        envelope = b"".join(
            (
                b'{"message_id":"',
                uuid4().hex.encode(),
                b'","message_type":"',
                message_type.value.encode(),
                b'","timestamp":"',
                dt_util.utcnow().isoformat().encode(),
                b'","sequence":',
                str(self.sequence).encode(),
                b',"data":',
                data,
                b"}",
            )
        )
        self.connection.send_message(construct_event_message(self.msg_id, envelope))
        self.stats.sent += 1
        self.hub.stats[self.stream].sent += 1

    def offer(self, key: str, message_type: MessageType, data: bytes) -> None:
        """Send a rate-limited update, or keep it as the newest pending one for ``key``.

        Args:
            key: the coalescing key (room id, or the status key).
            message_type: the envelope's ``message_type``.
            data: the envelope's ``data``, already serialised to JSON.
        """
        if self.last.get(key) is data:
            return  # this very update was already offered (a later fan-out job)
        self.last[key] = data
        now = self.hub.loop_time()
        if not self.pending and self.bucket.try_take(now):
            self.send(message_type, data)
            return
        if key in self.pending:
            self.stats.coalesced += 1
            self.hub.stats[self.stream].coalesced += 1
        self.pending[key] = (message_type, data)
        if not self.limited:
            self.limited = True
            self.send(
                MessageType.SUBSCRIPTION_LIMITED,
                json_bytes({"max_messages_per_minute": self.bucket.per_minute}),
            )
        self._schedule_flush(now)

    def _schedule_flush(self, now: float) -> None:
        if self.flush_timer is None:
            delay = self.bucket.seconds_until_token(now)
            self.flush_timer = self.hub.hass.loop.call_at(now + delay, self._flush)

    @callback
    def _flush(self) -> None:
        """Send pending updates, oldest room first, while tokens are free."""
        self.flush_timer = None
        now = self.hub.loop_time()
        while self.pending and self.bucket.try_take(now):
            key = next(iter(self.pending))
            message_type, data = self.pending.pop(key)
            self.send(message_type, data)
        if self.pending:
            self._schedule_flush(now)
        else:
            self.limited = False

    def heartbeat(self, uptime_seconds: float) -> None:
        """Send a heartbeat if a token is free and nothing waits; else count it skipped."""
        if self.pending or not self.bucket.try_take(self.hub.loop_time()):
            self.stats.skipped += 1
            self.hub.stats[self.stream].skipped += 1
            return
        self.send(
            MessageType.HEARTBEAT,
            json_bytes(
                {"uptime_seconds": round(uptime_seconds, 3), "subscribers": self.hub.counts()}
            ),
        )

    def apply_options(self) -> None:
        """Take the loaded entry's rate and heartbeat interval; (re)start the heartbeat."""
        self.bucket.set_rate(self.hub.option(CONF_MAX_MESSAGES_PER_MINUTE), self.hub.loop_time())
        if self.stream is not Stream.STATUS:
            return
        interval = float(self.hub.option(CONF_HEARTBEAT_INTERVAL))
        if interval == self.heartbeat_interval and self.heartbeat_unsub is not None:
            return
        self._stop_heartbeat()
        self.heartbeat_interval = interval

        @callback
        def _beat(_now: datetime) -> None:
            self.heartbeat(self.hub.uptime_seconds())

        self.heartbeat_unsub = async_track_time_interval(
            self.hub.hass,
            _beat,
            timedelta(seconds=interval),
            name=f"{DOMAIN} heartbeat",
            cancel_on_shutdown=True,
        )

    def _stop_heartbeat(self) -> None:
        if self.heartbeat_unsub is not None:
            self.heartbeat_unsub()
            self.heartbeat_unsub = None

    def drop_pending(self) -> None:
        """Forget pending updates and their timer (a fresh snapshot follows)."""
        self.pending.clear()
        self.limited = False
        if self.flush_timer is not None:
            self.flush_timer.cancel()
            self.flush_timer = None

    @callback
    def close(self) -> None:
        """Remove the subscription and every timer it owns (unsubscribe or close)."""
        self.closed = True
        self.drop_pending()
        self._stop_heartbeat()
        self.hub.remove(self)


@dataclass(slots=True)
class _FanoutJob:
    """Changes to deliver to ``subs``, one subscription after the other.

    Attributes:
        rooms: changed room ids (ordered); their latest data is sent.
        status: whether the status changed.
        subs: the subscriptions to deliver to, in order.
        next: index of the next subscription to deliver to.
        started: delivery has begun (the job takes no more changes).
    """

    rooms: dict[str, None]
    status: bool
    subs: list[Subscription]
    next: int = 0
    started: bool = False


@dataclass(slots=True)
class _RoomView:
    """The latest prediction payload of a room and what identifies its content."""

    name: str
    key: tuple[Any, ...]
    data: bytes


class WsHub:
    """Every subscription of this run, the current coordinator and the statistics.

    Args:
        hass: Home Assistant.
        alerts: the alert manager whose changes the alerts stream carries.
    """

    def __init__(self, hass: HomeAssistant, alerts: AlertManager) -> None:
        self.hass = hass
        self.alerts = alerts
        self.subscriptions: list[Subscription] = []
        self.stats = {stream: StreamStats() for stream in Stream}
        self.coordinator: OccupancyCoordinator | None = None
        self._rooms: dict[str, _RoomView] = {}
        self._room_names: dict[str, str] = {}
        self._status_key: tuple[Any, ...] | None = None
        self._attached_at = dt_util.utcnow()
        self._reset_pending = False
        self._retired: weakref.WeakSet[OccupancyCoordinator] = weakref.WeakSet()
        self._jobs: deque[_FanoutJob] = deque()
        self._status_data = b"null"
        self._fanout_handle: asyncio.Handle | None = None
        self._unsub_alerts = alerts.async_add_listener(self._async_alert_changed)

    # -- helpers -----------------------------------------------------------

    def loop_time(self) -> float:
        """The event loop's clock, in seconds (the rate limiter's clock)."""
        return self.hass.loop.time()

    def option(self, key: str) -> float:
        """An option of the current entry (its default without one), as a number."""
        options: dict[str, Any] = {}
        if self.coordinator is not None:
            options = dict(self.coordinator.config_entry.options)
        return float(options.get(key, DEFAULT_OPTIONS[key]))

    def uptime_seconds(self) -> float:
        """Seconds since the current entry was loaded."""
        return (dt_util.utcnow() - self._attached_at).total_seconds()

    def counts(self) -> dict[str, int]:
        """Subscriber counts per stream."""
        counts = dict.fromkeys((s.value for s in Stream), 0)
        for sub in self.subscriptions:
            counts[sub.stream.value] += 1
        return counts

    def room_name(self, room_id: str) -> str | None:
        """A room's name as last seen, or None."""
        return self._room_names.get(room_id)

    # -- subscriptions -----------------------------------------------------

    def subscribe(
        self,
        connection: ActiveConnection,
        msg_id: int,
        stream: Stream,
        *,
        rooms: Iterable[str] | None = None,
        include_acknowledged: bool = False,
    ) -> Subscription:
        """Add a subscription, answer the command and send its snapshot.

        Raises:
            TooManySubscriptionsError: ``max_subscriptions`` subscriptions exist.
        """
        if len(self.subscriptions) >= self.option(CONF_MAX_SUBSCRIPTIONS):
            raise TooManySubscriptionsError
        sub = Subscription(
            self,
            connection,
            msg_id,
            stream,
            rooms=None if rooms is None else frozenset(rooms),
            include_acknowledged=include_acknowledged,
        )
        self.subscriptions.append(sub)
        connection.subscriptions[msg_id] = sub.close
        sub.apply_options()
        connection.send_result(msg_id)
        self._send_snapshot(sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        """Forget ``sub`` (its timers are already cancelled)."""
        if sub in self.subscriptions:
            self.subscriptions.remove(sub)

    def _send_snapshot(self, sub: Subscription) -> None:
        if sub.stream is Stream.PREDICTIONS:
            for room_id, view in self._rooms.items():
                if sub.wants(room_id):
                    sub.send(MessageType.PREDICTION_UPDATE, view.data)
        elif sub.stream is Stream.STATUS:
            if (coordinator := self.coordinator) is not None:
                sub.send(MessageType.SYSTEM_STATUS, json_bytes(self.status_payload(coordinator)))
        else:
            for alert in self.alerts.alerts(active_only=True):
                if sub.include_acknowledged or alert.acknowledged_at is None:
                    sub.send(MessageType.ALERT, json_bytes(alert.as_dict()))

    def status_payload(self, coordinator: OccupancyCoordinator) -> dict[str, Any]:
        """The ``system_status`` data (also the ``get_status`` result)."""
        data = coordinator.data
        return {
            "state": data.status.value,
            "rooms": status_rooms(coordinator, data),
            "history_loaded": bool(coordinator.history_loaded),
            "subscribers": self.counts(),
            "uptime_seconds": round(self.uptime_seconds(), 3),
            "next_retrain": next_retrain(coordinator),
        }

    # -- following the coordinator ------------------------------------------

    @callback
    def async_coordinator_updated(self, coordinator: OccupancyCoordinator) -> None:
        """Fan out what changed in ``coordinator``'s data; raise or resolve alerts."""
        entry = coordinator.config_entry
        if coordinator in self._retired or entry.state not in (
            ConfigEntryState.SETUP_IN_PROGRESS,
            ConfigEntryState.LOADED,
        ):
            return  # a late update from an unloaded (or unloading) entry
        if coordinator is not self.coordinator:
            self._attach(coordinator)
        data = coordinator.data
        names = {room_id: config.name for room_id, config in coordinator.room_configs.items()}
        changed: list[str] = []
        views: dict[str, _RoomView] = {}
        for room_id, snap in data.rooms.items():
            name = names.get(room_id, room_id)
            payload = prediction_payload(room_id, name, snap, data.computed_at)
            view = _RoomView(name, _prediction_key(payload), json_bytes(payload))
            old = self._rooms.get(room_id)
            if old is None or old.key != view.key:
                changed.append(room_id)
            views[room_id] = view
        self._rooms = views
        previous_names, self._room_names = self._room_names, names
        if names != previous_names:
            self.alerts.async_refresh_issues()
        status = status_rooms(coordinator, data)
        status_key = (data.status.value, repr(status), coordinator.history_loaded)
        status_changed = status_key != self._status_key
        self._status_key = status_key
        if status_changed:
            self._status_data = json_bytes(self.status_payload(coordinator))

        if self._reset_pending:
            self._reset_pending = False
            self._reset_streams(previous_names)
        elif changed or status_changed:
            self._queue_fanout(changed, status_changed)
        self._evaluate_alerts(coordinator, data)

    def _queue_fanout(self, rooms: list[str], status: bool) -> None:
        """Queue the delivery of changed rooms (and status) to every subscription.

        A job not started yet absorbs newer changes (it sends each room's
        latest data when it runs), so at most two jobs exist: the one being
        delivered and the next.
        """
        if len(self._jobs) > 1 or (self._jobs and not self._jobs[0].started):
            job = self._jobs[-1]
            job.rooms.update(dict.fromkeys(rooms))
            job.status = job.status or status
            job.subs = list(self.subscriptions)
        else:
            self._jobs.append(_FanoutJob(dict.fromkeys(rooms), status, list(self.subscriptions)))
        if self._fanout_handle is None:
            self._process_fanout()

    @callback
    def _process_fanout(self) -> None:
        """Deliver queued jobs; yield to the event loop when the time budget is spent.

        Each room's (and the status's) latest data is sent; a subscription
        already offered that very data skips it.
        """
        self._fanout_handle = None
        deadline = time.perf_counter() + FANOUT_BUDGET_SECONDS
        while self._jobs:
            job = self._jobs[0]
            job.started = True
            while job.next < len(job.subs):
                sub = job.subs[job.next]
                job.next += 1
                if not sub.closed:
                    self._deliver(job, sub)
                if time.perf_counter() > deadline and (
                    job.next < len(job.subs) or len(self._jobs) > 1
                ):
                    self._fanout_handle = self.hass.loop.call_soon(self._process_fanout)
                    return
            self._jobs.popleft()

    def _deliver(self, job: _FanoutJob, sub: Subscription) -> None:
        if sub.stream is Stream.PREDICTIONS:
            for room_id in job.rooms:
                if sub.wants(room_id) and (view := self._rooms.get(room_id)) is not None:
                    sub.offer(room_id, MessageType.PREDICTION_UPDATE, view.data)
        elif sub.stream is Stream.STATUS and job.status:
            sub.offer(_STATUS_KEY, MessageType.SYSTEM_STATUS, self._status_data)

    def _drop_fanout(self) -> None:
        self._jobs.clear()
        if self._fanout_handle is not None:
            self._fanout_handle.cancel()
            self._fanout_handle = None

    def _attach(self, coordinator: OccupancyCoordinator) -> None:
        self.coordinator = coordinator
        self._attached_at = dt_util.utcnow()
        self._rooms = {}
        self._status_key = None
        self._reset_pending = bool(self.subscriptions)

        @callback
        def _detach() -> None:
            self._retired.add(coordinator)
            if self.coordinator is coordinator:
                self.coordinator = None

        coordinator.config_entry.async_on_unload(_detach)

    def _reset_streams(self, previous_names: dict[str, str]) -> None:
        """After a reload: ``stream_reset``, room changes, then a fresh snapshot."""
        self._drop_fanout()  # the snapshots below replace what was queued
        removed = [r for r in previous_names if r not in self._rooms]
        added = [r for r in self._rooms if r not in previous_names]
        for sub in list(self.subscriptions):
            sub.drop_pending()
            sub.apply_options()
            sub.send(MessageType.STREAM_RESET, json_bytes({"reason": "entry_reloaded"}))
            if sub.stream is Stream.PREDICTIONS:
                for room_id in removed:
                    if sub.wants(room_id):
                        sub.send(
                            MessageType.ROOM_REMOVED,
                            json_bytes({"room_id": room_id, "room_name": previous_names[room_id]}),
                        )
                if sub.rooms is None:
                    for room_id in added:
                        sub.send(
                            MessageType.ROOM_ADDED,
                            json_bytes(
                                {"room_id": room_id, "room_name": self._rooms[room_id].name}
                            ),
                        )
            self._send_snapshot(sub)

    # -- alerts --------------------------------------------------------------

    def _evaluate_alerts(self, coordinator: OccupancyCoordinator, data: OccupancyData) -> None:
        """Raise or resolve the alerts that follow from the coordinator's data.

        Nothing is raised before the history import finished (sensors are
        still coming up then). ``training_failed`` is a hub-level alert
        (``room_id`` null): the coordinator reports failures for the hub.
        """
        if not coordinator.history_loaded:
            return
        alerts = self.alerts
        for room_id, snap in data.rooms.items():
            name = self._room_names.get(room_id, room_id)
            if snap.state is RoomState.UNKNOWN:
                alerts.async_raise(
                    AlertKind.SENSOR_UNAVAILABLE,
                    AlertSeverity.CRITICAL,
                    room_id,
                    f"Every occupancy sensor of {name} is unavailable",
                )
            else:
                alerts.async_resolve(AlertKind.SENSOR_UNAVAILABLE, room_id)
            days = coordinator.history_days(room_id, data.computed_at)
            if isinstance(snap.prediction, InsufficientHistory):
                alerts.async_raise(
                    AlertKind.INSUFFICIENT_HISTORY,
                    AlertSeverity.INFO,
                    room_id,
                    f"{name} has too little history to predict yet "
                    f"({snap.prediction.episodes} of {snap.prediction.needed} periods)",
                )
            elif days < MIN_HISTORY_DAYS:
                alerts.async_raise(
                    AlertKind.INSUFFICIENT_HISTORY,
                    AlertSeverity.INFO,
                    room_id,
                    f"{name} has {days:.1f} of the {MIN_HISTORY_DAYS} days of history "
                    "that make predictions reliable",
                )
            elif snap.prediction is not None:
                alerts.async_resolve(AlertKind.INSUFFICIENT_HISTORY, room_id)
            self._evaluate_learning_alerts(room_id, name, snap)
        for alert in alerts.alerts(active_only=True):
            if alert.room_id is not None and alert.room_id not in data.rooms:
                alerts.async_resolve(alert.kind, alert.room_id)  # the room was removed
        if data.status.value == "error":
            alerts.async_raise(
                AlertKind.TRAINING_FAILED,
                AlertSeverity.CRITICAL,
                None,
                "Training a room's model failed; see the log",
            )
        else:
            alerts.async_resolve(AlertKind.TRAINING_FAILED, None)

    def _evaluate_learning_alerts(self, room_id: str, name: str, snap: RoomSnapshot) -> None:
        """``accuracy_degraded`` and ``concept_drift`` from the room's live scoring.

        Such an alert resolves once its condition is gone, the room was
        refitted after the alert was raised, and enough predictions were
        scored in the last 24 h to show it: live scores start afresh after a
        restart, so their absence alone says nothing.
        """
        alerts = self.alerts
        if snap.degradation:
            alerts.async_raise(
                AlertKind.ACCURACY_DEGRADED,
                AlertSeverity.WARNING,
                room_id,
                f"{name}: "
                + "; ".join(
                    f"{event.kind.value} {event.value:.2f} beyond {event.limit:.2f} "
                    f"({event.samples} predictions)"
                    for event in snap.degradation
                ),
            )
        else:
            self._resolve_if_adapted(AlertKind.ACCURACY_DEGRADED, room_id, snap)
        if snap.drift is not None:
            alerts.async_raise(
                AlertKind.CONCEPT_DRIFT,
                AlertSeverity.WARNING,
                room_id,
                f"{name}: {snap.drift.detail} (score {snap.drift.score:.1f})",
            )
        else:
            self._resolve_if_adapted(AlertKind.CONCEPT_DRIFT, room_id, snap)

    def _resolve_if_adapted(self, kind: AlertKind, room_id: str, snap: RoomSnapshot) -> None:
        alert = self.alerts.find_active(kind, room_id)
        if (
            alert is not None
            and snap.trained_at is not None
            and snap.trained_at > alert.created_at
            and snap.scored_24h >= MIN_SCORED
        ):
            self.alerts.async_resolve(kind, room_id)

    @callback
    def _async_alert_changed(self, change: AlertChange, alert: Alert) -> None:
        payload: dict[str, Any] = dict(alert.as_dict())
        if change is AlertChange.NEW:
            message_type = MessageType.ALERT
        elif change is AlertChange.REDELIVERY:
            message_type = MessageType.ALERT
            payload["redelivery"] = alert.redeliveries
        else:
            message_type = MessageType.ALERT_UPDATED
            payload["change"] = change.value
        data = json_bytes(payload)
        for sub in list(self.subscriptions):
            if sub.stream is Stream.ALERTS:
                sub.send(message_type, data)
                if change is AlertChange.REDELIVERY:
                    sub.stats.redelivered += 1
                    self.stats[Stream.ALERTS].redelivered += 1

    # -- statistics -------------------------------------------------------------

    def stats_payload(self) -> dict[str, Any]:
        """The ``get_stats`` result: per stream and per connection counters."""
        now = self.loop_time()
        counts = self.counts()
        streams = {
            stream.value: {"subscribers": counts[stream.value], **self.stats[stream].as_dict()}
            for stream in Stream
        }
        connections: dict[int, dict[str, Any]] = {}
        for sub in self.subscriptions:
            conn = connections.setdefault(
                id(sub.connection),
                {
                    "user_id": sub.connection.user.id,
                    "subscriptions": 0,
                    "messages_sent": 0,
                    "coalesced": 0,
                    "skipped": 0,
                    "since": sub.created,
                },
            )
            conn["subscriptions"] += 1
            conn["messages_sent"] += sub.stats.sent
            conn["coalesced"] += sub.stats.coalesced
            conn["skipped"] += sub.stats.skipped
            conn["since"] = min(conn["since"], sub.created)
        for conn in connections.values():
            minutes = max(now - conn.pop("since"), 1.0) / 60.0
            conn["messages_per_minute"] = round(conn["messages_sent"] / minutes, 3)
        return {
            "total_subscriptions": len(self.subscriptions),
            "max_subscriptions": int(self.option(CONF_MAX_SUBSCRIPTIONS)),
            "streams": streams,
            "connections": list(connections.values()),
        }

    @callback
    def async_shutdown(self) -> None:
        """Stop following alerts and drop every subscription's timers."""
        self._unsub_alerts()
        self._drop_fanout()
        for sub in list(self.subscriptions):
            sub.close()
