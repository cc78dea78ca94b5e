'use strict';
/** actorgrpc/actor: write an actor in Node.js, run by an arbiter as an EXEC actor. */
const { Actor, EXIT_START_FAILED, EXIT_MONITOR_LOST } = require('./actor');
const { readBoot, parseBoot, BOOT_FD_VARIABLE } = require('./boot');

module.exports = { Actor, readBoot, parseBoot, BOOT_FD_VARIABLE, EXIT_START_FAILED, EXIT_MONITOR_LOST };
