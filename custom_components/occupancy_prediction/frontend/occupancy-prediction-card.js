/*
 * Occupancy Prediction card: one dependency-free ES module, no build step.
 *
 * Served by the integration at /occupancy_prediction/occupancy-prediction-card.js?v=<version>
 * and loaded on every page (add_extra_js_url): no Lovelace resource to add.
 * Live through three websocket subscriptions (predictions, status, alerts), one each per
 * card, released when the card leaves the page. See docs/websocket_api.md.
 */

const CARD_TAG = "occupancy-prediction-card";
const EDITOR_TAG = "occupancy-prediction-card-editor";
const WS = "occupancy_prediction/";

const STRINGS = {
  en: {
    title: "Occupancy prediction",
    occupied: "Occupied",
    vacant: "Vacant",
    unknown: "Unknown",
    since: "since",
    learning: "Learning",
    learning_periods: "learning ({episodes} of {needed} periods)",
    ready: "Ready",
    degraded: "Degraded",
    error: "Error",
    becomes_occupied: "occupied",
    becomes_vacant: "empty",
    predicted: "{what} {when}",
    not_within: "no change expected within 24 h",
    confidence: "confidence",
    interval: "80 % interval",
    forecast: "P(occupied)",
    last_training: "last training",
    mae_7d: "7-day MAE",
    alerts: "Alerts",
    acknowledge: "Acknowledge",
    acknowledged: "acknowledged",
    no_rooms: "No rooms yet: add one under Settings > Devices & services > Occupancy Prediction.",
    not_loaded: "Occupancy Prediction is not loaded.",
    connecting: "Connecting…",
    min: "min",
    editor_title: "Title",
    editor_rooms: "Rooms (empty: all)",
    editor_show_forecast: "Show forecast curve",
    editor_show_alerts: "Show alerts",
  },
};

/* ---- custom-element registry race (HA frontend 2026.8+) ----------------------------------
 * app.js swaps window.customElements for a scoped-registry polyfill. This module is
 * imported in parallel with app.js; if it runs first, define() lands in the native registry
 * which the polyfill does not see. Define again in the current registry once <home-assistant>
 * is defined (that happens after the swap, and resolves on either side of it).
 */
function defineElement(tag, cls) {
  const bootRegistry = window.customElements;
  if (!bootRegistry.get(tag)) bootRegistry.define(tag, cls);
  const heal = (why) => {
    if (window.customElements.get(tag)) return;
    try {
      window.customElements.define(tag, cls);
      console.info(`${tag}: re-defined (${why})`);
    } catch (err) {
      console.warn(`${tag}: re-define failed`, err);
    }
  };
  bootRegistry.whenDefined("home-assistant").then(() => heal("home-assistant defined"));
  setTimeout(() => heal("timeout"), 5000);
}

function esc(value) {
  return String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

const HA_KEYS = {
  // The integration's own entity translations, which Home Assistant loads for the frontend.
  occupied: "component.occupancy_prediction.entity.sensor.next_transition.state_attributes.transition_type.state.occupied",
  vacant: "component.occupancy_prediction.entity.sensor.next_transition.state_attributes.transition_type.state.vacant",
  learning: "component.occupancy_prediction.entity.sensor.status.state.learning",
  ready: "component.occupancy_prediction.entity.sensor.status.state.ready",
  degraded: "component.occupancy_prediction.entity.sensor.status.state.degraded",
  error: "component.occupancy_prediction.entity.sensor.status.state.error",
  unknown: "state.default.unknown",
};

function strings(hass) {
  const lang = (hass && (hass.locale?.language || hass.language)) || "en";
  const t = { ...STRINGS.en, ...(STRINGS[lang.split("-")[0]] || {}) };
  if (typeof hass?.localize === "function") {
    for (const [name, key] of Object.entries(HA_KEYS)) {
      const text = hass.localize(key);
      if (text) t[name] = text;
    }
  }
  return t;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => esc(values[key]));
}

function lang(hass) {
  return (hass && (hass.locale?.language || hass.language)) || "en";
}

function clock(hass, iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const opts = { hour: "numeric", minute: "2-digit" };
  if (Math.abs(date - Date.now()) > 20 * 3600 * 1000) opts.weekday = "short";
  try {
    return new Intl.DateTimeFormat(lang(hass), {
      ...opts,
      timeZone: hass?.config?.time_zone || undefined,
    }).format(date);
  } catch (_err) {
    return date.toLocaleTimeString();
  }
}

