// The notification types of issue 11 at scale, for `npm run bench` (part `triggers`):
//   node --import tsx bench/triggers.ts
//
// A throw-away PostgreSQL 17 with the Supabase roles and every migration gets 1,000,000
// notifications of the three types over 10,000 users (some unread, some unseen, some archived),
// built with set-based SQL. Then, in the same run:
//   - counts: the unread and unseen counts of one user, as the badge asks PostgREST for them
//     (`select count(*) … where user_id = $1 and read_at is null and archived_at is null` under the
//     role authenticated with that user's claims, RLS on), and the first page of the inbox and of the
//     archive; server time (EXPLAIN ANALYZE's execution time) and round trip;
//   - triggers: what the message trigger adds to an inbound message INSERT written as the webhook
//     writes it (service role), both when it adds a row and when it folds the message into the unread
//     row (coalescing), beside what the assignment trigger (027's, as redefined by the migration)
//     adds to an assignment made through the API by an account admin. Each is the median server
//     time of the statement with its trigger enabled minus with it disabled, in alternating blocks
//     (A B B A …). The broadcast migration's trigger is off for all of them, as db's figure has it.
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { startLocalDatabase, type LocalDatabase } from '../supabase/local/database.js';
import { actAs, claimsOf, explain, formatPlan, indexNames, pickUsers, round, summarize, type Role, type Summary } from './sql-plans.js';

export interface TriggerBenchOptions {
  /** Users who receive notifications, in accounts of 20; a multiple of 40. Default 10,000. */
  users?: number;
  /** Notifications in total; a multiple of users. Default 1,000,000. */
  rows?: number;
  /** Users whose counts are timed (plus a discarded warm-up). Default 400. */
  countRuns?: number;
  /** Statements timed per variant (trigger on / off) of each write. Default 600. */
  writes?: number;
  /** Use this server (a fresh database is created on it and dropped). Default: an embedded PostgreSQL. */
  databaseUrl?: string;
  log?: (line: string) => void;
}

/** Numbers only, for bench/results.json: `triggers.*` and `counts.*`. Times in milliseconds. */
export interface TriggerFigures {
  triggers: {
    /** Message trigger's added time ÷ assignment trigger's added time, the worse of its two paths. Goal: under 1.5. */
    messageOverRatio: number;
    messageInsertRatio: number;
    messageCoalesceRatio: number;
    /** Median added server time: the assignment (admin through the API; service role beside it). */
    assignAddedMs: number;
    assignServiceRoleAddedMs: number;
    /** Median added server time of an inbound message that adds a row, and one folded into the unread row. */
    messageInsertAddedMs: number;
    messageCoalesceAddedMs: number;
    /** Statement server time with the trigger on / off: median, p95, p99. */
    assignOnMs: number;
    assignOnP95Ms: number;
    assignOnP99Ms: number;
    assignOffMs: number;
    assignOffP95Ms: number;
    assignOffP99Ms: number;
    assignServiceRoleOnMs: number;
    assignServiceRoleOffMs: number;
    messageInsertOnMs: number;
    messageInsertOnP95Ms: number;
    messageInsertOnP99Ms: number;
    messageCoalesceOnMs: number;
    messageCoalesceOnP95Ms: number;
    messageCoalesceOnP99Ms: number;
    messageOffMs: number;
    messageOffP95Ms: number;
    messageOffP99Ms: number;
    writesPerVariant: number;
  };
  counts: {
    rows: number;
    users: number;
    /** Median server time of the unread count of one user. Goal: under 1 ms. */
    unreadMs: number;
    unreadP95Ms: number;
    unreadP99Ms: number;
    unreadRoundTripMs: number;
    unreadRoundTripP99Ms: number;
    /** The same for the unseen count. Goal: under 1 ms. */
    unseenMs: number;
    unseenP95Ms: number;
    unseenP99Ms: number;
    unseenRoundTripMs: number;
    unseenRoundTripP99Ms: number;
    inboxFirstPageMs: number;
    inboxFirstPageP99Ms: number;
    archivedFirstPageMs: number;
    archivedFirstPageP99Ms: number;
    buildSeconds: number;
    runs: number;
  };
}

