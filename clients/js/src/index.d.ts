// Hand-written types of the public surface of src/index.js; `npm run typecheck`
// compiles test-d/usage.ts against them.
import type { ChannelCredentials, ChannelOptions, Metadata, status } from '@grpc/grpc-js';
export { status } from '@grpc/grpc-js';

/** A JSON-shaped value: what crosses the wire as JSON text or google.protobuf.Value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** What `send` accepts (undefined members are dropped, toJSON is honoured, BigInts within ±(2^53 - 1) are numbers). */
export type JsonInput = JsonValue | undefined | bigint | { toJSON(): unknown } | JsonInput[] | { [key: string]: JsonInput };

/** pulsar's ACTOR_STATES by the short names of the ActorState enum ("unspecified" = not set). */
export type ActorState = 'unspecified' | 'initial' | 'inactive' | 'starting' | 'running' | 'stopping' | 'closed' | 'terminated';
/** What hosts an actor (ActorKind). */
export type ActorKind = 'unspecified' | 'process' | 'thread' | 'monitor' | 'arbiter' | 'exec';
/** Which exits a supervisor restarts (RestartType; "unspecified" = the supervisor's default). */
export type RestartType = 'unspecified' | 'temporary' | 'transient' | 'permanent';
/** Kinds of life-cycle events (ActorEventType). */
export type ActorEventType =
  | 'unspecified' | 'existing' | 'spawned' | 'running' | 'stopping' | 'exited' | 'restarted' | 'hung' | 'failed' | 'gave_up';

export interface ActorRef {
  aid: string;
  name: string;
  /** host:port of the actor's MailboxService. */
  address: string;
  state: ActorState;
}

/** How an actor's last incarnation ended. */
export interface CrashReport {
  /** Exit code, or minus the signal number. */
  exitCode: number;
  /** "exit code 1", "killed by SIGKILL", ... */
  exitDescription: string;
  exitedAt: Date | null;
  /** True when an operator or the arbiter asked it to stop: not a crash. */
  stopRequested: boolean;
  failure: string;
  outputTail: string[];
}

/** What the arbiter knows about one actor (ListActors, GetActor). */
export interface ActorSummary {
  actor: ActorRef;
  kind: ActorKind;
  pid: number;
  monitor: string;
  createdAt: Date | null;
  uptimeSeconds: number;
  restarts: number;
  restart: RestartType;
  backoffSeconds: number;
  heartbeatAgeSeconds: number;
  memoryRssBytes: number;
  cpuPercent: number;
  mailboxDepth: number;
  processed: number;
  gaveUp: string;
  /** null while it has not exited. */
  crashReport: CrashReport | null;
  /** For an EXEC actor: the program's registered name. */
  program: string;
}

/** One life-cycle event of WatchActors. */
export interface ActorEvent {
  type: ActorEventType;
  actor: ActorSummary;
  time: Date | null;
  detail: string;
}

export interface SpawnParams {
  /** Unique among live actors; generated when empty. */
  name?: string;
  /** "process" (default), "thread" or "exec". */
  kind?: 'process' | 'thread' | 'exec';
  /** Hooks as "module:function", from the modules the arbiter allows (-m). */
  start?: string;
  stopping?: string;
  periodicTask?: string;
  /** Seconds between two runs of periodicTask. */
  periodicIntervalSeconds?: number;
  /** Seconds without heartbeat after which the actor is declared hung. */
  timeoutSeconds?: number;
  /** Name of the supervising monitor. */
  monitor?: string;
  /** Default: the supervisor's. */
  restart?: 'temporary' | 'transient' | 'permanent';
  /** For kind "exec": the name of a program the operator registered. */
  program?: string;
  /** Initial content of the actor's `extra` dictionary. */
  extra?: { [key: string]: JsonInput };
}

export interface ListActorsFilter {
  namePrefix?: string;
  state?: Exclude<ActorState, 'unspecified'>;
  monitor?: string;
  /** Actors per page (listActors follows every page). */
  pageSize?: number;
  /** nextPageToken of the previous page (opaque). */
  pageToken?: string;
  includeExited?: boolean;
}

export interface CallOptions {
  /** Deadline of the call in seconds (> 0). send defaults to 5. */
  timeoutSeconds?: number;
}

