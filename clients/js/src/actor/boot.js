'use strict';
/**
 * ActorBoot: what the arbiter tells a program it starts as an EXEC actor, one
 * message in protobuf's JSON mapping on the inherited file descriptor named by
 * ACTORGRPC_BOOT_FD (docs/actor-protocol.md §3). Read whole, then closed; the
 * variable is removed so that nothing this process starts inherits the secret.
 */
const fs = require('node:fs');
const { fromStruct } = require('../values');

const BOOT_FD_VARIABLE = 'ACTORGRPC_BOOT_FD';

/** A field by its JSON name or its .proto name (protobuf's JSON parsers accept both). */
function field(object, camel, snake, fallback) {
  if (object && object[camel] !== undefined) return object[camel];
  if (object && object[snake] !== undefined) return object[snake];
  return fallback;
}

const ROLES = { TOKEN_ROLE_READ: 1, TOKEN_ROLE_ADMIN: 2, TOKEN_ROLE_INTERNAL: 3 };

/** A TokenRole given by name or number, as a number (0 when unknown). */
function role(value) {
  if (typeof value === 'number') return value;
  return ROLES[value] || 0;
}

/** google.protobuf.Struct in JSON is a plain object; keep only that. */
function plainObject(value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    // (an already-decoded Struct, {fields: ...}, would come from a non-JSON writer)
    return 'fields' in value && Object.keys(value).length === 1 ? fromStruct(value) : { ...value };
  }
  return {};
}

/** The ActorBoot JSON text, as a plain object with camelCase fields. */
function parseBoot(text) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`ActorBoot is not valid JSON: ${err.message}`);
  }
  if (!raw || typeof raw !== 'object') throw new Error('ActorBoot is not a JSON object');
  const tlsRaw = field(raw, 'tls', 'tls', null);
  const boot = {
    aid: String(field(raw, 'aid', 'aid', '')),
    name: String(field(raw, 'name', 'name', '')),
    monitorAddress: String(field(raw, 'monitorAddress', 'monitor_address', '')),
    secret: String(field(raw, 'secret', 'secret', '')),
    mailboxHost: String(field(raw, 'mailboxHost', 'mailbox_host', '') || '127.0.0.1'),
    credential: String(field(raw, 'credential', 'credential', '')),
    acceptedTokens: (field(raw, 'acceptedTokens', 'accepted_tokens', []) || []).map((token) => ({
      sha256Hex: String(field(token, 'sha256Hex', 'sha256_hex', '')).toLowerCase(),
      role: role(field(token, 'role', 'role', 0)),
    })),
    tls: tlsRaw ? {
      certFile: field(tlsRaw, 'certFile', 'cert_file', ''),
      keyFile: field(tlsRaw, 'keyFile', 'key_file', ''),
      caFile: field(tlsRaw, 'caFile', 'ca_file', ''),
      clientCaFile: field(tlsRaw, 'clientCaFile', 'client_ca_file', ''),
      serverName: field(tlsRaw, 'serverName', 'server_name', ''),
    } : null,
    extra: plainObject(field(raw, 'extra', 'extra', {})),
    // int64 fields are strings in protobuf's JSON mapping.
    maxMessageBytes: Number(field(raw, 'maxMessageBytes', 'max_message_bytes', 0)) || 4 * 1024 * 1024,
    monitor: String(field(raw, 'monitor', 'monitor', '') || 'arbiter'),
  };
  for (const [key, value] of [['aid', boot.aid], ['monitor_address', boot.monitorAddress], ['secret', boot.secret]]) {
    if (!value) throw new Error(`ActorBoot has no ${key}`);
  }
  return boot;
}

/**
 * Reads ActorBoot from the descriptor in $ACTORGRPC_BOOT_FD (then closes it and
 * forgets the variable). Throws, saying why, when it cannot.
 */
function readBoot(env = process.env) {
  const text = env[BOOT_FD_VARIABLE];
  const fd = Number(text);
  if (!text || !Number.isInteger(fd) || fd < 0) {
    throw new Error(`${BOOT_FD_VARIABLE} is not set: this program runs as an actor started by an actorgrpc arbiter (serve --program NAME=COMMAND)`);
  }
  let data;
  try {
    data = fs.readFileSync(fd, 'utf8');
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed: nothing to release
    }
    delete env[BOOT_FD_VARIABLE];
  }
  return parseBoot(data);
}

module.exports = { readBoot, parseBoot, BOOT_FD_VARIABLE };
