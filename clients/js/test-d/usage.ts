// Compiled (never run) by `npm run typecheck`: the public surface as a
// TypeScript user sees it. A wrong declaration in src/index.d.ts fails here.
import {
  connect, ActorError, CommandError, SpawnError, status,
  type ActorRef, type ActorSummary, type ActorState, type JsonValue, type ActorEvent,
} from '..';

async function usage(): Promise<void> {
  const client = await connect('127.0.0.1:7070', { connectTimeoutSeconds: 5, token: 'admin-token-0123456789', tls: { ca: 'ca.pem', cert: Buffer.from(''), key: 'k.pem', serverName: 'localhost' } });
  const plain = await connect('127.0.0.1:7070', { tls: true });
  plain.close();
  const ref: ActorRef = await client.spawn({ name: 'w1', kind: 'thread', restart: 'permanent', extra: { n: 1, when: new Date() } });
  const state: ActorState = ref.state;
  const sum = await client.send<number>(ref.name, 'add', [2, 3], {}, { timeoutSeconds: 1 });
  const n: number = sum;
  const byRef = await client.send(ref, 'echo', [10n]);
  await client.tell('w1', 'count', [1]);
  const anything: JsonValue = await client.sendViaArbiter('w1', 'echo', [{ a: [1, null, undefined] }]);
  const info = await client.info();
  const listed: ActorSummary[] = await client.listActors({ namePrefix: 'w', state: 'running' });
  const page = await client.listActorsPage({ pageSize: 10, pageToken: '' });
  const summary = await client.getActor('w1', { waitSeconds: 2 });
  const exited: Date | null = summary.crashReport ? summary.crashReport.exitedAt : null;
  for await (const event of client.watchActors({ namePrefix: 'w' })) {
    const e: ActorEvent = event;
    if (e.type === 'restarted') break;
  }
  for await (const line of client.logs('w1', { tailLines: 10 })) console.log(line.toUpperCase());
  const { exitCode } = await client.stop('w1');
  try {
    await client.send('w1', 'boom');
  } catch (err) {
    if (err instanceof SpawnError) console.log(err.errorClass);
    if (err instanceof CommandError) console.log(err.message, err.remoteType);
    if (err instanceof ActorError && err.code === status.NOT_FOUND) console.log(err.codeName);
  }
  client.close();
  void [state, n, byRef, anything, info, listed, page.nextPageToken, exited, exitCode];
}

// @ts-expect-error spawn fields are camelCase
void connect().then((c) => c.spawn({ periodic_task: 'm:f' }));
// @ts-expect-error kinds by short name only
void connect().then((c) => c.spawn({ kind: 'ACTOR_KIND_THREAD' }));
// @ts-expect-error functions are not JSON values
void connect().then((c) => c.send('w1', 'echo', [() => 1]));
// @ts-expect-error tls fields are ca, cert, key, serverName
void connect('x', { tls: { caFile: 'ca.pem' } });
// @ts-expect-error listActors takes known states only
void connect().then((c) => c.listActors({ state: 'RUNNING' }));

// The actor SDK, through the package's own name (its "exports" map).
import { Actor as SdkActor, EXIT_MONITOR_LOST, parseBoot } from 'actorgrpc/actor';

async function actorUsage(): Promise<number> {
  const actor = new SdkActor()
    .command('add', (self, a: number, b: number) => a + b, { params: ['a', 'b'] })
    .command('count', (self, n = 1) => {
      self.extra.count = Number(self.extra.count ?? 0) + n;
    }, { ack: false, params: ['n'] })
    .onStart(async (self) => {
      await self.client().send('arbiter', 'ping');
    });
  const boot = parseBoot('{}');
  const code: number = await actor.run({ exit: false });
  void [boot.monitorAddress, EXIT_MONITOR_LOST, actor.stopSignal.aborted, actor.state === 'running'];
  return code;
}

// @ts-expect-error command options are params, rest, ack
new SdkActor().command('x', () => 1, { kwargs: true });

void usage;
void actorUsage;
