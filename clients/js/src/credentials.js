'use strict';
/**
 * How a client connects: TLS (grpc.credentials.createSsl) and a bearer token, the
 * same for the arbiter and for every actor mailbox reached directly
 * (docs/actor-protocol.md §1).
 */
const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const { invalidArgument } = require('./errors');

/** Where connect() finds a token when it is given none (as Python's client and CLI do). */
const TOKEN_ENVIRONMENT_VARIABLE = 'ACTORGRPC_TOKEN';
/** RFC 6750's b64token: what may follow "Bearer " in a header. */
const TOKEN_CHARS = /^[A-Za-z0-9._~+/=-]+$/;
const TLS_FIELDS = new Set(['ca', 'cert', 'key', 'serverName']);

/** PEM bytes: a Buffer as is, a string as the path of a file to read. */
function pem(value, what) {
  if (value === undefined || value === null) return null;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value !== 'string') throw invalidArgument(`tls.${what} must be a file path or a Buffer of PEM`);
  let data;
  try {
    data = fs.readFileSync(value);
  } catch (err) {
    throw invalidArgument(`cannot read tls.${what} ${value}: ${err.code || err.message}`);
  }
  if (!data.includes('-----BEGIN ')) throw invalidArgument(`tls.${what} ${value} is not a PEM file`);
  return data;
}

/**
 * `{credentials, channelOptions}` for `tls`:
 * - undefined or false: plaintext;
 * - true: TLS verified with the system's root certificates;
 * - {ca, cert, key, serverName}: TLS verified with `ca` (a PEM file path or
 *   Buffer; default the system's roots), presenting `cert` + `key` for mutual TLS,
 *   and checking the certificate for `serverName` instead of the address's host.
 */
function channelSecurity(tls) {
  if (tls === undefined || tls === null || tls === false) {
    return { credentials: grpc.credentials.createInsecure(), channelOptions: {} };
  }
  if (tls === true) return { credentials: grpc.credentials.createSsl(), channelOptions: {} };
  if (typeof tls !== 'object' || Array.isArray(tls)) throw invalidArgument('tls must be a boolean or {ca, cert, key, serverName}');
  const unknown = Object.keys(tls).filter((key) => !TLS_FIELDS.has(key));
  if (unknown.length) throw invalidArgument(`unknown tls field(s): ${unknown.join(', ')} (expected some of ca, cert, key, serverName)`);
  if (Boolean(tls.cert) !== Boolean(tls.key)) throw invalidArgument('a client certificate needs both tls.cert and tls.key');
  const credentials = grpc.credentials.createSsl(pem(tls.ca, 'ca'), pem(tls.key, 'key'), pem(tls.cert, 'cert'));
  const channelOptions = {};
  if (tls.serverName !== undefined) {
    if (typeof tls.serverName !== 'string' || !tls.serverName) throw invalidArgument('tls.serverName must be a non-empty string');
    channelOptions['grpc.ssl_target_name_override'] = tls.serverName;
    channelOptions['grpc.default_authority'] = tls.serverName;
  }
  return { credentials, channelOptions };
}

/** The token to present: the one given, else $ACTORGRPC_TOKEN, else none (''). */
function bearerToken(token) {
  const chosen = token === undefined || token === null ? process.env[TOKEN_ENVIRONMENT_VARIABLE] || '' : token;
  if (typeof chosen !== 'string') throw invalidArgument('token must be a string');
  if (chosen && !TOKEN_CHARS.test(chosen)) throw invalidArgument('a token is made of the characters A-Z a-z 0-9 . _ ~ + / = -');
  return chosen;
}

/** A function making the metadata of every call: `authorization: Bearer TOKEN` when there is one. */
function metadataFactory(token) {
  const header = token ? `Bearer ${token}` : '';
  return () => {
    const metadata = new grpc.Metadata();
    if (header) metadata.set('authorization', header);
    return metadata;
  };
}

module.exports = { channelSecurity, bearerToken, metadataFactory, TOKEN_ENVIRONMENT_VARIABLE };
