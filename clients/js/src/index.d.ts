// Hand-written types of the public surface of src/index.js; `npm run typecheck`
// compiles test-d/usage.ts against them.
import type { ChannelCredentials, ChannelOptions, Metadata, status } from '@grpc/grpc-js';
export { status } from '@grpc/grpc-js';

/** A JSON-shaped value: what crosses the wire as google.protobuf.Value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** What `send` accepts (undefined members are dropped, toJSON is honoured). */
export type JsonInput = JsonValue | undefined | { toJSON(): unknown } | JsonInput[] | { [key: string]: JsonInput };

/** pulsar's ACTOR_STATES as protobuf enum names. */
export type ActorState =
  | 'ACTOR_STATE_UNSPECIFIED'
  | 'ACTOR_STATE_INACTIVE'
  | 'ACTOR_STATE_STARTING'
  | 'ACTOR_STATE_RUN'
  | 'ACTOR_STATE_STOPPING'
  | 'ACTOR_STATE_CLOSE'
  | 'ACTOR_STATE_TERMINATE';

export interface ActorRef {
  aid: string;
  name: string;
  /** host:port of the actor's MailboxService. */
  address: string;
  state: ActorState;
}

export interface ActorSummary {
  actor: ActorRef;
  /** "process", "thread", "monitor" or "arbiter". */
  kind: string;
  pid: number;
  monitor: string;
  uptimeSeconds: number;
  restarts: number;
  heartbeatAgeSeconds: number;
  memoryRssBytes: number;
  cpuPercent: number;
  exitCode: number;
  details: { [key: string]: JsonValue };
}

export interface SpawnParams {
  /** Unique among live actors; generated when empty. */
  name?: string;
  /** "process" (default) or "thread". */
  kind?: 'process' | 'thread' | string;
  /** Hooks as "module:function", from the modules the arbiter allows (-m). */
  start?: string;
  stopping?: string;
  periodicTask?: string;
  /** Seconds between two runs of periodicTask. */
  periodicInterval?: number;
  /** Seconds without heartbeat after which the actor is declared hung. */
  timeout?: number;
  /** Name of the supervising monitor. */
  monitor?: string;
  /** Initial content of the actor's `extra` dictionary. */
  extra?: { [key: string]: JsonInput };
}

export interface ListActorsFilter {
  namePrefix?: string;
  state?: ActorState;
  monitor?: string;
  /** Actors per page fetched (listActors follows every page). */
  pageSize?: number;
  includeExited?: boolean;
}

export interface CallOptions {
  /** Deadline of the call in seconds (> 0). send defaults to 5; the others to none. */
  timeoutSeconds?: number;
}

export interface ConnectOptions {
  /** How long connect() waits for the arbiter (default 10 s). */
  connectTimeoutSeconds?: number;
  /** Default: insecure (the arbiter binds loopback by default). */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

export declare class Client {
  constructor(address: string, options?: Omit<ConnectOptions, 'connectTimeoutSeconds'>);
  readonly address: string;
  waitForReady(timeoutSeconds?: number): Promise<this>;
  spawn(params?: SpawnParams, options?: CallOptions): Promise<ActorRef>;
  send<T extends JsonValue = JsonValue>(
    target: string,
    action: string,
    args?: JsonInput[],
    kwargs?: { [key: string]: JsonInput },
    options?: CallOptions,
  ): Promise<T>;
  info(target?: string, options?: CallOptions): Promise<{ [key: string]: JsonValue }>;
  stop(target: string, options?: CallOptions): Promise<{ actor: ActorRef; exitCode: number }>;
  listActors(filter?: ListActorsFilter, options?: CallOptions): Promise<ActorSummary[]>;
  getActor(target: string, options?: CallOptions): Promise<ActorSummary>;
  close(): void;
}

/** Opens a client and waits until the arbiter at `address` (default 127.0.0.1:7070) is reachable. */
export declare function connect(address?: string, options?: ConnectOptions): Promise<Client>;

export declare const DEFAULT_SEND_TIMEOUT_SECONDS: number;

/** Every failed call rejects with an ActorError. */
export declare class ActorError extends Error {
  constructor(code: number, message: string, options?: { cause?: unknown; metadata?: Metadata });
  /** The gRPC status code, e.g. 5. */
  readonly code: status;
  /** Its name, e.g. 'NOT_FOUND'. */
  readonly codeName: keyof typeof status | string;
  readonly metadata?: Metadata;
}
/** NOT_FOUND: no live actor with that aid or name. */
export declare class ActorNotFound extends ActorError {}
/** UNIMPLEMENTED: the actor has no such command. */
export declare class CommandNotFound extends ActorError {}
/** UNKNOWN: the command raised; message "ExceptionType: text". */
export declare class CommandError extends ActorError {}
/** Maps a grpc-js error (or anything thrown) to an ActorError. */
export declare function toActorError(err: unknown): ActorError;

/** google.protobuf.Value / Struct / ListValue objects as @grpc/proto-loader shapes them. */
export type ProtoValue = { [kind: string]: unknown };
export declare function toValue(value: JsonInput): ProtoValue;
export declare function toListValue(array: JsonInput[]): { values: ProtoValue[] };
export declare function toStruct(object: { [key: string]: JsonInput }): { fields: { [key: string]: ProtoValue } };
export declare function fromValue(value: ProtoValue | null | undefined): JsonValue;
export declare function fromListValue(list: { values?: ProtoValue[] } | null | undefined): JsonValue[];
export declare function fromStruct(struct: { fields?: { [key: string]: ProtoValue } } | null | undefined): { [key: string]: JsonValue };

/** The grpc-js package object of actorgrpc.v1, for raw stubs (MailboxService, ...). */
export declare function loadV1(): any;
