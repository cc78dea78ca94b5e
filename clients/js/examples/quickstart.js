#!/usr/bin/env node
'use strict';
// Drives an arbiter started with:  actorgrpc serve -m actorgrpc.examples.demo
// Usage: node examples/quickstart.js [HOST:PORT]   (default 127.0.0.1:7070)
const { connect, ActorError } = require('..');

async function main(address = process.argv[2] || process.env.ACTORGRPC_ADDRESS || '127.0.0.1:7070') {
  const client = await connect(address);
  try {
    const worker = await client.spawn({ name: 'js-example' });
    console.log('spawned', worker.name, worker.aid, 'at', worker.address);
    console.log('ping ->', await client.send('js-example', 'ping'));
    console.log('add(2, 3) ->', await client.send('js-example', 'add', [2, 3]));
    console.log('greet ->', await client.send('js-example', 'greet', [], { name: 'node' }));
    try {
      await client.send('js-example', 'boom', ['kaput']);
    } catch (err) {
      if (!(err instanceof ActorError)) throw err;
      console.log('boom ->', err.codeName, err.message); // UNKNOWN ValueError: kaput
    }
    const info = await client.info('js-example');
    console.log('pid', info.actor.process_id, 'state', info.actor.state);
    const { actor, exitCode } = await client.stop('js-example');
    console.log('stopped', actor.name, actor.state, 'exit code', exitCode);
  } finally {
    client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