export interface GetActorOptions extends CallOptions {
  /** Seconds to wait for an actor that is starting or being restarted. */
  waitSeconds?: number;
}

/** TLS settings: PEM as a file path (string) or the bytes (Buffer). */
export interface TlsOptions {
  /** Roots to verify the servers with (default: the system's). */
  ca?: string | Buffer;
  /** Client certificate chain and key, for mutual TLS (both or neither). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Name to verify in the servers' certificates instead of the address's host. */
  serverName?: string;
}

export interface ConnectOptions {
  /** How long connect() waits for the arbiter (default 10 s). */
  connectTimeoutSeconds?: number;
  /** Bearer token of every call, to the arbiter and to every mailbox (default $ACTORGRPC_TOKEN; '' for none). */
  token?: string;
  /** TLS for the arbiter and every mailbox: true (system roots) or TlsOptions; default plaintext. */
  tls?: boolean | TlsOptions;
  /** Raw grpc-js credentials instead of `tls` (not both). */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
  /** Largest gRPC message sent or accepted (default 4 MiB, the server's default). */
  maxMessageBytes?: number;
  /** Calls that may wait for replies on one actor's stream (default 100,000); more fail with RESOURCE_EXHAUSTED. */
  maxPendingCalls?: number;
}

/** An async iterable of a server stream; cancel() (or leaving for-await) ends it. */
export interface Watch<T> extends AsyncIterable<T> {
  cancel(): void;
}

/** A target: an aid, a name, 'arbiter', or an ActorRef (that incarnation only, at its address). */
export type Target = string | (Pick<ActorRef, 'aid' | 'address'> & Partial<ActorRef>);

export declare class Client {
  constructor(address: string, options?: Omit<ConnectOptions, 'connectTimeoutSeconds'>);
  readonly address: string;
  waitForReady(timeoutSeconds?: number): Promise<this>;
  spawn(params?: SpawnParams, options?: CallOptions): Promise<ActorRef>;
  send<T extends JsonValue = JsonValue>(
    target: Target,
    action: string,
    args?: JsonInput[],
    kwargs?: { [key: string]: JsonInput },
    options?: CallOptions,
  ): Promise<T>;
  /** Fire and forget: resolves once queued (later when frames wait for the network). */
  tell(target: Target, action: string, args?: JsonInput[], kwargs?: { [key: string]: JsonInput }): Promise<void>;
  sendViaArbiter<T extends JsonValue = JsonValue>(
    target: Target,
    action: string,
    args?: JsonInput[],
    kwargs?: { [key: string]: JsonInput },
    options?: CallOptions,
  ): Promise<T>;
  info(target?: Target, options?: CallOptions): Promise<{ [key: string]: JsonValue }>;
  stop(target: Target, options?: CallOptions): Promise<{ actor: ActorRef; exitCode: number }>;
  listActors(filter?: ListActorsFilter, options?: CallOptions): Promise<ActorSummary[]>;
  listActorsPage(filter?: ListActorsFilter, options?: CallOptions): Promise<{ actors: ActorSummary[]; nextPageToken: string }>;
  getActor(target: Target, options?: GetActorOptions): Promise<ActorSummary>;
  watchActors(filter?: { namePrefix?: string; includeExisting?: boolean }): Watch<ActorEvent>;
  logs(target: Target, options?: { tailLines?: number; follow?: boolean }): Watch<string>;
  close(): void;
}

/** Opens a client and waits until the arbiter at `address` (default 127.0.0.1:7070) is reachable. */
export declare function connect(address?: string, options?: ConnectOptions): Promise<Client>;

export declare const DEFAULT_SEND_TIMEOUT_SECONDS: number;

