// The client side of bench/transport.ts, in a process of its own (forked): thousands of realtime
// subscribers and the connection that commits the assignments. Kept out of the stand-in's process
// so that they count neither against its memory nor its event loop, and together so that one clock
// times both ends: the commit (right after the UPDATE's reply, i.e. after COMMIT) and the arrival
// (when supabase-js calls back), with no clock comparison between processes.
//
// Each subscriber is one supabase-js client (one WebSocket) of one user, joined as the widget joins:
//   - postgres_changes: every event of public.notifications filtered to `user_id=eq.<uid>`, live
//     once Realtime says "Subscribed to PostgreSQL" (or, for comparison only, without the filter:
//     then Realtime's RLS check alone decides who receives a change);
//   - broadcast: the private topic `user:<uid>:notifications` (the broadcast migration's trigger
//     sends to it), live once the join is authorised (SUBSCRIBED).
// Each assignment notifies one user about one conversation, so arrivals are matched by conversation.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, REALTIME_SUBSCRIBE_STATES, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import WebSocket from 'ws';
import { now, sleep } from './report.js';

export type BenchTransport = 'postgres_changes' | 'broadcast';

export interface SubscriberSpec {
  userId: string;
  token: string;
}

/** Assign `conversationId` to `userId`: the trigger notifies that user. */
export interface Assignment {
  conversationId: string;
  userId: string;
}

export interface RunResult {
  /** Per assignment committed, in order: commit → arrival in ms, or null if it never arrived. */
  latencies: (number | null)[];
  /**
   * Fewer than asked for when the arrivals fell more than `maxOutstanding` behind the commits: the
   * stand-in could not keep up, and committing on would only grow its backlog (and its memory).
   */
  committed: number;
  /** Arrivals at a subscriber of another user than the one notified (should be 0). */
  wrongOwner: number;
  /** Assignments committed per second (under the rate asked for: the database could not keep up). */
  achievedRate: number;
  /** Arrivals per second, from the first commit to the last arrival: what Realtime got through. */
  deliveredRate: number;
}

type ToClients =
  | {
      kind: 'subscribe';
      url: string;
      anonKey: string;
      transport: BenchTransport;
      /** postgres_changes only: false leaves out the widget's `user_id=eq` filter (RLS alone decides). */
      filtered: boolean;
      subscribers: SubscriberSpec[];
      concurrency: number;
    }
  | { kind: 'unsubscribe' }
  | { kind: 'memory' }
  | {
      kind: 'run';
      databaseUrl: string;
      assignments: Assignment[];
      /** Per second; 0: one at a time, each waiting for its arrival (5 s at most). */
      rate: number;
      /** No subscriber for these: commit them 20 ms apart, wait for nothing. */
      expectNoArrival: boolean;
      /** How long arrivals may trail the last commit. */
      drainMs: number;
      /** At a rate: stop committing when this many commits have not arrived yet. */
      maxOutstanding: number;
    };

type FromClients =
  | { kind: 'subscribed'; live: number; failed: number; total: number; ms: number; firstError: string | null }
  | { kind: 'unsubscribed' }
  | { kind: 'memory'; rssBytes: number; maxRssBytes: number }
  | { kind: 'ran'; result: RunResult }
  | { kind: 'failed'; error: string };

/** How long one join may take before it counts as failed (realtime-js keeps retrying meanwhile). */
const JOIN_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------- child: subscribers and commits

