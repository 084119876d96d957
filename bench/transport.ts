// The two transports side by side, on the stand-in (issue 10, section 5), one transport per run of
// this module's child process (a fresh stand-in each, so that their memory and load never mix):
//
//   1. Database statements per notification with nobody, then 10, 100 and 1,000 users connected
//      (one subscriber per user, joined as the widget joins; each notification goes to one of them
//      and is waited for). Counted by pg_stat_statements with `pg_stat_statements.track = all`:
//      every statement the database executed, top-level (a client's query: the assignment, the
//      stand-in Realtime's per-change checks) or nested (run inside a trigger or function: the
//      notification's INSERT, foreign-key checks, the checks' dynamic SQL), in the stand-in's
//      database only, from the first counted assignment to 0.5 s after the last delivery, divided
//      by the notifications. PL/pgSQL expressions evaluated without the executor (`x := y + 1`)
//      are not statements to it. Beside the count, the execution time of the top-level statements
//      (nested time included once). pg_stat_statements must be preloaded, so this module starts its
//      own throw-away PostgreSQL, turns it on there (ALTER SYSTEM, restart) and runs the stand-in on
//      it; no other cluster changes. With nobody connected the figure is the assignment and its
//      triggers alone. On postgres_changes the broadcast trigger is disabled (a project on
//      postgres_changes alone does not install it); on broadcast nobody subscribes to changes. On
//      postgres_changes the same counts are also taken, first, with subscribers that leave out the
//      widget's `user_id=eq` filter, for comparison: then Realtime checks RLS per claim set.
//   2. Fan-out at 5,000 subscribers of distinct users: one assignment per user at a fixed rate,
//      commit → callback, share delivered, and the stand-in's peak memory (this process: the
//      stand-in and the fixtures' pool; the subscribers and the committing connection live in a
//      process of their own, bench/subscribers.ts, which times both ends on one clock). When more
//      than 500 commits have not arrived the stand-in is not keeping up: committing stops there
//      (its queue, and memory, would only grow) and the figures say so. pg_stat_statements stops
//      tracking first.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../supabase/local/postgres.js';
import { startLocalSupabase, type LocalSupabase } from '../supabase/local/server.js';
import { Fixtures, type Agent } from '../test/support/fixtures.js';
import { now, percentile, round, sleep } from './report.js';
import { BenchClients, type BenchTransport } from './subscribers.js';

export interface TransportOptions {
  transport: BenchTransport;
  /** Connected users at which statements are counted. Default 10, 100, 1,000. */
  sizes?: number[];
  /** Notifications counted at each size (after 3 uncounted). Default 20. */
  notifications?: number;
  /** Subscribers of the fan-out. Default 5,000. */
  fanoutClients?: number;
  /** Assignments of the fan-out (one per user, so at most fanoutClients). Default fanoutClients. */
  fanoutAssignments?: number;
  /** Assignments per second. Default 250. */
  fanoutRate?: number;
  /** How long deliveries may trail the last commit before the rest count as lost. Default 30 s. */
  drainMs?: number;
  /** Commits not yet delivered at which the fan-out stops committing (a stand-in that cannot keep up). Default 500. */
  maxOutstanding?: number;
  log?: (line: string) => void;
}

export interface StatementCount {
  subscribers: number;
  notifications: number;
  /** All statements executed per notification (top-level and nested). */
  perNotification: number;
  /** Of which top-level: statements clients sent (the assignment; Realtime's own queries). */
  topLevelPerNotification: number;
  /** Execution time of those top-level statements (nested time included once), ms per notification. */
  execMsPerNotification: number;
  /** The statements behind the figure, per notification, most frequent first (for the report). */
  breakdown: string[];
}

export interface TransportFanout {
  clients: number;
  /** Subscribers whose join succeeded. */
  live: number;
  /** Assignments meant to be committed; `assignments` is fewer when the stand-in fell behind. */
  planned: number;
  assignments: number;
  delivered: number;
  deliveredRatio: number;
  wrongOwner: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  ratePerSecond: number;
  /** The rate the committing side achieved (under the target: it could not keep up). */
  achievedRatePerSecond: number;
  /** Arrivals per second from the first commit to the last arrival. */
  deliveredPerSecond: number;
  joinSeconds: number;
  /** Realtime connections open at the stand-in with every subscriber joined. */
  openSockets: number;
  /** This process (the stand-in, and the fixtures' idle pool): peak RSS over its life, sampled peak V8 heap, idle RSS before any join. */
  standInPeakRssBytes: number;
  standInPeakHeapBytes: number;
  standInIdleRssBytes: number;
  /** The clients' process (bench/subscribers.ts), for scale: 5,000 supabase-js clients. */
  clientsRssBytes: number;
}