export interface TriggerBenchResult {
  figures: TriggerFigures;
  /** EXPLAIN (ANALYZE, BUFFERS) of one run of each statement, for printing. */
  plans: Record<string, string>;
  findings: string[];
  seconds: number;
}

export const TRIGGER_GOALS = {
  'triggers.messageOverRatio': { limit: 1.5, text: 'under 1.5× the assignment trigger' },
  'counts.unreadMs': { limit: 1, text: 'under 1 ms at 1,000,000 rows' },
  'counts.unseenMs': { limit: 1, text: 'under 1 ms at 1,000,000 rows' },
} as const;

// ---------------------------------------------------------------- the statements

/** The badge: supabase-js `.select('id', { count: 'exact', head: true })` with these filters. */
const UNREAD_SQL = 'select count(*) from public.notifications where user_id = $1 and read_at is null and archived_at is null';
const UNSEEN_SQL = 'select count(*) from public.notifications where user_id = $1 and seen_at is null and archived_at is null';
const COLUMNS =
  'id, account_id, user_id, type, conversation_id, contact_id, actor_user_id, title, body, data, read_at, seen_at, archived_at, created_at';
const INBOX_SQL = `select ${COLUMNS} from public.notifications where user_id = $1 and archived_at is null order by created_at desc, id desc limit 21`;
const ARCHIVED_SQL = `select ${COLUMNS} from public.notifications where user_id = $1 and archived_at is not null order by created_at desc, id desc limit 21`;
const ASSIGN_SQL = 'update public.conversations set assigned_agent_id = $1 where id = $2';
const MESSAGE_SQL = `insert into public.messages (conversation_id, sender_type, content_type, content_text) values ($1, 'customer', 'text', $2)`;

// ---------------------------------------------------------------- the data set

const USERS_PER_ACCOUNT = 20;
const CONVERSATIONS_PER_ACCOUNT = 100;