/** Every failed call rejects with an ActorError (see the tree in src/errors.js). */
export declare class ActorError extends Error {
  constructor(code: number, message: string, options?: { cause?: unknown; metadata?: Metadata; errorClass?: string; remoteType?: string });
  /** The gRPC status code, e.g. 5. */
  readonly code: status;
  /** Its name, e.g. 'NOT_FOUND'. */
  readonly codeName: keyof typeof status | string;
  /** The server's error class ("SpawnError", "ActorNotHosted", ...), else the class the code implies. */
  readonly errorClass: string;
  /** For a command that raised: the exception's type ("ValueError"); else "". */
  readonly remoteType: string;
  readonly metadata?: Metadata;
}
/** NOT_FOUND: no live actor with that aid or name. */
export declare class ActorNotFound extends ActorError {}
/** UNIMPLEMENTED: the actor has no such command. */
export declare class CommandNotFound extends ActorError {}
/** INVALID_ARGUMENT: malformed request, bad arguments, values that are not JSON-shaped. */
export declare class InvalidArgument extends ActorError {}
/** RESOURCE_EXHAUSTED: a message over the maximum size. */
export declare class MessageTooLarge extends InvalidArgument {}
/** ALREADY_EXISTS: a live actor already has the name. */
export declare class ActorAlreadyExists extends ActorError {}
/** UNKNOWN: the command raised; message "ExceptionType: text". */
export declare class CommandError extends ActorError {}
/** UNKNOWN: the actor could not start. */
export declare class SpawnError extends CommandError {}
/** UNAVAILABLE (also CANCELLED, INTERNAL): the actor died, a stream broke, the arbiter is stopping. */
export declare class ActorUnavailable extends ActorError {}
/** UNAVAILABLE: no connection could be made; the call was not sent. */
export declare class NotDelivered extends ActorUnavailable {}
/** DEADLINE_EXCEEDED. */
export declare class ActorTimeout extends ActorError {}
/** PERMISSION_DENIED: not allowed by the operator, or by the token's role. */
export declare class PermissionDenied extends ActorError {}
/** UNAUTHENTICATED: a missing or wrong token. */
export declare class Unauthenticated extends ActorError {}
/** RESOURCE_EXHAUSTED: a queue or limit is full. */
export declare class ResourceExhausted extends ActorError {}
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

// -- Actors in Node.js (also `require('actorgrpc/actor')`) ------------------------

/** How a command takes its arguments. */
export interface CommandOptions {
  /** Names of the positional parameters, in order: needed for keyword arguments. */
  params?: string[];
  /** Any number of positional arguments. */
  rest?: boolean;
  /** false: fire and forget (the caller gets null at once; the command runs after). */
  ack?: boolean;
}

/** A command: `fn(actor, ...args)`; returns (or resolves to) a JSON-shaped result. */
export type CommandFunction = (actor: Actor, ...args: any[]) => unknown;

/** ActorBoot as read from $ACTORGRPC_BOOT_FD (camelCase fields). */
export interface ActorBoot {
  aid: string;
  name: string;
  monitorAddress: string;
  secret: string;
  mailboxHost: string;
  credential: string;
  acceptedTokens: { sha256Hex: string; role: number }[];
  tls: { certFile: string; keyFile: string; caFile: string; clientCaFile: string; serverName: string } | null;
  extra: { [key: string]: JsonValue };
  maxMessageBytes: number;
  monitor: string;
}

/** An actor written in Node.js, run by an arbiter as an EXEC actor (see src/actor/actor.js). */
export declare class Actor {
  constructor();
  readonly aid: string;
  readonly name: string;
  /** Its monitor's name ("arbiter" when spawned directly). */
  readonly monitor: string;
  /** host:port of its MailboxService, once serving. */
  readonly address: string;
  /** Free for the program's data (from SpawnRequest.extra); shown by `info`. */
  extra: { [key: string]: JsonInput };
  readonly state: ActorState;
  readonly processed: number;
  readonly mailboxDepth: number;
  /** Aborted when the actor starts stopping. */
  readonly stopSignal: AbortSignal;
  /** Registers a command (the standard ping, echo, info, stop, commands are there already). */
  command(name: string, fn: CommandFunction, options?: CommandOptions): this;
  /** Runs before the actor reports RUNNING; if it throws, the spawn fails with that error. */
  onStart(fn: (actor: Actor) => unknown): this;
  /** Runs when the actor stops (bounded by the stop's timeout). */
  onStop(fn: (actor: Actor) => unknown): this;
  commandNames(): string[];
  info(): { [key: string]: JsonValue };
  /** A client of the arbiter with this actor's credential and TLS: spawn, send to other actors. */
  client(): Client;
  /** Stops after the current message is answered. */
  stopSoon(reason?: string): void;
  stop(order?: { reason?: string; timeoutSeconds?: number }): Promise<void>;
  /** Serves until stopped, then exits the process with its code (or resolves to it with {exit: false}). */
  run(options?: { exit?: boolean }): Promise<number>;
}
