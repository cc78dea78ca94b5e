// Compiled (never run) by `npm run typecheck`: the public surface as a
// TypeScript user sees it. A wrong declaration in src/index.d.ts fails here.
import { connect, ActorError, CommandError, status, type ActorRef, type ActorSummary, type JsonValue } from '..';

async function usage(): Promise<void> {
  const client = await connect('127.0.0.1:7070', { connectTimeoutSeconds: 5 });
  const ref: ActorRef = await client.spawn({ name: 'w1', kind: 'thread', extra: { n: 1, when: new Date() } });
  const sum = await client.send<number>(ref.name, 'add', [2, 3], {}, { timeoutSeconds: 1 });
  const n: number = sum;
  const anything: JsonValue = await client.send('w1', 'echo', [{ a: [1, null, undefined] }]);
  const info = await client.info();
  const listed: ActorSummary[] = await client.listActors({ namePrefix: 'w', state: 'ACTOR_STATE_RUN' });
  const { exitCode } = await client.stop('w1');
  try {
    await client.send('w1', 'boom');
  } catch (err) {
    if (err instanceof CommandError) console.log(err.message);
    if (err instanceof ActorError && err.code === status.NOT_FOUND) console.log(err.codeName);
  }
  client.close();
  void [n, anything, info, listed, exitCode];
}

// @ts-expect-error spawn fields are camelCase
void connect().then((c) => c.spawn({ periodic_task: 'm:f' }));
// @ts-expect-error functions are not JSON values
void connect().then((c) => c.send('w1', 'echo', [() => 1]));
// @ts-expect-error listActors takes known states only
void connect().then((c) => c.listActors({ state: 'RUNNING' }));

void usage;
