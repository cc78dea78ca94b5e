'use strict';
/**
 * Loads the actorgrpc.v1 protos at run time with @grpc/proto-loader: no generated
 * code to keep in step with protos/. google/protobuf/struct.proto comes with
 * protobufjs.
 */
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

/**
 * The repository's protos when this is a checkout, else the copy that `npm pack`
 * puts in the package (prepack); the repository's come first so a stale copy
 * never shadows them.
 */
function protosDir() {
  const candidates = [
    process.env.ACTORGRPC_PROTOS,
    path.join(__dirname, '..', '..', '..', 'protos'),
    path.join(__dirname, '..', 'protos'),
  ];
  const found = candidates.find((dir) => dir && fs.existsSync(path.join(dir, 'actorgrpc', 'v1', 'arbiter.proto')));
  if (!found) throw new Error(`actorgrpc protos not found in any of ${candidates.filter(Boolean).join(', ')}`);
  return found;
}

const LOADER_OPTIONS = {
  longs: Number, // int64 fields are byte counts, far below 2**53
  enums: String, // ActorState as 'ACTOR_STATE_RUN'
  defaults: false,
  oneofs: true, // google.protobuf.Value gets `kind`, see values.js
};

let cached;

/** The grpc-js package object for actorgrpc.v1 (services and message types). */
function loadV1() {
  if (!cached) {
    const dir = protosDir();
    const files = ['actor', 'arbiter', 'mailbox', 'monitor'].map((name) => `actorgrpc/v1/${name}.proto`);
    const definition = protoLoader.loadSync(files, { ...LOADER_OPTIONS, includeDirs: [dir] });
    cached = grpc.loadPackageDefinition(definition).actorgrpc.v1;
  }
  return cached;
}

module.exports = { loadV1, protosDir };
