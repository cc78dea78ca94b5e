'use strict';
/**
 * ActorRef, ActorSummary, CrashReport and events as plain JS objects: camelCase
 * fields, enums by short name ("running", "process", "permanent"), Timestamps as
 * Date (null when unset), every field present.
 */
const { enums } = require('./enums');
const { fromStruct } = require('./values');

/** A google.protobuf.Timestamp ({seconds, nanos}) as a Date; null when unset. */
function toDate(timestamp) {
  if (!timestamp) return null;
  const ms = Number(timestamp.seconds || 0) * 1000 + Math.floor((timestamp.nanos || 0) / 1e6);
  return ms ? new Date(ms) : null;
}

function actorRef(ref) {
  const r = ref || {};
  return { aid: r.aid || '', name: r.name || '', address: r.address || '', state: enums().state.fromWire(r.state) };
}

function crashReport(report) {
  if (!report) return null;
  return {
    exitCode: report.exitCode || 0,
    exitDescription: report.exitDescription || '',
    exitedAt: toDate(report.exitedAt),
    stopRequested: Boolean(report.stopRequested),
    failure: report.failure || '',
    outputTail: report.outputTail || [],
  };
}

function actorSummary(summary) {
  const s = summary || {};
  const { kind, restart } = enums();
  return {
    actor: actorRef(s.actor),
    kind: kind.fromWire(s.kind),
    pid: s.pid || 0,
    monitor: s.monitor || '',
    createdAt: toDate(s.createdAt),
    uptimeSeconds: s.uptimeSeconds || 0,
    restarts: s.restarts || 0,
    restart: restart.fromWire(s.restart),
    backoffSeconds: s.backoffSeconds || 0,
    heartbeatAgeSeconds: s.heartbeatAgeSeconds || 0,
    memoryRssBytes: s.memoryRssBytes || 0,
    cpuPercent: s.cpuPercent || 0,
    mailboxDepth: s.mailboxDepth || 0,
    processed: s.processed || 0,
    gaveUp: s.gaveUp || '',
    crashReport: crashReport(s.crashReport),
    program: s.program || '',
  };
}

function actorEvent(event) {
  const e = event || {};
  return { type: enums().event.fromWire(e.type), actor: actorSummary(e.actor), time: toDate(e.time), detail: e.detail || '' };
}

module.exports = { actorRef, actorSummary, crashReport, actorEvent, toDate, fromStruct };
