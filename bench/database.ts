// Database figures of `npm run bench`: the widget's queries and the assignment trigger at scale.
//   node --import tsx bench/database.ts
//
// A throw-away PostgreSQL 17 with the Supabase roles and our migrations gets 1,000,000 notifications
// over 10,000 users, built with set-based SQL. Then, acting as the `authenticated` role with one
// user's JWT claims inside a transaction (what PostgREST does for every request), it times the
// three statements the widget sends: the unread count, the first page and a keyset "next page".
// Each is timed twice, and the two are labelled apart everywhere:
//   - server: EXPLAIN ANALYZE's Execution Time (the executor only; no parse, plan or network);
//   - round trip: the plain statement, parameterised, on a warm connection, as seen by the client.
// Last, the same batch of assignment UPDATEs runs with the notify trigger enabled and disabled.
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { startLocalDatabase, type LocalDatabase } from '../supabase/local/database.js';
import { actAs, claimsOf, explain, formatPlan, pickUsers, planSignature, round, summarize, type ExplainOutput, type PlanNode, type Summary } from './sql-plans.js';

export interface DatabaseBenchOptions {
  /** Users who receive notifications, in accounts of 20; a multiple of 40. Default 10,000. */
  users?: number;
  /** Notifications in total; users × the mean per user. Default 1,000,000. */
  rows?: number;
  /** Timed runs of each read query, one user per run. Default 500 (plus a discarded warm-up). */
  readRuns?: number;
  /** Assignment UPDATEs timed per variant (trigger on / off), each in its own transaction. Default 2,000. */
  triggerUpdates?: number;
  /** Use this server (a fresh database is created on it and dropped). Default: an embedded PostgreSQL. */
  databaseUrl?: string;
  /** Progress lines; default silent. */
  log?: (line: string) => void;
}

/** Numbers only, ready for bench/results.json. Times in milliseconds unless the name says otherwise. */
export interface DatabaseNumbers {
  'db.rows': number;
  'db.users': number;
  'db.unreadRows': number;
  'db.buildSeconds': number;
  'db.totalSeconds': number;
  /** Median server execution time (EXPLAIN ANALYZE) of the unread count. The goal: under 1 ms. */
  'db.unreadCountMs': number;
  'db.unreadCountP95Ms': number;
  'db.unreadCountP99Ms': number;
  'db.unreadCountRoundTripMs': number;
  'db.unreadCountRoundTripP95Ms': number;
  'db.unreadCountRoundTripP99Ms': number;
  /** Median server execution time of the first page (21 rows). */
  'db.firstPageMs': number;
  'db.firstPageP95Ms': number;
  'db.firstPageP99Ms': number;
  'db.firstPageRoundTripMs': number;
  'db.firstPageRoundTripP95Ms': number;
  'db.firstPageRoundTripP99Ms': number;
  'db.nextPageMs': number;
  'db.nextPageP95Ms': number;
  'db.nextPageP99Ms': number;
  'db.nextPageRoundTripMs': number;
  'db.nextPageRoundTripP95Ms': number;
  'db.nextPageRoundTripP99Ms': number;
  /** Trigger on ÷ trigger off, median server execution time of the UPDATE (triggers included). Goal: under 1.5. */
  'db.triggerOverheadRatio': number;
  'db.assignUpdateMs': number;
  'db.assignUpdateNoTriggerMs': number;
  /**
   * The same ratio with the broadcast migration applied: its trigger on public.notifications also
   * writes a row of realtime.messages for each notification. No goal: Broadcast is opt-in.
   */
  'db.triggerOverheadRatioWithBroadcast': number;
  /** What the broadcast migration's trigger adds to one assignment, server time. */
  'db.broadcastTriggerAddedMs': number;
  /** What the trigger adds to one assignment, server time (on − off medians): the ratio's numerator. */
  'db.triggerAddedMs': number;
  /** The same, for the whole transaction (BEGIN, claims, UPDATE, COMMIT) as one client round trip. */
  'db.triggerOverheadRatioRoundTrip': number;
  'db.assignTransactionMs': number;
  'db.assignTransactionNoTriggerMs': number;
  /** The same ratios when an automation assigns with the service key (no RLS, no assigner to look up). */
  'db.triggerOverheadRatioServiceRole': number;
  'db.assignUpdateServiceRoleMs': number;
  'db.assignUpdateServiceRoleNoTriggerMs': number;
  'db.triggerOverheadRatioServiceRoleRoundTrip': number;
  /**
   * The unread count again, after the assignment runs, for the agents who were just notified:
   * their newest index entries point at pages VACUUM has not marked all-visible yet.
   */
  'db.unreadCountAfterWritesMs': number;
  'db.unreadCountAfterWritesP99Ms': number;
  /** Median heap fetches of those index-only scans. */
  'db.unreadCountAfterWritesHeapFetches': number;
  'db.readRuns': number;
  'db.triggerUpdates': number;
}

