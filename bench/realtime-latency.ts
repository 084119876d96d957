// Realtime commit-to-callback latency of the local stand-in, measured with the real supabase-js.
//   node --import tsx bench/realtime-latency.ts
// The stand-in runs in this process (its memory is what is reported); the subscribers run in a
// forked child, so their 1,000 clients do not count against it. Commit time is taken on the
// committing side right after COMMIT returns; callback time in the child when supabase-js calls
// back. Both are epoch milliseconds from performance.timeOrigin + performance.now() (same clock).
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { startLocalSupabase } from '../supabase/local/server.js';
import { Fixtures, type Agent } from '../test/support/fixtures.js';
import type { Target } from '../test/support/target.js';

const now = () => performance.timeOrigin + performance.now();

interface Subscriber {
  userId: string;
  token: string;
  filtered: boolean;
}

type ToChild =
  | { kind: 'subscribe'; url: string; anonKey: string; subscribers: Subscriber[] }
  | { kind: 'unsubscribe' };
type FromChild =
  | { kind: 'subscribed'; count: number; ms: number }
  | { kind: 'change'; title: string; userId: string; conversationId: string | null; at: number }
  | { kind: 'unsubscribed' };

// ---------------------------------------------------------------- child: the subscribers
async function runSubscribers(): Promise<void> {
  let clients: SupabaseClient[] = [];
  const send = (message: FromChild) => process.send!(message);
  const answer = async (message: ToChild): Promise<void> => {
    if (message.kind === 'unsubscribe') {
      await Promise.all(clients.map((client) => client.removeAllChannels()));
      clients = [];
      send({ kind: 'unsubscribed' });
      return;
    }
    const started = now();
    let live = 0;
    await Promise.all(
      message.subscribers.map(async (subscriber) => {
        const client = createClient(message.url, message.anonKey, {
          accessToken: async () => subscriber.token,
          realtime: { transport: WebSocket as never },
        });
        clients.push(client);
        await client.realtime.setAuth();
        await new Promise<void>((resolve) => {
          client
            .channel(`bench-${subscriber.userId}`)
            .on(
              'postgres_changes',
              {
                event: 'INSERT',
                schema: 'public',
                table: 'notifications',
                ...(subscriber.filtered ? { filter: `user_id=eq.${subscriber.userId}` } : {}),
              },
              (payload) => {
                const at = now();
                send({
                  kind: 'change',
                  title: payload.new.title as string,
                  userId: payload.new.user_id as string,
                  conversationId: (payload.new.conversation_id as string | null) ?? null,
                  at,
                });
              },
            )
            .on('system', {}, (payload: { message: string }) => {
              if (payload.message === 'Subscribed to PostgreSQL') resolve();
            })
            .subscribe();
        });
        live++;
      }),
    );
    send({ kind: 'subscribed', count: live, ms: Math.round(now() - started) });
  };
  // A failure ends the child with its error printed and exit code 1, as an unhandled rejection would.
  process.on('message', (message: ToChild) => {
    answer(message).catch((error: unknown) => {
      console.error('bench subscribers:', error);
      process.exit(1);
    });
  });
}

// ---------------------------------------------------------------- parent: stand-in and commits
export interface Result {
  scenario: string;
  sent: number;
  delivered: number;
  wrongOwner: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  rssMb: number;
  heapMb: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

const megabytes = (bytes: number) => Math.round(bytes / 1024 / 1024);

export class SubscriberProcess {
  private readonly child: ChildProcess;
  private listeners: ((message: FromChild) => void)[] = [];

  constructor() {
    this.child = fork(fileURLToPath(import.meta.url), ['--subscribers'], { execArgv: ['--import', 'tsx'] });
    this.child.on('message', (message: FromChild) => this.listeners.forEach((listener) => listener(message)));
  }

