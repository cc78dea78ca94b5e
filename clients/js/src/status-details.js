'use strict';
/**
 * The `grpc-status-details-bin` trailer: a google.rpc.Status whose ErrorInfo
 * (domain "actorgrpc.v1") names the server's error class and, for a command that
 * raised, the exception's type (docs/actor-protocol.md §1). Decoded with the
 * google.rpc protos of the pinned google-proto-files package; encoded the same
 * way by the actor SDK's servers.
 */
const protobuf = require('./protobuf');

const DETAILS_KEY = 'grpc-status-details-bin';
const ERROR_DOMAIN = 'actorgrpc.v1';
const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

const NONE = Object.freeze({ errorClass: '', exceptionType: '', reason: '' });

/**
 * {errorClass, exceptionType, reason} from a call's trailing metadata; empty
 * strings when it carries no actorgrpc details (or garbage: the code then decides).
 */
function decodeDetails(metadata) {
  if (!metadata || typeof metadata.get !== 'function') return NONE;
  for (const value of metadata.get(DETAILS_KEY)) {
    if (!Buffer.isBuffer(value)) continue;
    let status;
    try {
      status = protobuf.decode('google.rpc.Status', value);
    } catch {
      continue;
    }
    for (const detail of status.details || []) {
      // (protobufjs's bundled any.proto keeps the field's own name, type_url)
      if (detail.type_url !== ERROR_INFO_TYPE) continue;
      let info;
      try {
        info = protobuf.decode('google.rpc.ErrorInfo', detail.value);
      } catch {
        continue;
      }
      if (info.domain !== ERROR_DOMAIN) continue;
      const fields = info.metadata || {};
      return { errorClass: fields.error_class || '', exceptionType: fields.exception_type || '', reason: info.reason || '' };
    }
  }
  return NONE;
}

/** "ActorNotFound" -> "ACTOR_NOT_FOUND" (ErrorInfo.reason). */
function reasonOf(className) {
  return className.replace(/(?<=[a-z0-9])(?=[A-Z])/g, '_').toUpperCase();
}

/**
 * The serialized google.rpc.Status for an error: what a server puts in the
 * `grpc-status-details-bin` trailer.
 */
function encodeDetails(code, message, errorClass, exceptionType = '') {
  const metadata = { error_class: errorClass };
  if (exceptionType) metadata.exception_type = exceptionType;
  const info = protobuf.encode('google.rpc.ErrorInfo', { reason: reasonOf(errorClass), domain: ERROR_DOMAIN, metadata });
  return protobuf.encode('google.rpc.Status', { code, message, details: [{ type_url: ERROR_INFO_TYPE, value: info }] });
}

module.exports = { decodeDetails, encodeDetails, reasonOf, DETAILS_KEY, ERROR_DOMAIN };
