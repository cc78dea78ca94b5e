'use strict';
/**
 * A protobufjs Root of actorgrpc.v1 and google.rpc (status.proto and
 * error_details.proto from the pinned google-proto-files package), for the
 * messages handled outside grpc-js's service definitions: google.protobuf.Value and
 * Arguments inside mailbox frames, google.rpc.Status in error trailers.
 */
const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');
const { protosDir } = require('./proto');

// The folder holding google/rpc/... (three levels above status.proto).
const GOOGLE_PROTOS = path.resolve(require.resolve('google-proto-files/google/rpc/status.proto'), '..', '..', '..');

/** Objects in the shape @grpc/proto-loader gives (see values.js). */
const TO_OBJECT = { longs: Number, enums: String, defaults: false, oneofs: true };

let root;

function load() {
  if (!root) {
    const ours = protosDir();
    root = new protobuf.Root();
    // google/protobuf/*.proto resolve to protobufjs's own copies (it bundles them);
    // the rest to the repository's protos, then to google-proto-files.
    const find = (target) => {
      if (target.startsWith('google/protobuf/')) return target;
      for (const dir of [ours, GOOGLE_PROTOS]) {
        const candidate = path.join(dir, target);
        if (fs.existsSync(candidate)) return candidate;
      }
      throw new Error(`${target} not found in ${ours} or ${GOOGLE_PROTOS}`);
    };
    root.resolvePath = (origin, target) => (path.isAbsolute(target) ? target : find(target));
    const files = ['actorgrpc/v1/mailbox.proto', 'actorgrpc/v1/monitor.proto', 'google/rpc/status.proto', 'google/rpc/error_details.proto'];
    root.loadSync(files, { keepCase: false });
    root.resolveAll();
  }
  return root;
}

/** The protobufjs Type of a fully qualified message name. */
function type(name) {
  return load().lookupType(name);
}

/** Decodes bytes of message `name` into a proto-loader-shaped plain object. */
function decode(name, bytes) {
  const messageType = type(name);
  return messageType.toObject(messageType.decode(bytes), TO_OBJECT);
}

/** Encodes a proto-loader-shaped plain object as message `name`. */
function encode(name, object) {
  const messageType = type(name);
  return Buffer.from(messageType.encode(messageType.fromObject(object)).finish());
}

module.exports = { type, decode, encode, GOOGLE_PROTOS };