  on(listener: (message: FromChild) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  request<K extends FromChild['kind']>(message: ToChild, reply: K): Promise<Extract<FromChild, { kind: K }>> {
    return new Promise((resolve) => {
      const off = this.on((answer) => {
        if (answer.kind === reply) {
          off();
          resolve(answer as Extract<FromChild, { kind: K }>);
        }
      });
      this.child.send(message);
    });
  }

  kill(): void {
    this.child.kill();
  }
}

export async function scenario(
  name: string,
  options: {
    fixtures: Fixtures;
    target: Target;
    subscribers: SubscriberProcess;
    agents: Agent[];
    accountId: string;
    filtered: boolean;
    changes: number;
    /** 0: closed loop (each change waits for its delivery); otherwise changes per second. */
    rate: number;
    /**
     * Unassigned conversations of the agents' account, one per change: change i assigns the i-th
     * to its agent and the trigger writes the notification. Without them each change inserts it.
     */
    assignments?: string[];
  },
): Promise<Result> {
  const { fixtures, target, subscribers, agents, accountId, changes, rate } = options;
  const joined = await subscribers.request(
    {
      kind: 'subscribe',
      url: target.url,
      anonKey: target.anonKey,
      subscribers: agents.map((agent) => ({ userId: agent.id, token: fixtures.token(agent), filtered: options.filtered })),
    },
    'subscribed',
  );
  console.error(`  ${name}: ${joined.count} subscribers live in ${joined.ms} ms`);

  const committedAt = new Map<string, { at: number; userId: string }>();
  const deliveredAt = new Map<string, number>();
  let wrongOwner = 0;
  let waiting: { title: string; resolve: () => void } | undefined;
  const off = subscribers.on((message) => {
    if (message.kind !== 'change') return;
    const key = options.assignments ? message.conversationId : message.title;
    if (key === null) return;
    const commit = committedAt.get(key);
    if (!commit) return;
    if (commit.userId !== message.userId) wrongOwner++;
    if (!deliveredAt.has(key)) deliveredAt.set(key, message.at);
    if (waiting?.title === key) waiting.resolve();
  });

  const connection = await fixtures.db.connect();
  const startedAt = now();
  for (let i = 0; i < changes; i++) {
    const agent = agents[i % agents.length]!;
    const conversationId = options.assignments?.[i];
    // What the delivery is recognised by: the conversation, or the title of the inserted row.
    const key = conversationId ?? `${name} #${i}`;
    const delivered = new Promise<void>((resolve) => (waiting = { title: key, resolve }));
    if (conversationId) {
      await connection.query('update public.conversations set assigned_agent_id = $1 where id = $2', [agent.id, conversationId]);
    } else {
      await connection.query('insert into public.notifications (account_id, user_id, title) values ($1, $2, $3)', [
        accountId,
        agent.id,
        key,
      ]);
    }
    committedAt.set(key, { at: now(), userId: agent.id });
    if (rate === 0) {
      await Promise.race([delivered, new Promise((resolve) => setTimeout(resolve, 5000))]);
    } else {
      const due = startedAt + ((i + 1) * 1000) / rate;
      const wait = due - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  connection.release();
  const deadline = now() + 60_000;
  while (deliveredAt.size < changes && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  off();
  const memory = process.memoryUsage();

  const latencies = [...deliveredAt].map(([title, at]) => at - committedAt.get(title)!.at).sort((a, b) => a - b);
  await subscribers.request({ kind: 'unsubscribe' }, 'unsubscribed');
  return {
    scenario: name,
    sent: changes,
    delivered: deliveredAt.size,
    wrongOwner,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    rssMb: megabytes(memory.rss),
    heapMb: megabytes(memory.heapUsed),
  };
}

async function main(): Promise<void> {
  console.error('starting the stand-in (fresh database)...');
  const local = await startLocalSupabase({ fresh: true, apiPort: 0, seed: false });
  const target: Target = { ...local, local, stop: () => local.stop() };
  const fixtures = new Fixtures(target);
  const subscribers = new SubscriberProcess();
  try {
    const accountId = await fixtures.account('Bench account');
    console.error('creating 1,000 agents...');
    const agents: Agent[] = [];
    for (let i = 0; i < 1000; i++) agents.push(await fixtures.agent(accountId, `Agent ${i}`));
    const idle = process.memoryUsage();

    const common = { fixtures, target, subscribers, accountId };
    const results = [
      await scenario('1 subscriber, 500 changes, one at a time', { ...common, agents: agents.slice(0, 1), filtered: true, changes: 500, rate: 0 }),
      await scenario('1,000 subscribers (filter user_id=eq), 1 change each at 200/s', { ...common, agents, filtered: true, changes: 1000, rate: 200 }),
      await scenario('1,000 subscribers (no filter, RLS decides), 200 changes at 20/s', { ...common, agents, filtered: false, changes: 200, rate: 20 }),
    ];

    const table = results.map((r) => ({
      scenario: r.scenario,
      delivered: `${r.delivered}/${r.sent}${r.wrongOwner ? ` (${r.wrongOwner} to the wrong user!)` : ''}`,
      'p50 ms': r.p50.toFixed(1),
      'p95 ms': r.p95.toFixed(1),
      'p99 ms': r.p99.toFixed(1),
      'max ms': r.max.toFixed(1),
      'stand-in RSS MB': r.rssMb,
      'stand-in heap MB': r.heapMb,
    }));
    console.log(`\nRealtime commit-to-callback latency (stand-in idle with 1,000 agents: RSS ${megabytes(idle.rss)} MB, heap ${megabytes(idle.heapUsed)} MB)`);
    console.table(table);
  } finally {
    subscribers.kill();
    await fixtures.end();
    await local.stop();
  }
}

if (process.argv.includes('--subscribers')) await runSubscribers();
else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