export interface DatabasePlans {
  unreadCount: string;
  firstPage: string;
  nextPage: string;
  assignUpdate: string;
  assignUpdateServiceRole: string;
}

export interface DatabaseFigures {
  numbers: DatabaseNumbers;
  /** EXPLAIN (ANALYZE, BUFFERS) of one run of each statement, as indented text for printing. */
  plans: DatabasePlans;
  /** Anything a reader should know about this run (a plan that changed between runs, a missed goal). */
  findings: string[];
}

export const DATABASE_GOALS = {
  'db.unreadCountMs': { limit: 1, text: 'under 1 ms at 1,000,000 rows' },
  'db.triggerOverheadRatio': { limit: 1.5, text: 'under 1.5×' },
} as const;

// ---------------------------------------------------------------- the statements the widget sends

/** supabase-js `.select('id', { count: 'exact', head: true }).eq('user_id', …).is('read_at', null)`. */
const UNREAD_COUNT_SQL = 'select count(*) from public.notifications where user_id = $1 and read_at is null';

const COLUMNS = 'id, account_id, user_id, type, conversation_id, contact_id, actor_user_id, title, body, read_at, created_at';

/** The first page: pageSize 20 + 1 to learn whether there is more. */
const FIRST_PAGE_SQL =
  `select ${COLUMNS} from public.notifications where user_id = $1 ` +
  'order by created_at desc, id desc limit 21';

/** `or=(created_at.lt.X,and(created_at.eq.X,id.lt.Y))`, X and Y from the last row shown. */
const NEXT_PAGE_SQL =
  `select ${COLUMNS} from public.notifications where user_id = $1 ` +
  'and (created_at < $2 or (created_at = $2 and id < $3)) ' +
  'order by created_at desc, id desc limit 21';

const ASSIGN_SQL = 'update public.conversations set assigned_agent_id = $1 where id = $2';

// ---------------------------------------------------------------- the data set

const USERS_PER_ACCOUNT = 20;
const CONTACTS_PER_ACCOUNT = 100;

/** Deterministic ids, so that the build can be split across connections without a lookup table. */
const uuidOf = (kind: string, indexSql: string) => `md5('bench-${kind}-' || (${indexSql}))::uuid`;
const userId = (index: number) => md5Uuid(`bench-user-${index}`);