export interface TransportFigures {
  transport: BenchTransport;
  /** Nobody connected: the assignment and its triggers alone. */
  writer: StatementCount;
  counts: StatementCount[];
  /** postgres_changes only: the same counts with subscribers that leave out the widget's user_id filter. */
  unfiltered?: StatementCount[];
  fanout: TransportFanout;
  findings: string[];
}

type FromChild = { kind: 'log'; line: string } | { kind: 'done'; figures: TransportFigures } | { kind: 'failed'; error: string };

/** Runs one transport's measurements in a child process and returns its figures. */
export function benchTransport(options: TransportOptions): Promise<TransportFigures> {
  const { log, ...settings } = options;
  const child = fork(fileURLToPath(import.meta.url), ['--transport-child', JSON.stringify(settings)], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
  });
  return new Promise<TransportFigures>((resolve, reject) => {
    let settled = false;
    child.on('message', (message: FromChild) => {
      if (message.kind === 'log') return log?.(message.line);
      settled = true;
      if (message.kind === 'done') resolve(message.figures);
      else reject(new Error(`${options.transport}: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`the ${options.transport} process exited (${signal ?? code}) without figures`));
    });
  });
}

// ---------------------------------------------------------------- the child

/** `count` agents of one account in two statements (no password: they never sign in, their tokens are signed). */
async function bulkAgents(db: pg.Pool, accountId: string, count: number): Promise<Agent[]> {
  const client = await db.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ id: string; email: string }>(
      `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
         raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
         confirmation_token, recovery_token, email_change_token_new, email_change)
       select '00000000-0000-0000-0000-000000000000', id, 'authenticated', 'authenticated',
              'bench-' || id || '@example.test', '', now(),
              '{"provider":"email","providers":["email"]}', '{}', now(), now(), '', '', '', ''
       from (select gen_random_uuid() as id, n from generate_series(1, $1::int) n order by n) made
       returning id, email`,
      [count],
    );
    await client.query(
      `insert into public.profiles (user_id, account_id, full_name, email, account_role)
       select (u.value ->> 'id')::uuid, $1, 'Agent ' || u.ordinality, u.value ->> 'email', 'agent'
       from jsonb_array_elements($2::jsonb) with ordinality u`,
      [accountId, JSON.stringify(rows)],
    );
    await client.query('commit');
    return rows.map((row, index) => ({ id: row.id, email: row.email, fullName: `Agent ${index + 1}`, accountId }));
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

interface Settings {
  transport: BenchTransport;
  sizes: number[];
  notifications: number;
  fanoutClients: number;
  fanoutAssignments: number;
  fanoutRate: number;
  drainMs: number;
  maxOutstanding: number;
}

async function runChild(options: Omit<TransportOptions, 'log'>): Promise<void> {
  const send = (message: FromChild) => void (process.connected && process.send!(message));
  const log = (line: string) => send({ kind: 'log', line });
  const fanoutClients = options.fanoutClients ?? 5000;
  const settings: Settings = {
    transport: options.transport,
    sizes: options.sizes ?? [10, 100, 1000],
    notifications: options.notifications ?? 20,
    fanoutClients,
    fanoutAssignments: Math.min(options.fanoutAssignments ?? fanoutClients, fanoutClients),
    fanoutRate: options.fanoutRate ?? 250,
    drainMs: options.drainMs ?? 30_000,
    maxOutstanding: options.maxOutstanding ?? 500,
  };
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
  let postgres: PostgresServer | undefined;
  let local: LocalSupabase | undefined;
  let fixtures: Fixtures | undefined;
  let stats: pg.Client | undefined;
  let benchClients: BenchClients | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      clearInterval(sampler);
      benchClients?.kill();
      await stats?.end().catch(() => undefined);
      await fixtures?.end().catch(() => undefined);
      await local?.stop().catch(() => undefined);
      await postgres?.stop().catch(() => undefined);
    })());
  const abort = () => void stop().finally(() => process.exit(1));
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  process.once('disconnect', abort);
  try {
    log('starting PostgreSQL with pg_stat_statements, then the stand-in on it');
    postgres = await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.databaseUrl });
    await admin.connect();
    await admin.query(`alter system set shared_preload_libraries = 'pg_stat_statements'`);
    await admin.query(`alter system set pg_stat_statements.track = 'all'`);
    await admin.end();
    await postgres.restart();
    stats = new pg.Client({ connectionString: postgres.databaseUrl });
    await stats.connect();
    await stats.query('create extension if not exists pg_stat_statements');
    // The stand-in in a database of its own on that server; statements are counted in it alone.
    local = await startLocalSupabase({ fresh: true, apiPort: 0, seed: false, databaseUrl: postgres.databaseUrl });
    const standIn = local;
    fixtures = new Fixtures({ ...standIn, local: standIn, stop: () => standIn.stop() });
    const db = fixtures.db;
    const { rows: databaseRows } = await db.query<{ oid: number }>('select oid from pg_catalog.pg_database where datname = current_database()');
    const databaseOid = databaseRows[0]!.oid;
    if (settings.transport === 'postgres_changes') {
      await db.query('alter table public.notifications disable trigger notifications_broadcast');
    }

    const accountId = await fixtures.account(`Transport bench (${settings.transport})`);
    const agents = await bulkAgents(db, accountId, settings.fanoutClients);
    // The counts: nobody, then each size (twice on postgres_changes: without and with the filter).
    const extra = (3 + settings.notifications) * (2 * settings.sizes.length + 1);
    const conversations = await fixtures.conversations(accountId, settings.fanoutAssignments + extra);
    let nextConversation = 0;
    const take = (users: Agent[]) => users.map((agent) => ({ conversationId: conversations[nextConversation++]!, userId: agent.id }));
    const idleRss = process.memoryUsage().rss;
    const clients = (benchClients = new BenchClients());
    const databaseUrl = standIn.databaseUrl;

    const findings: string[] = [];
    const counted = async (subscribed: number): Promise<StatementCount> => {
      // Spread over the subscribed users; uncounted first (plans cached, Realtime's functions installed).
      const pick = (i: number) => agents[subscribed ? Math.floor((i * subscribed) / settings.notifications) % subscribed : i]!;
      const users = (count: number, shift: number) => Array.from({ length: count }, (_, i) => pick(i + shift));
      const options = { expectNoArrival: subscribed === 0 };
      await clients.run(databaseUrl, take(users(3, 1)), options);
      await sleep(300);
      await stats!.query('select pg_stat_statements_reset()');
      const run = await clients.run(databaseUrl, take(users(settings.notifications, 0)), options);
      await sleep(500); // anything Realtime still runs for the last one
      const missed = run.latencies.filter((latency) => latency === null).length;
      if (subscribed > 0 && missed) findings.push(`${subscribed} users: ${missed} of ${settings.notifications} notifications not delivered while counting`);
      const { rows } = await stats!.query<{ query: string; calls: string; toplevel: boolean; ms: number }>(
        'select query, calls, toplevel, total_exec_time as ms from pg_stat_statements where dbid = $1 order by calls desc',
        [databaseOid],
      );
      const n = settings.notifications;
      const all = rows.reduce((sum, row) => sum + Number(row.calls), 0);
      const top = rows.filter((row) => row.toplevel);
      // Utility statements keep their literals (SET LOCAL realtime.topic TO '<topic>'): grouped here.
      const grouped = new Map<string, number>();
      for (const row of rows) {
        const text = `${row.toplevel ? '' : '(nested) '}${row.query.replace(/\s+/g, ' ').replace(/'[^']*'/g, "'…'").slice(0, 100)}`;
        grouped.set(text, (grouped.get(text) ?? 0) + Number(row.calls));
      }
      const breakdown = [...grouped]
        .sort((a, b) => b[1] - a[1])
        .map(([text, calls]) => `${round(calls / n, 2)} × ${text}`);
      return {
        subscribers: subscribed,
        notifications: n,
        perNotification: round(all / n, 2),
        topLevelPerNotification: round(top.reduce((sum, row) => sum + Number(row.calls), 0) / n, 2),
        execMsPerNotification: round(top.reduce((sum, row) => sum + row.ms, 0) / n, 3),
        breakdown,
      };
    };

    let live = 0;
    const join = async (from: number, to: number, filtered = true) => {
      const result = await clients.subscribe(
        standIn.url,
        standIn.anonKey,
        settings.transport,
        agents.slice(from, to).map((agent) => ({ userId: agent.id, token: fixtures!.token(agent) })),
        { filtered },
      );
      live += result.live;
      log(`${result.total} subscribers joined (${result.live} of ${to - from} new ones in ${result.ms} ms)`);
      if (result.failed) {
        findings.push(`${result.failed} of ${to - from} joins failed (${result.firstError})`);
        log(`${result.failed} joins failed: ${result.firstError}`);
      }
      return result;
    };

    log(`statements per notification: nobody connected, then ${settings.sizes.join(', ')} users`);
    const writer = await counted(0);
    const countAtSizes = async (filtered: boolean) => {
      const counts: StatementCount[] = [];
      let joinedSoFar = 0;
      for (const size of settings.sizes) {
        await join(joinedSoFar, size, filtered);
        joinedSoFar = size;
        await sleep(300);
        const count = await counted(size);
        counts.push(count);
        log(
          `${size} users${filtered ? '' : ' (no filter)'}: ${count.perNotification} statements per notification ` +
            `(${count.topLevelPerNotification} top-level), ${count.execMsPerNotification} ms`,
        );
      }
      return counts;
    };
    // For comparison, postgres_changes without the widget's filter: Realtime's RLS check per claim set.
    let unfiltered: StatementCount[] | undefined;
    if (settings.transport === 'postgres_changes') {
      unfiltered = await countAtSizes(false);
      await clients.unsubscribe();
      await sleep(500);
      live = 0;
    }
    const counts = await countAtSizes(true);
    const joinedSoFar = counts.at(-1)?.subscribers ?? 0;
    const { rows: info } = await stats.query<{ dealloc: string }>('select dealloc from pg_stat_statements_info');
    if (Number(info[0]?.dealloc ?? 0) > 0) findings.push(`pg_stat_statements evicted entries (${info[0]!.dealloc}): the counts may be low`);

    // ---- fan-out
    await stats.query(`alter system set pg_stat_statements.track = 'none'`);
    await stats.query('select pg_reload_conf()');
    log(`fan-out: ${settings.fanoutClients} subscribers joining`);
    const joinStarted = now();
    await join(joinedSoFar, settings.fanoutClients);
    const joinSeconds = round((now() - joinStarted) / 1000, 1);
    await sleep(1000);
    const openSockets = standIn.realtimeConnections();
    log(`fan-out: ${openSockets} realtime connections open; ${settings.fanoutAssignments} assignments at ${settings.fanoutRate}/s`);
    const fanoutRun = await clients.run(databaseUrl, take(agents.slice(0, settings.fanoutAssignments)), {
      rate: settings.fanoutRate,
      drainMs: settings.drainMs,
      maxOutstanding: settings.maxOutstanding,
    });
    if (fanoutRun.committed < settings.fanoutAssignments) {
      findings.push(
        `fan-out: stopped after ${fanoutRun.committed} of ${settings.fanoutAssignments} assignments, when ${settings.maxOutstanding} ` +
          `had not arrived: the stand-in did not keep up with ${settings.fanoutRate}/s at ${settings.fanoutClients} subscribers`,
      );
    }
    const latencies = fanoutRun.latencies.filter((latency): latency is number => latency !== null);
    const lost = fanoutRun.latencies.length - latencies.length;
    const clientsMemory = await clients.memory();
    clearInterval(sampler);
    if (lost) findings.push(`fan-out: ${lost} of ${fanoutRun.latencies.length} changes not delivered ${settings.drainMs / 1000} s after the last commit`);
    const fanout: TransportFanout = {
      clients: settings.fanoutClients,
      live,
      planned: settings.fanoutAssignments,
      assignments: fanoutRun.committed,
      delivered: latencies.length,
      deliveredRatio: round(latencies.length / fanoutRun.latencies.length, 4),
      wrongOwner: fanoutRun.wrongOwner,
      p50Ms: round(percentile(latencies, 50)),
      p95Ms: round(percentile(latencies, 95)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(percentile(latencies, 100)),
      ratePerSecond: settings.fanoutRate,
      achievedRatePerSecond: round(fanoutRun.achievedRate, 1),
      deliveredPerSecond: round(fanoutRun.deliveredRate, 1),
      joinSeconds,
      openSockets,
      // maxRSS is in kilobytes.
      standInPeakRssBytes: process.resourceUsage().maxRSS * 1024,
      standInPeakHeapBytes: peakHeap,
      standInIdleRssBytes: idleRss,
      clientsRssBytes: clientsMemory.maxRssBytes,
    };
    send({ kind: 'done', figures: { transport: settings.transport, writer, counts, ...(unfiltered ? { unfiltered } : {}), fanout, findings } });
  } catch (error) {
    send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  } finally {
    process.off('disconnect', abort);
    await stop();
    if (process.connected) process.disconnect();
  }
}

const childAt = process.argv.indexOf('--transport-child');
if (childAt >= 0) await runChild(JSON.parse(process.argv[childAt + 1] ?? '{}') as Omit<TransportOptions, 'log'>);