function relative(hass, iso) {
  const minutes = Math.round((new Date(iso) - Date.now()) / 60000);
  const fmt = new Intl.RelativeTimeFormat(lang(hass), { numeric: "auto" });
  if (Math.abs(minutes) < 90) return fmt.format(minutes, "minute");
  return fmt.format(Math.round(minutes / 60), "hour");
}

function roomMatches(config, room) {
  const wanted = config.rooms;
  if (!Array.isArray(wanted) || wanted.length === 0) return true;
  return wanted.includes(room.room_id) || wanted.includes(room.room_name);
}

const STYLE = `
  :host { display: block; }
  ha-card { padding: 12px 16px 16px; }
  .header { display: flex; align-items: baseline; justify-content: space-between; gap: 8px;
    flex-wrap: wrap; }
  .title { font-size: 1.25em; font-weight: 500; color: var(--ha-card-header-color, var(--primary-text-color)); }
  .status { font-size: 0.85em; color: var(--secondary-text-color); }
  .status .state { font-weight: 600; }
  .status .state.ready { color: var(--success-color, #43a047); }
  .status .state.learning { color: var(--info-color, #039be5); }
  .status .state.degraded, .status .state.error { color: var(--error-color, #db4437); }
  .room { border-top: 1px solid var(--divider-color); padding: 10px 0 6px; }
  .room:first-of-type { border-top: none; }
  .line { display: flex; align-items: center; justify-content: space-between; gap: 8px;
    flex-wrap: wrap; }
  .name { font-weight: 500; }
  .badge { font-size: 0.8em; padding: 1px 8px; border-radius: 10px; white-space: nowrap;
    background: var(--secondary-background-color); color: var(--primary-text-color); }
  .badge.occupied { background: var(--state-binary_sensor-occupancy-on-color, var(--primary-color));
    color: var(--text-primary-color, #fff); }
  .since, .meta { font-size: 0.85em; color: var(--secondary-text-color); }
  .prediction { margin-top: 4px; }
  svg { display: block; width: 100%; overflow: visible; }
  .axis { stroke: var(--divider-color); stroke-width: 1; }
  .band { fill: var(--primary-color); opacity: 0.3; }
  .mark { stroke: var(--primary-color); stroke-width: 2; }
  .tick { font-size: 9px; fill: var(--secondary-text-color); }
  .curve { fill: none; stroke: var(--accent-color, var(--primary-color)); stroke-width: 1.5; }
  .alerts { margin-top: 8px; border-top: 1px solid var(--divider-color); padding-top: 8px; }
  .alerts h3 { font-size: 0.95em; margin: 0 0 4px; font-weight: 500; }
  .alert { display: flex; align-items: center; justify-content: space-between; gap: 8px;
    font-size: 0.9em; padding: 4px 8px; margin: 4px 0; border-radius: 6px;
    border-left: 4px solid var(--warning-color, #ffa600); flex-wrap: wrap; }
  .alert.info { border-left-color: var(--info-color, #039be5); }
  .alert.critical { border-left-color: var(--error-color, #db4437); font-weight: 600;
    background: rgba(219, 68, 55, 0.12); }
  .alert.acked { opacity: 0.7; font-weight: normal; background: none; }
  button { font: inherit; font-size: 0.9em; cursor: pointer; border-radius: 6px; padding: 4px 10px;
    border: 1px solid var(--primary-color); color: var(--primary-color);
    background: var(--card-background-color, transparent); }
  button:focus-visible { outline: 2px solid var(--primary-color); outline-offset: 2px; }
  .message { color: var(--secondary-text-color); padding: 8px 0; }
`;

class OccupancyPredictionCard extends HTMLElement {
  static getStubConfig() {
    return { title: "Occupancy prediction", show_forecast: true, show_alerts: true };
  }