function runClients(): void {
  const clients: SupabaseClient[] = [];
  const send = (message: FromClients) => void (process.connected && process.send!(message));
  // The run in progress: which user each conversation notifies, and when it arrived.
  let expected = new Map<string, string>();
  const arrivals = new Map<string, number>();
  let wrongOwner = 0;
  let waiting: { conversationId: string; resolve: () => void } | undefined;
  const arrived = (record: unknown) => {
    const at = now();
    const row = (record ?? {}) as { user_id?: unknown; conversation_id?: unknown };
    if (typeof row.conversation_id !== 'string') return;
    const userId = expected.get(row.conversation_id);
    if (!userId) return;
    if (row.user_id !== userId) wrongOwner++;
    if (!arrivals.has(row.conversation_id)) arrivals.set(row.conversation_id, at);
    if (waiting?.conversationId === row.conversation_id) waiting.resolve();
  };

  async function join(url: string, anonKey: string, transport: BenchTransport, filtered: boolean, subscriber: SubscriberSpec): Promise<void> {
    const client = createClient(url, anonKey, {
      accessToken: async () => subscriber.token,
      realtime: { transport: WebSocket as never },
    });
    clients.push(client);
    await client.realtime.setAuth();
    let lastError = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no join within ${JOIN_TIMEOUT_MS} ms${lastError ? ` (last error: ${lastError})` : ''}`)),
        JOIN_TIMEOUT_MS,
      );
      const joined = () => {
        clearTimeout(timer);
        resolve();
      };
      const onStatus = (status: string, error?: Error) => {
        if (error) lastError = `${status}: ${error.message}`;
      };
      if (transport === 'postgres_changes') {
        client
          .channel(`bench-${subscriber.userId}`)
          .on(
            'postgres_changes',
            {
              event: '*',
              schema: 'public',
              table: 'notifications',
              ...(filtered ? { filter: `user_id=eq.${subscriber.userId}` } : {}),
            },
            (payload) => {
              if (payload.eventType === 'INSERT') arrived(payload.new);
            },
          )
          .on('system', {}, (payload: { extension?: unknown; status?: unknown } | null) => {
            if (payload?.extension === 'postgres_changes' && payload.status === 'ok') joined();
          })
          .subscribe(onStatus);
      } else {
        // As the widget joins it (src/data/channels.ts).
        const config = { private: true, broadcast: { replication_ready: true } } as { private: boolean };
        client
          .channel(`user:${subscriber.userId}:notifications`, { config })
          .on('broadcast', { event: '*' }, (message: { payload?: { operation?: unknown; record?: unknown } }) => {
            if (message.payload?.operation === 'INSERT') arrived(message.payload.record);
          })
          .subscribe((status, error) => {
            if (status === REALTIME_SUBSCRIBE_STATES.SUBSCRIBED) joined();
            else onStatus(status, error);
          });
      }
    });
  }

  async function subscribe(message: Extract<ToClients, { kind: 'subscribe' }>): Promise<FromClients> {
    const started = now();
    let live = 0;
    let failed = 0;
    let firstError: string | null = null;
    // A few joins at a time: thousands at once would queue behind Realtime's authorisation pool
    // (8 connections, 10 s wait) and time out, which measures the queue rather than the delivery.
    const queue = [...message.subscribers];
    await Promise.all(
      Array.from({ length: Math.min(message.concurrency, queue.length) }, async () => {
        for (let subscriber = queue.shift(); subscriber; subscriber = queue.shift()) {
          try {
            await join(message.url, message.anonKey, message.transport, message.filtered, subscriber);
            live++;
          } catch (error) {
            failed++;
            firstError ??= error instanceof Error ? error.message : String(error);
          }
        }
      }),
    );
    return { kind: 'subscribed', live, failed, total: clients.length, ms: Math.round(now() - started), firstError };
  }

  let database: pg.Client | undefined;
  async function run(message: Extract<ToClients, { kind: 'run' }>): Promise<FromClients> {
    if (!database) {
      database = new pg.Client({ connectionString: message.databaseUrl });
      await database.connect();
    }
    const db = database;
    expected = new Map(message.assignments.map((assignment) => [assignment.conversationId, assignment.userId]));
    arrivals.clear();
    wrongOwner = 0;
    const committedAt = new Map<string, number>();
    const started = now();
    let committed = 0;
    for (const [index, { conversationId, userId }] of message.assignments.entries()) {
      if (message.rate > 0 && committed - arrivals.size > message.maxOutstanding) break;
      const arrival =
        message.rate === 0 && !message.expectNoArrival
          ? new Promise<void>((resolve) => (waiting = { conversationId, resolve }))
          : undefined;
      await db.query('update public.conversations set assigned_agent_id = $1 where id = $2', [userId, conversationId]);
      committedAt.set(conversationId, now());
      committed++;
      if (message.expectNoArrival) await sleep(20);
      else if (arrival) await Promise.race([arrival, sleep(5000)]);
      else {
        const wait = started + ((index + 1) * 1000) / message.rate - now();
        if (wait > 0) await sleep(wait);
      }
    }
    const achievedRate = committed / ((now() - started) / 1000);
    const deadline = now() + message.drainMs;
    while (!message.expectNoArrival && arrivals.size < committed && now() < deadline) await sleep(50);
    waiting = undefined;
    const latencies = message.assignments.slice(0, committed).map(({ conversationId }) => {
      const at = arrivals.get(conversationId);
      return at === undefined ? null : at - committedAt.get(conversationId)!;
    });
    const deliveredRate = arrivals.size ? arrivals.size / ((Math.max(...arrivals.values()) - started) / 1000) : 0;
    return { kind: 'ran', result: { latencies, committed, wrongOwner, achievedRate, deliveredRate } };
  }

  process.on('message', (message: ToClients) => {
    const answer = async (): Promise<FromClients> => {
      switch (message.kind) {
        case 'memory':
          return { kind: 'memory', rssBytes: process.memoryUsage().rss, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
        case 'unsubscribe':
          await Promise.all(clients.splice(0).map((client) => client.removeAllChannels().catch(() => undefined)));
          return { kind: 'unsubscribed' };
        case 'subscribe':
          return subscribe(message);
        case 'run':
          return run(message);
      }
    };
    answer().then(send, (error: unknown) =>
      send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on('disconnect', () => {
    void database?.end().catch(() => undefined);
    process.exit(0);
  });
}

// ---------------------------------------------------------------- parent: the handle

export class BenchClients {
  private readonly child: ChildProcess;
  private pending: { reply: FromClients['kind']; resolve: (message: FromClients) => void; reject: (error: Error) => void } | undefined;

  constructor() {
    this.child = fork(fileURLToPath(import.meta.url), ['--bench-clients'], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
    });
    this.child.on('message', (message: FromClients) => {
      const pending = this.pending;
      if (!pending) return;
      this.pending = undefined;
      if (message.kind === 'failed') pending.reject(new Error(`bench clients: ${message.error}`));
      else if (message.kind !== pending.reply) pending.reject(new Error(`bench clients: ${message.kind} instead of ${pending.reply}`));
      else pending.resolve(message);
    });
    this.child.on('exit', (code, signal) => this.pending?.reject(new Error(`the bench clients' process exited (${signal ?? code})`)));
  }

  /** One request at a time. */
  private request<K extends FromClients['kind']>(message: ToClients, reply: K): Promise<Extract<FromClients, { kind: K }>> {
    if (this.pending) return Promise.reject(new Error('bench clients: a request is already running'));
    return new Promise((resolve, reject) => {
      this.pending = { reply, resolve: resolve as (message: FromClients) => void, reject };
      this.child.send(message);
    });
  }

  /** Joins these subscribers (in addition to those already joined), `concurrency` at a time. */
  subscribe(
    url: string,
    anonKey: string,
    transport: BenchTransport,
    subscribers: SubscriberSpec[],
    options: { filtered?: boolean; concurrency?: number } = {},
  ) {
    const { filtered = true, concurrency = 50 } = options;
    return this.request({ kind: 'subscribe', url, anonKey, transport, filtered, subscribers, concurrency }, 'subscribed');
  }

  unsubscribe() {
    return this.request({ kind: 'unsubscribe' }, 'unsubscribed');
  }

  memory() {
    return this.request({ kind: 'memory' }, 'memory');
  }

  /** Commits the assignments (`rate` per second, or 0: each waits for its arrival) and times the arrivals. */
  async run(
    databaseUrl: string,
    assignments: Assignment[],
    options: { rate?: number; expectNoArrival?: boolean; drainMs?: number; maxOutstanding?: number } = {},
  ) {
    const { rate = 0, expectNoArrival = false, drainMs = 1000, maxOutstanding = Number.MAX_SAFE_INTEGER } = options;
    const { result } = await this.request({ kind: 'run', databaseUrl, assignments, rate, expectNoArrival, drainMs, maxOutstanding }, 'ran');
    return result;
  }

  kill(): void {
    this.child.kill();
  }
}

if (process.argv.includes('--bench-clients')) runClients();
