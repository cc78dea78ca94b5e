// The actorgrpc dashboard: polls the arbiter's JSON endpoints once a second.
// Plain JS on purpose (no build step); every value is inserted as text, never HTML.
"use strict";

const POLL_MS = 1000;
let selected = null;

async function getJSON(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function seconds(value) {
  if (!value) return "-";
  if (value < 60) return value.toFixed(1) + "s";
  const m = Math.floor(value / 60), s = Math.floor(value % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function bytes(value) {
  value = Number(value || 0);
  if (!value) return "-";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
  return value.toFixed(i ? 1 : 0) + " " + units[i];
}

function time(t) {
  return new Date(t * 1000).toLocaleTimeString();
}

function renderActors(actors) {
  const body = document.querySelector("#actors tbody");
  body.replaceChildren();
  for (const a of actors) {
    const row = body.insertRow();
    row.dataset.name = a.actor.name;
    row.dataset.aid = a.actor.aid;
    const process = a.kind === "process" || a.kind === "exec";
    cell(row, a.actor.aid);
    cell(row, a.actor.name, "name");
    cell(row, a.kind);
    cell(row, a.monitor || "arbiter");
    cell(row, a.state, "state-" + a.state);
    cell(row, a.pid || "-");
    cell(row, seconds(a.uptime_seconds));
    cell(row, a.restarts);
    cell(row, bytes(a.memory_rss_bytes));
    cell(row, process ? Number(a.cpu_percent).toFixed(1) : "-");
    cell(row, process ? seconds(a.heartbeat_age_seconds) : "-");
    cell(row, a.mailbox_depth ?? 0);
    cell(row, Number(a.rate || 0).toFixed(1));
    row.addEventListener("click", () => { selected = a.actor.aid; refreshDetail(); });
  }
}

function renderHistory(events) {
  const body = document.querySelector("#history tbody");
  body.replaceChildren();
  for (const e of events.slice(0, 50)) {
    const row = body.insertRow();
    cell(row, time(e.time));
    cell(row, e.type);
    cell(row, `${e.name} (${e.aid})`);
    cell(row, e.restarts);
    cell(row, e.detail);
  }
}

function renderChart(points) {
  const canvas = document.getElementById("rate-chart");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 30;
  ctx.clearRect(0, 0, w, h);
  const values = points.map(p => p[1]);
  const top = Math.max(1, ...values) * 1.1;
  ctx.strokeStyle = "#dde1e7";
  ctx.fillStyle = "#5b6372";
  ctx.font = "11px sans-serif";
  for (let i = 0; i <= 4; i++) {
    const y = h - pad / 2 - (h - pad) * i / 4;
    ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(w, y); ctx.stroke();
    ctx.fillText((top * i / 4).toFixed(top < 10 ? 1 : 0), 0, y + 4);
  }
  if (points.length < 2) return;
  ctx.strokeStyle = "#2962ff";
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach((p, i) => {
    const x = pad + (w - pad) * i / (points.length - 1);
    const y = h - pad / 2 - (h - pad) * p[1] / top;
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  document.getElementById("rate-now").textContent =
    `now ${values[values.length - 1].toFixed(1)} msg/s, peak ${Math.max(...values).toFixed(1)}`;
}

async function refreshDetail() {
  if (!selected) return;
  const panel = document.getElementById("detail");
  try {
    const data = await getJSON(`/api/actors/${encodeURIComponent(selected)}?n=50`);
    panel.hidden = false;
    const name = data.summary ? `${data.summary.actor.name} (${data.summary.actor.aid})` : selected;
    document.getElementById("detail-name").textContent = name;
    // The actor's own info first, then what the arbiter knows (supervision).
    const { actor, ...rest } = data.info || {};
    const info = data.info_error ? { error: data.info_error, supervision: data.summary }
                                 : { actor, supervision: data.summary, ...rest };
    document.getElementById("detail-info").textContent = JSON.stringify(info, null, 2);
    document.getElementById("detail-logs").textContent = data.logs.join("\n") || "(no output)";
    document.getElementById("detail-events").textContent =
      data.events.map(e => `${time(e.time)}  ${e.type}  ${e.detail}`).join("\n") || "(none)";
  } catch (err) {
    document.getElementById("detail-info").textContent = String(err);
  }
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const all = document.getElementById("show-exited").checked ? "1" : "0";
    const [overview, actors, events, rates] = await Promise.all([
      getJSON("/api/overview"), getJSON(`/api/actors?all=${all}`),
      getJSON("/api/events?types=exited,restarted,hung,failed,gave_up&n=50"),
      getJSON("/api/rates")]);
    const states = Object.entries(overview.states).map(([k, v]) => `${v} ${k}`).join(", ");
    document.getElementById("overview").textContent =
      `${overview.address} — ${overview.actors} actors${states ? " (" + states + ")" : ""}` +
      ` — ${overview.messages_per_second.toFixed(1)} msg/s`;
    renderActors(actors);
    renderHistory(events);
    renderChart(rates.points);
    status.textContent = "updated " + new Date().toLocaleTimeString();
    status.className = "status";
    document.body.dataset.ready = "1";
    await refreshDetail();
  } catch (err) {
    status.textContent = "arbiter unreachable: " + err.message;
    status.className = "status error";
  }
}

document.getElementById("detail-close").addEventListener("click", () => {
  selected = null;
  document.getElementById("detail").hidden = true;
});
document.getElementById("show-exited").addEventListener("change", refresh);
refresh();
setInterval(refresh, POLL_MS);