  static async getConfigElement() {
    return document.createElement(EDITOR_TAG);
  }

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = null;
    this._hass = null;
    this._rooms = new Map(); // room_id -> prediction payload, in arrival (= room) order
    this._status = null;
    this._alerts = new Map(); // alert_id -> alert payload (unresolved)
    this._subs = {}; // stream -> Promise<unsubscribe>
    this._error = null;
    this._rendered = "";
    this._tick = 0;
    this._timer = null;
    this.shadowRoot.addEventListener("click", (ev) => this._onClick(ev));
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    if (config.rooms !== undefined && !Array.isArray(config.rooms)) {
      throw new Error("rooms must be a list of room names or ids");
    }
    this._config = { show_forecast: true, show_alerts: true, ...config };
    this._render();
  }

  set hass(hass) {
    // Called on every state change in Home Assistant: keep it cheap.
    const first = !this._hass;
    this._hass = hass;
    if (first) {
      this._subscribe();
      this._render();
    }
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    this._subscribe();
    // Countdowns ("in 12 minutes") move on without new data.
    if (!this._timer) this._timer = setInterval(() => this._render(true), 30000);
  }

  disconnectedCallback() {
    clearInterval(this._timer);
    this._timer = null;
    const subs = this._subs;
    this._subs = {};
    for (const promise of Object.values(subs)) {
      promise.then((unsub) => unsub()).catch(() => {});
    }
  }

  getCardSize() {
    const rooms = this._rooms.size || 3;
    return 1 + rooms * 2 + (this._config?.show_alerts === false ? 0 : 1);
  }

  getGridOptions() {
    return { columns: 12, rows: "auto", min_columns: 6, min_rows: 3 };
  }

  _subscribe() {
    if (!this._hass || !this.isConnected || !this._hass.connection) return;
    const streams = {
      predictions: { type: WS + "subscribe_predictions" },
      status: { type: WS + "subscribe_status" },
      alerts: { type: WS + "subscribe_alerts", include_acknowledged: true },
    };
    for (const [name, message] of Object.entries(streams)) {
      if (this._subs[name]) continue;
      // A new subscription starts with a snapshot: drop what may have changed meanwhile.
      if (name === "predictions") this._rooms.clear();
      if (name === "alerts") this._alerts.clear();
      const promise = this._hass.connection.subscribeMessage(
        (event) => this._onEvent(name, event),
        message,
      );
      this._subs[name] = promise;
      promise.catch((err) => {
        if (this._subs[name] === promise) delete this._subs[name];
        this._error = err?.code === "not_loaded" ? strings(this._hass).not_loaded : err?.message || String(err);
        this._render();
      });
    }
  }

  _onEvent(stream, event) {
    const type = event?.message_type;
    const data = event?.data || {};
    this._error = null;
    if (type === "stream_reset") {
      if (stream === "predictions") this._rooms.clear();
      if (stream === "alerts") this._alerts.clear();
    } else if (type === "prediction_update") {
      this._rooms.set(data.room_id, data);
    } else if (type === "room_removed") {
      this._rooms.delete(data.room_id);
    } else if (type === "system_status") {
      this._status = data;
    } else if (type === "alert" || type === "alert_updated") {
      if (data.resolved_at) this._alerts.delete(data.alert_id);
      else this._alerts.set(data.alert_id, data);
    } else {
      return; // heartbeat, room_added (a snapshot follows), subscription_limited, ...
    }
    this._tick += 1;
    this._render();
  }

  _onClick(ev) {
    const button = ev.composedPath().find((el) => el.dataset?.ackAlert);
    if (!button || !this._hass) return;
    button.disabled = true;
    this._hass
      .callWS({ type: WS + "acknowledge_alert", alert_id: button.dataset.ackAlert })
      .then((alert) => {
        if (alert?.alert_id) this._alerts.set(alert.alert_id, alert);
        this._render();
      })
      .catch((err) => {
        button.disabled = false;
        console.warn("occupancy-prediction-card: acknowledge failed", err);
      });
  }

  _render(clockOnly = false) {
    if (!this._config) return;
    const t = strings(this._hass);
    const config = this._config;
    const rooms = [...this._rooms.values()].filter((room) => roomMatches(config, room));
    let body;
    if (this._error && !this._rooms.size) {
      body = `<div class="message" data-testid="error">${esc(this._error)}</div>`;
    } else if (!this._hass || !this._subs.predictions || (!this._rooms.size && !this._status)) {
      body = `<div class="message">${esc(t.connecting)}</div>`;
    } else if (!rooms.length) {
      body = `<div class="message">${esc(t.no_rooms)}</div>`;
    } else {
      body = rooms.map((room) => this._roomHtml(room, t)).join("");
    }
    const html = `
      <style>${STYLE}</style>
      <ha-card data-testid="card" data-tick="${this._tick}" data-rooms="${rooms.length}">
        <div class="header">
          <div class="title" data-testid="title">${esc(config.title ?? t.title)}</div>
          ${this._statusHtml(t)}
        </div>
        ${body}
        ${config.show_alerts === false ? "" : this._alertsHtml(t)}
      </ha-card>`;
    if (html === this._rendered) return;
    if (clockOnly && this.shadowRoot.activeElement) return; // keep keyboard focus
    this._rendered = html;
    this.shadowRoot.innerHTML = html;
  }

  _statusHtml(t) {
    const status = this._status;
    if (!status) return "";
    const rooms = Object.values(status.rooms || {});
    const trained = rooms.map((r) => r.trained_at).filter(Boolean).sort().pop();
    const maes = rooms
      .map((r) => r.accuracy?.["7d"]?.mae_minutes)
      .filter((v) => typeof v === "number");
    const parts = [`<span class="state ${esc(status.state)}" data-testid="status">${esc(t[status.state] || status.state)}</span>`];
    if (trained) parts.push(`${esc(t.last_training)} ${esc(clock(this._hass, trained))}`);
    if (maes.length) {
      const mae = maes.reduce((a, b) => a + b, 0) / maes.length;
      parts.push(`${esc(t.mae_7d)} ${mae.toFixed(0)} ${esc(t.min)}`);
    }
    return `<div class="status">${parts.join(" · ")}</div>`;
  }

  _roomHtml(room, t) {
    const state = room.state || "unknown";
    const since = room.state_since ? `${esc(t.since)} ${esc(clock(this._hass, room.state_since))}` : "";
    let prediction;
    if (room.status === "learning") {
      const l = room.learning || {};
      prediction = `<div class="meta">${l.needed ? fill(t.learning_periods, l) : esc(t.learning)}</div>`;
    } else if (room.status !== "ready") {
      prediction = "";
    } else if (!room.predicted_time) {
      prediction = `<div class="meta">${esc(t.not_within)}</div>`;
    } else {
      const what = room.transition_type === "vacant" ? t.becomes_vacant : t.becomes_occupied;
      const when = `${relative(this._hass, room.predicted_time)} (${clock(this._hass, room.predicted_time)})`;
      const confidence = typeof room.confidence_score === "number"
        ? ` · ${esc(t.confidence)} ${Math.round(room.confidence_score * 100)} %`
        : "";
      prediction = `
        <div class="line prediction">
          <span data-testid="predicted">${fill(t.predicted, { what, when })}</span>
          <span class="meta">${confidence.replace(/^ · /, "")}</span>
        </div>
        ${this._intervalSvg(room, t)}`;
    }
    const forecast = this._config.show_forecast === false ? "" : this._forecastSvg(room, t);
    return `
      <div class="room" data-testid="room" data-room-id="${esc(room.room_id)}" data-room-name="${esc(room.room_name)}" data-state="${esc(state)}">
        <div class="line">
          <span class="name">${esc(room.room_name)}</span>
          <span><span class="since">${since}</span>
            <span class="badge ${esc(state)}" data-testid="state">${esc(t[state] || state)}</span></span>
        </div>
        ${prediction}
        ${forecast}
      </div>`;
  }

  _intervalSvg(room, t) {
    const lower = room.interval?.lower && Date.parse(room.interval.lower);
    const upper = room.interval?.upper && Date.parse(room.interval.upper);
    const predicted = Date.parse(room.predicted_time);
    if (!lower || !upper) return "";
    const now = Date.now();
    const span = Math.max(upper - now, 3600 * 1000) * 1.1;
    const x = (ms) => Math.min(100, Math.max(0, ((ms - now) / span) * 100));
    const hours = span / 3600000;
    const step = hours <= 3 ? 0.5 : hours <= 8 ? 2 : 6;
    let ticks = "";
    for (let h = 0; h <= hours; h += step) {
      const pos = x(now + h * 3600000);
      ticks += `<text class="tick" x="${pos}%" y="31" text-anchor="${h === 0 ? "start" : "middle"}">${h === 0 ? "now" : `+${h}h`}</text>`;
    }
    return `
      <svg height="33" role="img" aria-label="${esc(t.interval)} ${esc(clock(this._hass, room.interval.lower))} – ${esc(clock(this._hass, room.interval.upper))}" data-testid="interval">
        <line class="axis" x1="0" x2="100%" y1="14" y2="14"></line>
        <rect class="band" x="${x(lower)}%" y="8" width="${Math.max(0.5, x(upper) - x(lower))}%" height="12" rx="3"></rect>
        <line class="mark" x1="${x(predicted)}%" x2="${x(predicted)}%" y1="5" y2="23"></line>
        ${ticks}
      </svg>`;
  }

  _forecastSvg(room, t) {
    const points = Array.isArray(room.occupancy_forecast) ? room.occupancy_forecast : [];
    if (points.length < 2) return "";
    const maxH = Math.max(...points.map((p) => p.horizon_minutes));
    const coords = points
      .map((p) => `${((p.horizon_minutes / maxH) * 200).toFixed(1)},${(22 - p.probability * 20).toFixed(1)}`)
      .join(" ");
    return `
      <div class="line meta"><span>${esc(t.forecast)}</span><span>+${Math.round(maxH / 60)} h</span></div>
      <svg viewBox="0 0 200 24" preserveAspectRatio="none" height="24" role="img" aria-label="${esc(t.forecast)}" data-testid="forecast">
        <line class="axis" x1="0" x2="200" y1="22" y2="22"></line>
        <polyline class="curve" vector-effect="non-scaling-stroke" points="${coords}"></polyline>
      </svg>`;
  }

  _alertsHtml(t) {
    const alerts = [...this._alerts.values()];
    if (!alerts.length) return "";
    const rank = { critical: 0, warning: 1, info: 2 };
    alerts.sort((a, b) => {
      const ua = a.severity === "critical" && !a.acknowledged_at ? 0 : 1;
      const ub = b.severity === "critical" && !b.acknowledged_at ? 0 : 1;
      return ua - ub || (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3) || String(a.created_at).localeCompare(String(b.created_at));
    });
    const admin = Boolean(this._hass?.user?.is_admin);
    const items = alerts.map((alert) => {
      const acked = Boolean(alert.acknowledged_at);
      const button = alert.requires_ack && !acked && admin
        ? `<button type="button" data-ack-alert="${esc(alert.alert_id)}" data-testid="ack">${esc(t.acknowledge)}</button>`
        : "";
      return `
        <div class="alert ${esc(alert.severity)} ${acked ? "acked" : ""}" role="${alert.severity === "critical" && !acked ? "alert" : "note"}"
             data-testid="alert" data-alert-id="${esc(alert.alert_id)}" data-severity="${esc(alert.severity)}" data-acknowledged="${acked}">
          <span>${esc(alert.message)}${acked ? ` (${esc(t.acknowledged)})` : ""}</span>${button}
        </div>`;
    });
    return `<div class="alerts"><h3>${esc(t.alerts)}</h3>${items.join("")}</div>`;
  }
}