function md5Uuid(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const FIRST_NAMES = "(array['Ana','Bruno','Carla','Diego','Elisa','Fábio','Gabriela','Hugo','Isabel','João'])";
const LAST_NAMES = "(array['Silva','Santos','Oliveira','Souza','Lima','Pereira','Costa','Rodrigues','Almeida','Nunes'])";
const personName = (indexSql: string) =>
  `${FIRST_NAMES}[1 + (${indexSql}) % 10] || ' ' || ${LAST_NAMES}[1 + ((${indexSql}) / 10) % 10]`;

/**
 * Accounts of 20 agents (the first an owner, the second an admin), 100 contacts and 100
 * conversations per account, each conversation assigned to one of the account's agents.
 */
function peopleSql(users: number): string[] {
  const accounts = users / USERS_PER_ACCOUNT;
  const contacts = accounts * CONTACTS_PER_ACCOUNT;
  return [
    `insert into auth.users (id, aud, role, email, created_at, updated_at)
     select ${uuidOf('user', 'u')}, 'authenticated', 'authenticated', 'agent' || u || '@bench.test',
            now() - interval '400 days', now() - interval '400 days'
     from generate_series(0, ${users - 1}) u`,
    `insert into public.accounts (id, name, owner_user_id)
     select ${uuidOf('account', 'a')}, 'Account ' || a, ${uuidOf('user', `a * ${USERS_PER_ACCOUNT}`)}
     from generate_series(0, ${accounts - 1}) a`,
    `insert into public.profiles (user_id, account_id, full_name, email, account_role)
     select ${uuidOf('user', 'u')}, ${uuidOf('account', `u / ${USERS_PER_ACCOUNT}`)}, ${personName('u')},
            'agent' || u || '@bench.test',
            (case u % ${USERS_PER_ACCOUNT} when 0 then 'owner' when 1 then 'admin' else 'agent' end)::public.account_role_enum
     from generate_series(0, ${users - 1}) u`,
    `insert into public.contacts (id, account_id, name, phone)
     select ${uuidOf('contact', 'c')}, ${uuidOf('account', `c / ${CONTACTS_PER_ACCOUNT}`)}, ${personName('c + 7')},
            '+55 11 9' || lpad((c % 100000000)::text, 8, '0')
     from generate_series(0, ${contacts - 1}) c`,
    `insert into public.conversations (id, account_id, contact_id, status, assigned_agent_id, last_message_at)
     select ${uuidOf('conversation', 'c')}, ${uuidOf('account', `c / ${CONTACTS_PER_ACCOUNT}`)}, ${uuidOf('contact', 'c')},
            (array['open','pending','closed'])[1 + c % 3],
            ${uuidOf('user', `(c / ${CONTACTS_PER_ACCOUNT}) * ${USERS_PER_ACCOUNT} + c % ${USERS_PER_ACCOUNT}`)},
            now() - (c % 1000) * interval '1 hour'
     from generate_series(0, ${contacts - 1}) c`,
  ];
}

/**
 * Notifications of the users u ≡ part (mod parts). User u has 100 ± d of them (d from 0 to 90, paired
 * so the total is exact), spread over the last 180 days, newest first; most are read (minutes to
 * days after they arrived), the newest 0 to 7 are unread, and about one user in 97 never reads any.
 * Each names a conversation, contact and assigner (another agent) of the user's account.
 */
function notificationsSql(users: number, rows: number, part: number, parts: number): string {
  const mean = rows / users;
  const spread = Math.max(1, Math.floor(mean * 0.91));
  return `
    insert into public.notifications
      (account_id, user_id, type, conversation_id, contact_id, actor_user_id, title, body, read_at, created_at)
    select ${uuidOf('account', `u / ${USERS_PER_ACCOUNT}`)},
           ${uuidOf('user', 'u')},
           'conversation_assigned',
           ${uuidOf('conversation', 'c')},
           ${uuidOf('contact', 'c')},
           ${uuidOf('user', 'actor')},
           'New conversation assigned',
           ${personName('actor')} || ' assigned you a conversation with ' || ${personName('c + 7')},
           case when u % 97 = 0 or i <= (u * 7919) % 8 then null
                else least(now(), created + (random() ^ 4) * interval '3 days') end,
           created
    from generate_series(${part}, ${users - 1}, ${parts}) u
    cross join lateral (
      select ${mean} + case when u % 2 = 1 then 1 else -1 end * (((u / 2) * 37) % ${spread}) as total
    ) sized
    cross join lateral generate_series(1, sized.total) i
    cross join lateral (
      select (u / ${USERS_PER_ACCOUNT}) * ${CONTACTS_PER_ACCOUNT} + (i * 13 + u) % ${CONTACTS_PER_ACCOUNT} as c,
             (u / ${USERS_PER_ACCOUNT}) * ${USERS_PER_ACCOUNT} + (u + 1 + i % ${USERS_PER_ACCOUNT - 1}) % ${USERS_PER_ACCOUNT} as actor,
             now() - interval '180 days' * ((i - 1) + random()) / sized.total as created
    ) picked`;
}

// ---------------------------------------------------------------- acting as PostgREST does

const actAsUser = (client: pg.ClientBase, sub: string) => actAs(client, 'authenticated', claimsOf('authenticated', sub));

// ---------------------------------------------------------------- the benchmark

export async function benchDatabase(options: DatabaseBenchOptions = {}): Promise<DatabaseFigures> {
  const users = options.users ?? 10_000;
  const rows = options.rows ?? 1_000_000;
  const readRuns = options.readRuns ?? 500;
  const triggerUpdates = options.triggerUpdates ?? 2_000;
  const log = options.log ?? (() => undefined);
  if (users % (2 * USERS_PER_ACCOUNT) !== 0 || rows % users !== 0) {
    throw new Error(`benchDatabase: users must be a multiple of ${2 * USERS_PER_ACCOUNT} and rows a multiple of users`);
  }
  const started = performance.now();
  const findings: string[] = [];

  const database: LocalDatabase = await startLocalDatabase({
    fresh: true,
    seed: false,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
  });
  const clients: pg.Client[] = [];
  try {
    const connect = async () => {
      const client = new pg.Client({ connectionString: database.databaseUrl });
      clients.push(client);
      await client.connect();
      return client;
    };
    const main = await connect();
    const helper = await connect();
    log(`database ready in ${round((performance.now() - started) / 1000, 1)} s`);

    // ---- build
    const buildStarted = performance.now();
    // Bulk load: triggers off (the notify trigger would add rows for the seeded assignments; the
    // foreign keys are checked by construction and by the count below, not per row).
    const bulk = 'set session_replication_role = replica';
    await main.query(bulk);
    await helper.query(bulk);
    for (const statement of peopleSql(users)) await main.query(statement);
    // Two connections, one per core, each inserting every other user's notifications.
    await Promise.all(
      [main, helper].map(async (client, part) => {
        await client.query(`select setseed(${0.1 * (part + 1)})`);
        await client.query(notificationsSql(users, rows, part, 2));
      }),
    );
    await main.query('reset session_replication_role');
    await helper.query('reset session_replication_role');
    const loadedSeconds = (performance.now() - buildStarted) / 1000;
    await main.query(
      'vacuum (analyze) public.notifications, public.conversations, public.contacts, public.profiles, public.accounts, auth.users',
    );
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    const { rows: counted } = await main.query<{ total: string; unread: string; orphans: string }>(`
      select count(*) as total, count(*) filter (where read_at is null) as unread,
             count(*) filter (where not exists (
               select 1 from public.profiles p where p.user_id = n.user_id and p.account_id = n.account_id
             )) as orphans
      from public.notifications n`);
    const totalRows = Number(counted[0]!.total);
    const unreadRows = Number(counted[0]!.unread);
    if (totalRows !== rows || Number(counted[0]!.orphans) !== 0) {
      throw new Error(`build: ${totalRows} rows (wanted ${rows}), ${counted[0]!.orphans} without their user's profile`);
    }
    log(
      `built ${totalRows.toLocaleString('en')} notifications (${unreadRows.toLocaleString('en')} unread) over ` +
        `${users.toLocaleString('en')} users in ${round(buildSeconds, 1)} s (load ${round(loadedSeconds, 1)} s, vacuum analyze ${round(buildSeconds - loadedSeconds, 1)} s)`,
    );

    // ---- reads, as the widget's user
    const reads = await measureReads(main, users, readRuns, findings);
    log(`read queries: ${readRuns} runs each`);

    // ---- the assignment trigger: 027's alone (the broadcast migration's trigger off, as on a
    // project that does not apply it), then with the broadcast migration's trigger too.
    await helper.query('alter table public.notifications disable trigger notifications_broadcast');
    const trigger = await measureTrigger(main, helper, users, triggerUpdates, 'admin', findings);
    const automated = await measureTrigger(main, helper, users, triggerUpdates, 'service_role', findings);
    await helper.query('alter table public.notifications enable trigger notifications_broadcast');
    const withBroadcast = await measureTrigger(main, helper, users, triggerUpdates, 'admin', findings);
    log(`assignment updates: ${triggerUpdates} per variant and assigner, and with the broadcast trigger`);
    const afterWrites = await measureUnreadAfterWrites(main, users, readRuns);

    const numbers: DatabaseNumbers = {
      'db.rows': totalRows,
      'db.users': users,
      'db.unreadRows': unreadRows,
      'db.buildSeconds': round(buildSeconds, 1),
      'db.totalSeconds': 0,
      'db.unreadCountMs': round(reads.unreadCount.server.median),
      'db.unreadCountP95Ms': round(reads.unreadCount.server.p95),
      'db.unreadCountP99Ms': round(reads.unreadCount.server.p99),
      'db.unreadCountRoundTripMs': round(reads.unreadCount.roundTrip.median),
      'db.unreadCountRoundTripP95Ms': round(reads.unreadCount.roundTrip.p95),
      'db.unreadCountRoundTripP99Ms': round(reads.unreadCount.roundTrip.p99),
      'db.firstPageMs': round(reads.firstPage.server.median),
      'db.firstPageP95Ms': round(reads.firstPage.server.p95),
      'db.firstPageP99Ms': round(reads.firstPage.server.p99),
      'db.firstPageRoundTripMs': round(reads.firstPage.roundTrip.median),
      'db.firstPageRoundTripP95Ms': round(reads.firstPage.roundTrip.p95),
      'db.firstPageRoundTripP99Ms': round(reads.firstPage.roundTrip.p99),
      'db.nextPageMs': round(reads.nextPage.server.median),
      'db.nextPageP95Ms': round(reads.nextPage.server.p95),
      'db.nextPageP99Ms': round(reads.nextPage.server.p99),
      'db.nextPageRoundTripMs': round(reads.nextPage.roundTrip.median),
      'db.nextPageRoundTripP95Ms': round(reads.nextPage.roundTrip.p95),
      'db.nextPageRoundTripP99Ms': round(reads.nextPage.roundTrip.p99),
      'db.triggerOverheadRatio': round(trigger.enabled.server.median / trigger.disabled.server.median, 2),
      'db.triggerOverheadRatioWithBroadcast': round(withBroadcast.enabled.server.median / withBroadcast.disabled.server.median, 2),
      'db.broadcastTriggerAddedMs': round(withBroadcast.enabled.server.median - trigger.enabled.server.median),
      'db.assignUpdateMs': round(trigger.enabled.server.median),
      'db.assignUpdateNoTriggerMs': round(trigger.disabled.server.median),
      'db.triggerAddedMs': round(trigger.enabled.server.median - trigger.disabled.server.median),
      'db.triggerOverheadRatioRoundTrip': round(trigger.enabled.roundTrip.median / trigger.disabled.roundTrip.median, 2),
      'db.assignTransactionMs': round(trigger.enabled.roundTrip.median),
      'db.assignTransactionNoTriggerMs': round(trigger.disabled.roundTrip.median),
      'db.triggerOverheadRatioServiceRole': round(automated.enabled.server.median / automated.disabled.server.median, 2),
      'db.assignUpdateServiceRoleMs': round(automated.enabled.server.median),
      'db.assignUpdateServiceRoleNoTriggerMs': round(automated.disabled.server.median),
      'db.triggerOverheadRatioServiceRoleRoundTrip': round(
        automated.enabled.roundTrip.median / automated.disabled.roundTrip.median,
        2,
      ),
      'db.unreadCountAfterWritesMs': round(afterWrites.server.median),
      'db.unreadCountAfterWritesP99Ms': round(afterWrites.server.p99),
      'db.unreadCountAfterWritesHeapFetches': afterWrites.heapFetches,
      'db.readRuns': readRuns,
      'db.triggerUpdates': triggerUpdates,
    };
    for (const [key, goal] of Object.entries(DATABASE_GOALS)) {
      const value = numbers[key as keyof DatabaseNumbers];
      if (!(value < goal.limit)) findings.push(`${key} = ${value} misses its goal (${goal.text}).`);
    }
    const serviceRatio = numbers['db.triggerOverheadRatioServiceRole'];
    if (!(serviceRatio < DATABASE_GOALS['db.triggerOverheadRatio'].limit)) {
      findings.push(
        `As service_role (no RLS on conversations, no assigner to look up) the bare UPDATE costs ` +
          `${numbers['db.assignUpdateServiceRoleNoTriggerMs']} ms and the trigger adds ` +
          `${round(numbers['db.assignUpdateServiceRoleMs'] - numbers['db.assignUpdateServiceRoleNoTriggerMs'])} ms: ` +
          `${serviceRatio}× server, ${numbers['db.triggerOverheadRatioServiceRoleRoundTrip']}× per round trip ` +
          `(goal ${DATABASE_GOALS['db.triggerOverheadRatio'].text}). Writing the notification row at all ` +
          `(heap, three indexes, five foreign-key checks) costs more than such a bare UPDATE.`,
      );
    }
    numbers['db.totalSeconds'] = round((performance.now() - started) / 1000, 1);
    return {
      numbers,
      plans: { ...reads.plans, assignUpdate: trigger.plan, assignUpdateServiceRole: automated.plan },
      findings,
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await database.stop();
  }
}

interface Timed {
  server: Summary;
  roundTrip: Summary;
}

async function measureReads(client: pg.Client, users: number, runs: number, findings: string[]) {
  const warmUp = Math.min(50, runs);
  const sample = pickUsers(users, runs + warmUp, 20_240_601);
  const kinds = ['unreadCount', 'firstPage', 'nextPage'] as const;
  type Kind = (typeof kinds)[number];
  const server: Record<Kind, number[]> = { unreadCount: [], firstPage: [], nextPage: [] };
  const roundTrip: Record<Kind, number[]> = { unreadCount: [], firstPage: [], nextPage: [] };
  /** Server times of the counted runs, by plan shape. */
  const signatures: Record<Kind, Map<string, number[]>> = { unreadCount: new Map(), firstPage: new Map(), nextPage: new Map() };
  const plans = {} as Record<Kind, string>;

  for (const [run, userIndex] of sample.entries()) {
    const sub = userId(userIndex);
    const counting = run >= warmUp;
    await client.query('begin');
    try {
      await actAsUser(client, sub);
      // The cursor is the 20th row of the first page, as the widget's "load more" sends it; a user
      // whose first page holds everything (20 rows or fewer) never asks for a next one.
      const { rows: firstPage } = await client.query<{ id: string }>(FIRST_PAGE_SQL, [sub]);
      const last = firstPage.length > 20 ? firstPage[19] : undefined;
      const statements: Record<Kind, [string, unknown[]] | undefined> = {
        unreadCount: [UNREAD_COUNT_SQL, [sub]],
        firstPage: [FIRST_PAGE_SQL, [sub]],
        // timestamptz travels as text so that microseconds survive (a JS Date keeps milliseconds).
        nextPage: last ? [NEXT_PAGE_SQL, [sub, await exactTimestamp(client, last.id), last.id]] : undefined,
      };
      for (const kind of kinds) {
        const statement = statements[kind];
        if (!statement) continue;
        const [sql, params] = statement;
        // Alternate which of the two goes first, so neither always finds the pages the other just read.
        const timeRoundTrip = async () => {
          const before = performance.now();
          await client.query(sql, params);
          return performance.now() - before;
        };
        let took: number;
        let explained: ExplainOutput;
        if (run % 2 === 0) {
          took = await timeRoundTrip();
          explained = await explain(client, sql, params);
        } else {
          explained = await explain(client, sql, params);
          took = await timeRoundTrip();
        }
        if (!counting) continue;
        const signature = planSignature(explained.Plan);
        signatures[kind].set(signature, [...(signatures[kind].get(signature) ?? []), explained['Execution Time']]);
        roundTrip[kind].push(took);
        server[kind].push(explained['Execution Time']);
        if (!plans[kind]) plans[kind] = formatPlan(await explain(client, sql, params, true));
      }
    } finally {
      await client.query('rollback');
    }
  }

  for (const kind of kinds) {
    if (signatures[kind].size > 1) {
      findings.push(
        `${kind}: the plan changed between runs: ` +
          [...signatures[kind]]
            .map(([signature, times]) => `${signature} ×${times.length} (median ${round(summarize(times).median)} ms)`)
            .join('; '),
      );
    }
  }
  const unreadSignature = [...signatures.unreadCount.keys()];
  if (!unreadSignature.every((signature) => /Index Only Scan\(idx_notifications_user_unread\)/.test(signature))) {
    findings.push(`unreadCount: not an index-only scan on idx_notifications_user_unread: ${unreadSignature.join('; ')}`);
  }
  const timed = (kind: Kind): Timed => ({ server: summarize(server[kind]), roundTrip: summarize(roundTrip[kind]) });
  return {
    unreadCount: timed('unreadCount'),
    firstPage: timed('firstPage'),
    nextPage: timed('nextPage'),
    plans: { unreadCount: plans.unreadCount ?? '', firstPage: plans.firstPage ?? '', nextPage: plans.nextPage ?? '' },
  };
}

/** The unread count of agents the assignment runs just notified (the most recently written rows). */
async function measureUnreadAfterWrites(client: pg.Client, users: number, runs: number) {
  const accounts = users / USERS_PER_ACCOUNT;
  const notified = Array.from({ length: accounts * 2 }, (_, index) =>
    userId(Math.floor(index / 2) * USERS_PER_ACCOUNT + 2 + (index % 2)),
  ).slice(0, runs);
  const times: number[] = [];
  const heapFetches: number[] = [];
  for (const sub of notified) {
    await client.query('begin');
    try {
      await actAsUser(client, sub);
      const explained = await explain(client, UNREAD_COUNT_SQL, [sub]);
      times.push(explained['Execution Time']);
      const scan = findNode(explained.Plan, (node) => node['Index Name'] === 'idx_notifications_user_unread');
      heapFetches.push(scan?.['Heap Fetches'] ?? Number.NaN);
    } finally {
      await client.query('rollback');
    }
  }
  return { server: summarize(times), heapFetches: summarize(heapFetches).median };
}

function findNode(node: PlanNode, wanted: (node: PlanNode) => boolean): PlanNode | undefined {
  if (wanted(node)) return node;
  for (const child of node.Plans ?? []) {
    const found = findNode(child, wanted);
    if (found) return found;
  }
  return undefined;
}

async function exactTimestamp(client: pg.ClientBase, id: string): Promise<string> {
  const { rows } = await client.query<{ at: string }>('select created_at::text as at from public.notifications where id = $1', [id]);
  return rows[0]!.at;
}

/** Who assigns: an account admin through PostgREST (RLS applies), or an automation with the service key. */
type Assigner = 'admin' | 'service_role';

/**
 * The same assignment UPDATEs with the notify trigger enabled and disabled. Each update moves one
 * conversation to another agent of its account (so the trigger does write a notification), as
 * PostgREST runs it: BEGIN, the role and claims, the UPDATE, COMMIT. Variants alternate in blocks,
 * A B B A A B …, so that drift (autovacuum, caches, a growing table) hits both alike; within a
 * block, updates alternate between one client round trip for the whole transaction and EXPLAIN
 * ANALYZE (server time of the UPDATE, its trigger and the foreign-key checks that insert causes).
 */
async function measureTrigger(
  client: pg.Client,
  admin: pg.Client,
  users: number,
  perVariant: number,
  assigner: Assigner,
  findings: string[],
) {
  const accounts = users / USERS_PER_ACCOUNT;
  const conversations = Math.min(perVariant, accounts * CONTACTS_PER_ACCOUNT);
  // Short blocks: load from other processes comes in bursts, and both variants should share them.
  const perBlock = Math.min(100, perVariant);
  const blocks = Math.ceil(perVariant / perBlock);
  const warmUp = 5;

  // Conversation c of account a: the assigner is the account's admin (agent 1); the assignee
  // alternates between two agents (2 and 3), never the assigner (self-assignment notifies nobody).
  const targets = Array.from({ length: conversations }, (_, index) => {
    const account = (index * 7) % accounts;
    const contact = account * CONTACTS_PER_ACCOUNT + Math.floor(index / accounts) % CONTACTS_PER_ACCOUNT;
    const agent = (offset: number) => userId(account * USERS_PER_ACCOUNT + offset);
    return { id: md5Uuid(`bench-conversation-${contact}`), assigner: agent(1), assignees: [agent(2), agent(3)], turn: 0 };
  });
  // Start every target on assignee[1], so the first update of each moves it to assignee[0].
  await admin.query('set session_replication_role = replica');
  await admin.query(
    'update public.conversations c set assigned_agent_id = t.assignee from unnest($1::uuid[], $2::uuid[]) t(id, assignee) where c.id = t.id',
    [targets.map((target) => target.id), targets.map((target) => target.assignees[1])],
  );
  await admin.query('reset session_replication_role');
  await admin.query('vacuum (analyze) public.conversations');

  let next = 0;
  const assignOnce = async (mode: 'roundTrip' | 'server'): Promise<{ ms: number; explained?: ExplainOutput }> => {
    const target = targets[next++ % targets.length]!;
    const assignee = target.assignees[target.turn++ % 2]!;
    const role = assigner === 'admin' ? 'authenticated' : 'service_role';
    const claims = JSON.stringify(assigner === 'admin' ? { sub: target.assigner, role } : { role });
    if (mode === 'roundTrip') {
      // One simple-protocol message for the whole transaction: begin, claims, update, commit.
      const text =
        `begin; select set_config('role', '${role}', true), set_config('request.jwt.claims', '${claims}', true); ` +
        `update public.conversations set assigned_agent_id = '${assignee}' where id = '${target.id}'; commit`;
      const before = performance.now();
      const results = (await client.query(text)) as unknown as pg.QueryResult[];
      const ms = performance.now() - before;
      if (results[2]?.rowCount !== 1) throw new Error(`assignment of ${target.id} updated ${results[2]?.rowCount} rows`);
      return { ms };
    }
    await client.query('begin');
    try {
      await actAs(client, role, claims);
      const explained = await explain(client, ASSIGN_SQL, [assignee, target.id]);
      await client.query('commit');
      return { ms: explained['Execution Time'], explained };
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  };

  const samples = {
    enabled: { server: [] as number[], roundTrip: [] as number[] },
    disabled: { server: [] as number[], roundTrip: [] as number[] },
  };
  const written = { enabled: 0, disabled: 0 };
  let plan = '';
  const countRows = async () =>
    Number((await admin.query<{ n: string }>('select count(*) as n from public.notifications')).rows[0]!.n);

  for (let block = 0; block < 2 * blocks; block++) {
    // A B B A A B B A …
    const variant = Math.floor((block + 1) / 2) % 2 === 0 ? 'enabled' : 'disabled';
    await admin.query(`alter table public.conversations ${variant === 'enabled' ? 'enable' : 'disable'} trigger on_conversation_assigned`);
    const before = await countRows();
    for (let index = 0; index < warmUp; index++) await assignOnce(index % 2 ? 'server' : 'roundTrip');
    for (let index = 0; index < perBlock; index++) {
      const mode = index % 2 === 0 ? 'roundTrip' : 'server';
      const { ms, explained } = await assignOnce(mode);
      samples[variant][mode].push(ms);
      if (explained && variant === 'enabled' && !plan) plan = formatPlan(explained);
    }
    written[variant] += (await countRows()) - before;
  }
  await admin.query('alter table public.conversations enable trigger on_conversation_assigned');

  const updates = blocks * (perBlock + warmUp);
  if (written.enabled !== updates || written.disabled !== 0) {
    findings.push(
      `trigger (${assigner}): ${written.enabled} notifications written by ${updates} assignments with the trigger on ` +
        `and ${written.disabled} with it off (expected ${updates} and 0).`,
    );
  }
  // One fully instrumented assignment for the printed plan (trigger and foreign-key check times).
  await client.query('begin');
  try {
    const target = targets[next++ % targets.length]!;
    const role = assigner === 'admin' ? 'authenticated' : 'service_role';
    await actAs(client, role, JSON.stringify(assigner === 'admin' ? { sub: target.assigner, role } : { role }));
    plan = formatPlan(await explain(client, ASSIGN_SQL, [target.assignees[target.turn++ % 2], target.id], true));
  } finally {
    await client.query('rollback');
  }
  return {
    enabled: { server: summarize(samples.enabled.server), roundTrip: summarize(samples.enabled.roundTrip) },
    disabled: { server: summarize(samples.disabled.server), roundTrip: summarize(samples.disabled.roundTrip) },
    plan,
  };
}

// ---------------------------------------------------------------- CLI

function printFigures(figures: DatabaseFigures): void {
  const n = figures.numbers;
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const table: [string, string, string][] = [
    ['rows / users / unread rows', `${n['db.rows'].toLocaleString('en')} / ${n['db.users'].toLocaleString('en')} / ${n['db.unreadRows'].toLocaleString('en')}`, ''],
    ['build (set-based insert + VACUUM ANALYZE)', `${n['db.buildSeconds']} s`, ''],
    [`unread count, server: median / p95 / p99`, `${ms(n['db.unreadCountMs'])} / ${ms(n['db.unreadCountP95Ms'])} / ${ms(n['db.unreadCountP99Ms'])}`, DATABASE_GOALS['db.unreadCountMs'].text],
    [`unread count, round trip: median / p95 / p99`, `${ms(n['db.unreadCountRoundTripMs'])} / ${ms(n['db.unreadCountRoundTripP95Ms'])} / ${ms(n['db.unreadCountRoundTripP99Ms'])}`, ''],
    [`first page (21), server`, `${ms(n['db.firstPageMs'])} / ${ms(n['db.firstPageP95Ms'])} / ${ms(n['db.firstPageP99Ms'])}`, ''],
    [`first page (21), round trip`, `${ms(n['db.firstPageRoundTripMs'])} / ${ms(n['db.firstPageRoundTripP95Ms'])} / ${ms(n['db.firstPageRoundTripP99Ms'])}`, ''],
    [`next page (keyset), server`, `${ms(n['db.nextPageMs'])} / ${ms(n['db.nextPageP95Ms'])} / ${ms(n['db.nextPageP99Ms'])}`, ''],
    [`next page (keyset), round trip`, `${ms(n['db.nextPageRoundTripMs'])} / ${ms(n['db.nextPageRoundTripP95Ms'])} / ${ms(n['db.nextPageRoundTripP99Ms'])}`, ''],
    [`assignment UPDATE, server: trigger on / off (median)`, `${ms(n['db.assignUpdateMs'])} / ${ms(n['db.assignUpdateNoTriggerMs'])}`, ''],
    [`trigger overhead, server: ratio (added)`, `${n['db.triggerOverheadRatio']}× (+${ms(n['db.triggerAddedMs'])})`, DATABASE_GOALS['db.triggerOverheadRatio'].text],
    [`assignment transaction, round trip: on / off (median)`, `${ms(n['db.assignTransactionMs'])} / ${ms(n['db.assignTransactionNoTriggerMs'])}`, ''],
    [`trigger overhead, round trip`, `${n['db.triggerOverheadRatioRoundTrip']}×`, ''],
    [`service-role UPDATE, server: on / off (median)`, `${ms(n['db.assignUpdateServiceRoleMs'])} / ${ms(n['db.assignUpdateServiceRoleNoTriggerMs'])}`, ''],
    [`trigger overhead (service role): server / round trip`, `${n['db.triggerOverheadRatioServiceRole']}× / ${n['db.triggerOverheadRatioServiceRoleRoundTrip']}×`, ''],
    [`unread count after writes (not vacuumed), server: median / p99`, `${ms(n['db.unreadCountAfterWritesMs'])} / ${ms(n['db.unreadCountAfterWritesP99Ms'])} (heap fetches ${n['db.unreadCountAfterWritesHeapFetches']})`, ''],
    ['benchmark wall time', `${n['db.totalSeconds']} s`, ''],
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...table.map((row) => row[column]!.length)));
  console.log(
    `\nDatabase: ${n['db.readRuns']} runs per read query, one user each (next page: users with more than one page); ` +
      `${n['db.triggerUpdates']} assignment UPDATEs per trigger variant and assigner, in blocks alternating on/off/off/on, ` +
      'half timed as round trips, half with EXPLAIN ANALYZE. Times: median / p95 / p99.',
  );
  for (const row of table) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  │  ').trimEnd());
  const labels: [keyof DatabasePlans, string][] = [
    ['unreadCount', UNREAD_COUNT_SQL],
    ['firstPage', FIRST_PAGE_SQL],
    ['nextPage', NEXT_PAGE_SQL],
    ['assignUpdate', `${ASSIGN_SQL} (as an account admin)`],
    ['assignUpdateServiceRole', `${ASSIGN_SQL} (as service_role)`],
  ];
  for (const [key, sql] of labels) console.log(`\nPlan, ${key}: ${sql}\n${figures.plans[key].replace(/^/gm, '  ')}`);
  if (figures.findings.length) console.log(`\nFindings:\n${figures.findings.map((line) => `  - ${line}`).join('\n')}`);
  console.log(`\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchDatabase({ log: (line) => console.error(`[db] ${line}`) });
  printFigures(figures);
}