const uuidSql = (kind: string, indexSql: string) => `md5('types-${kind}-' || (${indexSql}))::uuid`;
function uuidOf(kind: string, index: number): string {
  const hex = createHash('md5').update(`types-${kind}-${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
/** Conversation c of its account is assigned to agent 2 + c % 18 of the account (0 owner, 1 admin). */
const assigneeIndexSql = (c: string) =>
  `(${c} / ${CONVERSATIONS_PER_ACCOUNT}) * ${USERS_PER_ACCOUNT} + 2 + (${c} % ${CONVERSATIONS_PER_ACCOUNT}) % ${USERS_PER_ACCOUNT - 2}`;

function peopleSql(users: number): string[] {
  const accounts = users / USERS_PER_ACCOUNT;
  const conversations = accounts * CONVERSATIONS_PER_ACCOUNT;
  return [
    `insert into auth.users (id, aud, role, email, created_at, updated_at)
     select ${uuidSql('user', 'u')}, 'authenticated', 'authenticated', 'agent' || u || '@types.test', now(), now()
     from generate_series(0, ${users - 1}) u`,
    `insert into public.accounts (id, name, owner_user_id)
     select ${uuidSql('account', 'a')}, 'Account ' || a, ${uuidSql('user', `a * ${USERS_PER_ACCOUNT}`)}
     from generate_series(0, ${accounts - 1}) a`,
    `insert into public.profiles (user_id, account_id, full_name, email, account_role)
     select ${uuidSql('user', 'u')}, ${uuidSql('account', `u / ${USERS_PER_ACCOUNT}`)}, 'Agent ' || u, 'agent' || u || '@types.test',
            (case u % ${USERS_PER_ACCOUNT} when 0 then 'owner' when 1 then 'admin' else 'agent' end)::public.account_role_enum
     from generate_series(0, ${users - 1}) u`,
    `insert into public.contacts (id, account_id, name, phone)
     select ${uuidSql('contact', 'c')}, ${uuidSql('account', `c / ${CONVERSATIONS_PER_ACCOUNT}`)}, 'Contact ' || c,
            '+55 11 9' || lpad(c::text, 8, '0')
     from generate_series(0, ${conversations - 1}) c`,
    `insert into public.conversations (id, account_id, contact_id, assigned_agent_id)
     select ${uuidSql('conversation', 'c')}, ${uuidSql('account', `c / ${CONVERSATIONS_PER_ACCOUNT}`)}, ${uuidSql('contact', 'c')},
            ${uuidSql('user', assigneeIndexSql('c'))}
     from generate_series(0, ${conversations - 1}) c`,
  ];
}

/**
 * The notifications of users u ≡ part (mod parts): 100 ± d each (paired, so the total is exact),
 * newest first over 180 days; 7 in 10 assignments, 2 in 10 messages, 1 in 10 deals, each with its
 * data. Each user has 0 to 7 unread and 0 to 3 unseen among the newest; one user in 97 never reads;
 * one user in 3 archived the oldest 30 % of what they had read.
 */
function notificationsSql(users: number, rows: number, part: number, parts: number): string {
  const mean = rows / users;
  const spread = Math.max(1, Math.floor(mean * 0.91));
  return `
    insert into public.notifications
      (account_id, user_id, type, conversation_id, contact_id, actor_user_id, title, body, data, read_at, seen_at, archived_at, created_at)
    select ${uuidSql('account', `u / ${USERS_PER_ACCOUNT}`)}, ${uuidSql('user', 'u')}, p.type,
           ${uuidSql('conversation', 'p.c')}, ${uuidSql('contact', 'p.c')},
           case when p.type = 'message_received' then null else ${uuidSql('user', 'p.actor')} end,
           case p.type when 'message_received' then 'New message from Contact ' || p.c
                       when 'deal_updated' then 'Deal updated' else 'New conversation assigned' end,
           case p.type when 'message_received' then 'Is the blue one back in stock?'
                       when 'deal_updated' then 'Agent ' || p.actor || ' moved Deal ' || p.c || ' to Proposal'
                       else 'Agent ' || p.actor || ' assigned you a conversation with Contact ' || p.c end,
           case p.type
             when 'message_received' then jsonb_build_object('contact_name', 'Contact ' || p.c, 'excerpt', 'Is the blue one back in stock?',
                                                            'content_type', 'text', 'message_count', 1 + i % 3)
             when 'deal_updated' then jsonb_build_object('actor_name', 'Agent ' || p.actor, 'deal_id', ${uuidSql('deal', 'p.c')},
                                                        'deal_title', 'Deal ' || p.c, 'change', 'stage', 'stage_name', 'Proposal', 'status', 'open')
             else jsonb_build_object('actor_name', 'Agent ' || p.actor, 'contact_name', 'Contact ' || p.c) end,
           case when s.never or i <= s.unread then null else p.created + interval '1 hour' end,
           case when i <= s.unseen then null else p.created + interval '5 minutes' end,
           case when u % 3 = 0 and i > s.total * 0.7 and not (s.never or i <= s.unread) then p.created + interval '2 days' end,
           p.created
    from generate_series(${part}, ${users - 1}, ${parts}) u
    cross join lateral (
      select ${mean} + case when u % 2 = 1 then 1 else -1 end * (((u / 2) * 37) % ${spread}) as total,
             (u * 7919) % 8 as unread, (u * 31) % 4 as unseen, u % 97 = 0 as never
    ) s
    cross join lateral generate_series(1, s.total) i
    cross join lateral (
      select (u / ${USERS_PER_ACCOUNT}) * ${CONVERSATIONS_PER_ACCOUNT} + (i * 13 + u) % ${CONVERSATIONS_PER_ACCOUNT} as c,
             (u / ${USERS_PER_ACCOUNT}) * ${USERS_PER_ACCOUNT} + (u + 1 + i % ${USERS_PER_ACCOUNT - 1}) % ${USERS_PER_ACCOUNT} as actor,
             case i % 10 when 7 then 'message_received' when 8 then 'message_received' when 9 then 'deal_updated'
                  else 'conversation_assigned' end as type,
             now() - interval '180 days' * ((i - 1) + random()) / s.total as created
    ) p`;
}

// ---------------------------------------------------------------- the benchmark

export async function benchTriggers(options: TriggerBenchOptions = {}): Promise<TriggerBenchResult> {
  const users = options.users ?? 10_000;
  const rows = options.rows ?? 1_000_000;
  const countRuns = options.countRuns ?? 400;
  const writes = options.writes ?? 600;
  const log = options.log ?? (() => undefined);
  if (users % (2 * USERS_PER_ACCOUNT) !== 0 || rows % users !== 0) {
    throw new Error(`benchTriggers: users must be a multiple of ${2 * USERS_PER_ACCOUNT} and rows a multiple of users`);
  }
  const started = performance.now();
  const findings: string[] = [];
  const plans: Record<string, string> = {};

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

    // ---- build: triggers off (the notify triggers would write for the seeded assignments).
    const buildStarted = performance.now();
    for (const client of [main, helper]) await client.query('set session_replication_role = replica');
    for (const statement of peopleSql(users)) await main.query(statement);
    await Promise.all(
      [main, helper].map(async (client, part) => {
        await client.query(`select setseed(${0.2 * (part + 1)})`);
        await client.query(notificationsSql(users, rows, part, 2));
      }),
    );
    for (const client of [main, helper]) await client.query('reset session_replication_role');
    await main.query('vacuum (analyze) public.notifications, public.conversations, public.contacts, public.profiles, public.accounts, public.messages, auth.users');
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    const { rows: counted } = await main.query<{ total: string; unread: string; unseen: string; archived: string }>(`
      select count(*) as total,
             count(*) filter (where read_at is null and archived_at is null) as unread,
             count(*) filter (where seen_at is null and archived_at is null) as unseen,
             count(*) filter (where archived_at is not null) as archived
      from public.notifications`);
    const total = Number(counted[0]!.total);
    if (total !== rows) throw new Error(`build: ${total} rows, wanted ${rows}`);
    log(
      `built ${total.toLocaleString('en')} notifications (${Number(counted[0]!.unread).toLocaleString('en')} unread, ` +
        `${Number(counted[0]!.unseen).toLocaleString('en')} unseen, ${Number(counted[0]!.archived).toLocaleString('en')} archived) ` +
        `over ${users.toLocaleString('en')} users in ${round(buildSeconds, 1)} s`,
    );

    // ---- counts and first pages, as the user.
    const counts = await measureReads(main, users, countRuns, plans, findings);
    log(`counts and first pages: ${countRuns} users`);

    // ---- triggers
    await helper.query('alter table public.notifications disable trigger notifications_broadcast');
    const accounts = users / USERS_PER_ACCOUNT;
    const conversations = accounts * CONVERSATIONS_PER_ACCOUNT;
    const assign = await measureAssignments(main, helper, accounts, writes, 'authenticated', plans, findings);
    const assignService = await measureAssignments(main, helper, accounts, writes, 'service_role', plans, findings);
    const message = await measureMessages(main, helper, conversations, writes, plans, findings);
    await helper.query('alter table public.notifications enable trigger notifications_broadcast');
    log(`writes: ${writes} per variant for assignments (admin, service role) and inbound messages (new row, folded)`);

    const assignAdded = assign.on.median - assign.off.median;
    const insertAdded = message.insert.median - message.off.median;
    const coalesceAdded = message.coalesce.median - message.off.median;
    const figures: TriggerFigures = {
      triggers: {
        messageOverRatio: round(Math.max(insertAdded, coalesceAdded) / assignAdded, 2),
        messageInsertRatio: round(insertAdded / assignAdded, 2),
        messageCoalesceRatio: round(coalesceAdded / assignAdded, 2),
        assignAddedMs: round(assignAdded),
        assignServiceRoleAddedMs: round(assignService.on.median - assignService.off.median),
        messageInsertAddedMs: round(insertAdded),
        messageCoalesceAddedMs: round(coalesceAdded),
        assignOnMs: round(assign.on.median),
        assignOnP95Ms: round(assign.on.p95),
        assignOnP99Ms: round(assign.on.p99),
        assignOffMs: round(assign.off.median),
        assignOffP95Ms: round(assign.off.p95),
        assignOffP99Ms: round(assign.off.p99),
        assignServiceRoleOnMs: round(assignService.on.median),
        assignServiceRoleOffMs: round(assignService.off.median),
        messageInsertOnMs: round(message.insert.median),
        messageInsertOnP95Ms: round(message.insert.p95),
        messageInsertOnP99Ms: round(message.insert.p99),
        messageCoalesceOnMs: round(message.coalesce.median),
        messageCoalesceOnP95Ms: round(message.coalesce.p95),
        messageCoalesceOnP99Ms: round(message.coalesce.p99),
        messageOffMs: round(message.off.median),
        messageOffP95Ms: round(message.off.p95),
        messageOffP99Ms: round(message.off.p99),
        writesPerVariant: writes,
      },
      counts: {
        rows: total,
        users,
        unreadMs: round(counts.unread.server.median),
        unreadP95Ms: round(counts.unread.server.p95),
        unreadP99Ms: round(counts.unread.server.p99),
        unreadRoundTripMs: round(counts.unread.roundTrip.median),
        unreadRoundTripP99Ms: round(counts.unread.roundTrip.p99),
        unseenMs: round(counts.unseen.server.median),
        unseenP95Ms: round(counts.unseen.server.p95),
        unseenP99Ms: round(counts.unseen.server.p99),
        unseenRoundTripMs: round(counts.unseen.roundTrip.median),
        unseenRoundTripP99Ms: round(counts.unseen.roundTrip.p99),
        inboxFirstPageMs: round(counts.inbox.server.median),
        inboxFirstPageP99Ms: round(counts.inbox.server.p99),
        archivedFirstPageMs: round(counts.archived.server.median),
        archivedFirstPageP99Ms: round(counts.archived.server.p99),
        buildSeconds: round(buildSeconds, 1),
        runs: countRuns,
      },
    };
    const check: [string, number][] = [
      ['triggers.messageOverRatio', figures.triggers.messageOverRatio],
      ['counts.unreadMs', figures.counts.unreadMs],
      ['counts.unseenMs', figures.counts.unseenMs],
    ];
    for (const [key, value] of check) {
      const goal = TRIGGER_GOALS[key as keyof typeof TRIGGER_GOALS];
      if (!(value < goal.limit)) findings.push(`${key} = ${value} misses its goal (${goal.text}).`);
    }
    return { figures, plans, findings, seconds: round((performance.now() - started) / 1000, 1) };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await database.stop();
  }
}

interface Timed {
  server: Summary;
  roundTrip: Summary;
}

async function measureReads(client: pg.Client, users: number, runs: number, plans: Record<string, string>, findings: string[]) {
  const warmUp = Math.min(40, runs);
  const statements = { unread: UNREAD_SQL, unseen: UNSEEN_SQL, inbox: INBOX_SQL, archived: ARCHIVED_SQL } as const;
  type Kind = keyof typeof statements;
  const kinds = Object.keys(statements) as Kind[];
  const server = Object.fromEntries(kinds.map((kind) => [kind, [] as number[]])) as Record<Kind, number[]>;
  const roundTrip = Object.fromEntries(kinds.map((kind) => [kind, [] as number[]])) as Record<Kind, number[]>;
  const indexes = Object.fromEntries(kinds.map((kind) => [kind, new Set<string>()])) as Record<Kind, Set<string>>;
  for (const [run, index] of pickUsers(users, runs + warmUp, 20_261_204).entries()) {
    const sub = uuidOf('user', index);
    await client.query('begin');
    try {
      await actAs(client, 'authenticated', claimsOf('authenticated', sub));
      for (const kind of kinds) {
        const sql = statements[kind];
        const before = performance.now();
        await client.query(sql, [sub]);
        const took = performance.now() - before;
        const explained = await explain(client, sql, [sub]);
        if (run < warmUp) continue;
        roundTrip[kind].push(took);
        server[kind].push(explained['Execution Time']);
        indexes[kind].add(indexNames(explained.Plan).join(' '));
        if (!plans[kind]) plans[kind] = formatPlan(await explain(client, sql, [sub], true));
      }
    } finally {
      await client.query('rollback');
    }
  }
  for (const kind of ['unread', 'unseen'] as const) {
    const shapes = [...indexes[kind]];
    if (!shapes.every((shape) => shape === 'Index Only Scan(idx_notifications_user_attention)')) {
      findings.push(`${kind} count: not always an index-only scan of idx_notifications_user_attention: ${shapes.join('; ')}`);
    }
  }
  const timed = (kind: Kind): Timed => ({ server: summarize(server[kind]), roundTrip: summarize(roundTrip[kind]) });
  return { unread: timed('unread'), unseen: timed('unseen'), inbox: timed('inbox'), archived: timed('archived') };
}

/**
 * `perVariant` timed statements with `trigger` on `table` enabled and as many with it disabled,
 * in blocks of 50 alternating A B B A …, each statement in its own committed transaction, timed
 * by EXPLAIN ANALYZE (server time of the statement, its triggers and foreign-key checks).
 */
async function alternate(
  admin: pg.Client,
  table: string,
  trigger: string,
  perVariant: number,
  run: (variant: 'on' | 'off', index: number) => Promise<number>,
) {
  const perBlock = Math.min(50, perVariant);
  const blocks = Math.ceil(perVariant / perBlock);
  const samples = { on: [] as number[], off: [] as number[] };
  let counter = 0;
  let onRuns = 0;
  for (let block = 0; block < 2 * blocks; block++) {
    const variant = Math.floor((block + 1) / 2) % 2 === 0 ? 'on' : 'off';
    await admin.query(`alter table ${table} ${variant === 'on' ? 'enable' : 'disable'} trigger ${trigger}`);
    for (let warm = 0; warm < 3 + perBlock; warm++) {
      const ms = await run(variant, counter++);
      if (warm >= 3) samples[variant].push(ms);
      if (variant === 'on') onRuns++;
    }
  }
  await admin.query(`alter table ${table} enable trigger ${trigger}`);
  return { on: summarize(samples.on), off: summarize(samples.off), onRuns };
}

const countOf = async (admin: pg.Client, where: string, params: unknown[] = []) =>
  Number((await admin.query<{ n: string }>(`select count(*) as n from public.notifications where ${where}`, params)).rows[0]!.n);

/** Assignments as 027's figure has them: conversation c moves between two agents of its account. */
async function measureAssignments(
  client: pg.Client,
  admin: pg.Client,
  accounts: number,
  perVariant: number,
  role: Role,
  plans: Record<string, string>,
  findings: string[],
) {
  const targets = Array.from({ length: Math.min(2_000, accounts * 4) }, (_, index) => {
    const account = (index * 7) % accounts;
    const c = account * CONVERSATIONS_PER_ACCOUNT + (Math.floor(index / accounts) * 11) % CONVERSATIONS_PER_ACCOUNT;
    const agent = (offset: number) => uuidOf('user', account * USERS_PER_ACCOUNT + offset);
    return { id: uuidOf('conversation', c), assigner: agent(1), assignees: [agent(2), agent(3)], turn: 0 };
  });
  // Every target starts on its second assignee, so that each update moves it to the other one
  // (an unchanged assignee would leave the trigger nothing to do).
  await admin.query('set session_replication_role = replica');
  await admin.query(
    'update public.conversations c set assigned_agent_id = t.assignee from unnest($1::uuid[], $2::uuid[]) t (id, assignee) where c.id = t.id',
    [targets.map((target) => target.id), targets.map((target) => target.assignees[1])],
  );
  await admin.query('reset session_replication_role');
  let next = 0;
  const once = async (detailed = false) => {
    const target = targets[next++ % targets.length]!;
    const assignee = target.assignees[target.turn++ % 2]!;
    await client.query('begin');
    try {
      await actAs(client, role, claimsOf(role, role === 'authenticated' ? target.assigner : undefined));
      const explained = await explain(client, ASSIGN_SQL, [assignee, target.id], detailed);
      await client.query('commit');
      return explained;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  };
  const before = await countOf(admin, `type = 'conversation_assigned'`);
  const result = await alternate(admin, 'public.conversations', 'on_conversation_assigned', perVariant, async () =>
    (await once())['Execution Time'],
  );
  const written = (await countOf(admin, `type = 'conversation_assigned'`)) - before;
  if (written !== result.onRuns) {
    findings.push(`assignments (${role}): ${written} notifications for ${result.onRuns} assignments with the trigger on`);
  }
  plans[role === 'authenticated' ? 'assignment (admin)' : 'assignment (service role)'] = formatPlan(await once(true));
  return result;
}

/**
 * Inbound messages written as the webhook writes them (service role): to conversations whose
 * assignee has no unread message notification for them (the trigger adds a row), and to
 * conversations that have one (the trigger folds the message into it).
 */
async function measureMessages(
  client: pg.Client,
  admin: pg.Client,
  conversations: number,
  perVariant: number,
  plans: Record<string, string>,
  findings: string[],
) {
  // Fresh conversations for the "new row" path: every one used once. Folding targets: 200
  // conversations, each given its unread message row before the timing starts.
  const freshNeeded = 2 * perVariant + 200;
  const stride = Math.max(1, Math.floor(conversations / (freshNeeded + 400)));
  const pick = (index: number) => uuidOf('conversation', (index * stride) % conversations);
  const fresh = Array.from({ length: freshNeeded }, (_, index) => pick(index));
  const folding = Array.from({ length: 200 }, (_, index) => pick(freshNeeded + index));
  await admin.query(
    `update public.notifications n set read_at = now()
     from public.conversations c
     where c.id = any($1::uuid[]) and n.user_id = c.assigned_agent_id and n.conversation_id = c.id
       and n.type = 'message_received' and n.read_at is null`,
    [[...fresh, ...folding]],
  );
  for (const conversation of folding) {
    await client.query(`begin; set local role service_role`);
    await client.query(MESSAGE_SQL, [conversation, 'First']);
    await client.query('commit');
  }
  await admin.query('vacuum (analyze) public.notifications, public.messages');

  let next = 0;
  const send = async (conversation: string, detailed = false) => {
    await client.query('begin');
    try {
      await actAs(client, 'service_role', claimsOf('service_role'));
      const explained = await explain(client, MESSAGE_SQL, [conversation, 'Is the blue one back in stock?'], detailed);
      await client.query('commit');
      return explained;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  };
  // With the trigger disabled both paths are the same bare INSERT: the baseline is both "off" sets.
  const messageRows = () => countOf(admin, `type = 'message_received'`);
  const before = await messageRows();
  const inserted = await alternate(admin, 'public.messages', 'on_message_received', perVariant, async () =>
    (await send(fresh[next++ % fresh.length]!))['Execution Time'],
  );
  if (next > fresh.length) findings.push(`messages: ${next} sends for ${fresh.length} fresh conversations (some folded)`);
  const added = (await messageRows()) - before;
  if (added !== inserted.onRuns) findings.push(`messages, new row: ${added} rows for ${inserted.onRuns} messages with the trigger on`);
  let fold = 0;
  const folded = await alternate(admin, 'public.messages', 'on_message_received', perVariant, async () =>
    (await send(folding[fold++ % folding.length]!))['Execution Time'],
  );
  plans['inbound message, new row (service role)'] = formatPlan(await send(fresh[next++ % fresh.length]!, true));
  plans['inbound message, folded (service role)'] = formatPlan(await send(folding[0]!, true));

  const { rows } = await admin.query<{ rows: string; folded: string }>(
    `select count(*) as rows, coalesce(sum((data ->> 'message_count')::int), 0) as folded
     from public.notifications n join public.conversations c on c.id = n.conversation_id and c.assigned_agent_id = n.user_id
     where c.id = any($1::uuid[]) and n.type = 'message_received' and n.read_at is null`,
    [folding],
  );
  if (Number(rows[0]!.rows) !== folding.length || Number(rows[0]!.folded) !== folding.length + 1 + folded.onRuns) {
    findings.push(
      `folding: ${rows[0]!.rows} unread message rows counting ${rows[0]!.folded} messages for ${folding.length} conversations ` +
        `(expected one each, counting ${folding.length + 1 + folded.onRuns}: the first, the plan's, and ${folded.onRuns} folded)`,
    );
  }
  return {
    insert: inserted.on,
    coalesce: folded.on,
    // Both "off" sets time the same bare INSERT; their median over both blocks is the baseline.
    off: summarizeBoth(inserted.off, folded.off),
  };
}