class OccupancyPredictionCardEditor extends HTMLElement {
  constructor() {
    super();
    this._config = {};
    this._hass = null;
    this._roomOptions = null;
    this._form = null;
  }

  setConfig(config) {
    this._config = { ...config };
    this._update();
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    if (first) this._loadRooms();
    this._update();
  }

  connectedCallback() {
    this._ensureForm();
  }

  async _ensureForm() {
    // ha-form is lazy-loaded by Home Assistant; a core card's editor pulls it in.
    if (!window.customElements.get("ha-form")) {
      await window.customElements.get("hui-tile-card")?.getConfigElement?.();
    }
    this._update();
  }

  async _loadRooms() {
    try {
      const result = await this._hass.callWS({ type: WS + "get_predictions" });
      this._roomOptions = result.rooms.map((r) => ({ value: r.room_id, label: r.room_name }));
    } catch (_err) {
      this._roomOptions = [];
    }
    this._update();
  }

  _schema() {
    return [
      { name: "title", selector: { text: {} } },
      {
        name: "rooms",
        selector: { select: { multiple: true, mode: "list", options: this._roomOptions || [] } },
      },
      { name: "show_forecast", selector: { boolean: {} } },
      { name: "show_alerts", selector: { boolean: {} } },
    ];
  }

  _update() {
    if (!this._hass) return;
    if (!this._form) {
      this._form = document.createElement("ha-form");
      this._form.computeLabel = (s) => strings(this._hass)[`editor_${s.name}`] || s.name;
      this._form.addEventListener("value-changed", (ev) => {
        ev.stopPropagation();
        const config = { ...this._config, ...ev.detail.value };
        if (Array.isArray(config.rooms) && !config.rooms.length) delete config.rooms;
        this._config = config;
        this.dispatchEvent(
          new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }),
        );
      });
      this.appendChild(this._form);
    }
    this._form.hass = this._hass;
    this._form.schema = this._schema();
    this._form.data = { show_forecast: true, show_alerts: true, ...this._config };
  }
}

defineElement(CARD_TAG, OccupancyPredictionCard);
defineElement(EDITOR_TAG, OccupancyPredictionCardEditor);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD_TAG)) {
  window.customCards.push({
    type: CARD_TAG,
    name: "Occupancy Prediction",
    description: "Each room's occupancy, its predicted next change with the 80 % interval, and alerts.",
    preview: true,
    documentationURL: "https://github.com/occupancy-prediction/occupancy_prediction#the-lovelace-card",
  });
}
