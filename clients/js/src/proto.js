'use strict';
/**
 * Loads the actorgrpc.v1 protos at run time with @grpc/proto-loader: no generated
 * code to keep in step with protos/. google/protobuf/*.proto come with protobufjs.
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

const FILES = ['actor', 'arbiter', 'mailbox', 'monitor'].map((name) => `actorgrpc/v1/${name}.proto`);

const LOADER_OPTIONS = {
  longs: Number, // int64 fields are counts and byte sizes, far below 2**53
  enums: String, // converted to short names ("running") by enums.js
  defaults: false,
  oneofs: true, // google.protobuf.Value gets `kind`, see values.js
};

let definition;
let v1;

/** proto-loader's PackageDefinition of actorgrpc.v1 (message and enum descriptors). */
function loadDefinition() {
  if (!definition) definition = protoLoader.loadSync(FILES, { ...LOADER_OPTIONS, includeDirs: [protosDir()] });
  return definition;
}

/** The grpc-js package object for actorgrpc.v1 (services and message types). */
function loadV1() {
  if (!v1) v1 = grpc.loadPackageDefinition(loadDefinition()).actorgrpc.v1;
  return v1;
}

/** `[[name, number], ...]` of the enum `actorgrpc.v1.<name>`, as the .proto declares it. */
function enumValues(name) {
  const entry = loadDefinition()[`actorgrpc.v1.${name}`];
  if (!entry || !entry.type || !Array.isArray(entry.type.value)) throw new Error(`no enum actorgrpc.v1.${name}`);
  return entry.type.value.map((value) => [value.name, value.number]);
}

module.exports = { loadV1, loadDefinition, enumValues, protosDir };