/** The baseline of the two message measurements: the mean of their medians and percentiles. */
function summarizeBoth(a: Summary, b: Summary): Summary {
  return { median: (a.median + b.median) / 2, p95: (a.p95 + b.p95) / 2, p99: (a.p99 + b.p99) / 2 };
}

// ---------------------------------------------------------------- CLI

export function formatTriggerFigures(result: TriggerBenchResult): string {
  const t = result.figures.triggers;
  const c = result.figures.counts;
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const triple = (a: number, b: number, d: number) => `${ms(a)} / ${ms(b)} / ${ms(d)}`;
  const table: [string, string, string][] = [
    [`unread count, server (median / p95 / p99; ${c.rows.toLocaleString('en')} rows, ${c.users.toLocaleString('en')} users)`, triple(c.unreadMs, c.unreadP95Ms, c.unreadP99Ms), TRIGGER_GOALS['counts.unreadMs'].text],
    ['unseen count, server (median / p95 / p99)', triple(c.unseenMs, c.unseenP95Ms, c.unseenP99Ms), TRIGGER_GOALS['counts.unseenMs'].text],
    ['unread / unseen count, round trip (median)', `${ms(c.unreadRoundTripMs)} / ${ms(c.unseenRoundTripMs)}`, ''],
    ['inbox / archive first page (21 rows), server (median)', `${ms(c.inboxFirstPageMs)} / ${ms(c.archivedFirstPageMs)}`, ''],
    ['assignment UPDATE (admin), trigger on: median / p95 / p99', triple(t.assignOnMs, t.assignOnP95Ms, t.assignOnP99Ms), ''],
    ['assignment UPDATE (admin), trigger off: median / p95 / p99', triple(t.assignOffMs, t.assignOffP95Ms, t.assignOffP99Ms), ''],
    ['inbound message INSERT (service role), new row: median / p95 / p99', triple(t.messageInsertOnMs, t.messageInsertOnP95Ms, t.messageInsertOnP99Ms), ''],
    ['inbound message INSERT (service role), folded: median / p95 / p99', triple(t.messageCoalesceOnMs, t.messageCoalesceOnP95Ms, t.messageCoalesceOnP99Ms), ''],
    ['inbound message INSERT, trigger off: median / p95 / p99', triple(t.messageOffMs, t.messageOffP95Ms, t.messageOffP99Ms), ''],
    ['added by the trigger: assignment (admin; service role)', `${ms(t.assignAddedMs)} (${ms(t.assignServiceRoleAddedMs)})`, ''],
    ['added by the trigger: message, new row / folded', `${ms(t.messageInsertAddedMs)} / ${ms(t.messageCoalesceAddedMs)}`, ''],
    ['message trigger ÷ assignment trigger: new row / folded (worse)', `${t.messageInsertRatio}× / ${t.messageCoalesceRatio}× (${t.messageOverRatio}×)`, TRIGGER_GOALS['triggers.messageOverRatio'].text],
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...table.map((row) => row[column]!.length)));
  const lines = table.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  │  ').trimEnd());
  for (const [name, plan] of Object.entries(result.plans)) lines.push(`\nPlan, ${name}:\n${plan.replace(/^/gm, '  ')}`);
  if (result.findings.length) lines.push(`\nFindings:\n${result.findings.map((line) => `  - ${line}`).join('\n')}`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchTriggers({ log: (line) => console.error(`[triggers] ${line}`) });
  console.log(`\n${formatTriggerFigures(result)}`);
  console.log(`\n${result.seconds} s on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
}
