// Types of `require('actorgrpc/actor')` (src/actor/index.js): the actor SDK.
import type { ActorBoot } from './index';
export { Actor, ActorBoot, CommandFunction, CommandOptions } from './index';

/** Reads ActorBoot from the descriptor in $ACTORGRPC_BOOT_FD (then closes it). */
export declare function readBoot(env?: NodeJS.ProcessEnv): ActorBoot;
/** Parses ActorBoot JSON text (protobuf's JSON mapping; either field name form). */
export declare function parseBoot(text: string): ActorBoot;
export declare const BOOT_FD_VARIABLE: 'ACTORGRPC_BOOT_FD';
/** Exit code of an actor that could not start. */
export declare const EXIT_START_FAILED: 3;
/** Exit code of an actor whose monitor (arbiter) is gone. */
export declare const EXIT_MONITOR_LOST: 4;
