// Helpers for the SQL behaviour suite: a fresh Supabase-shaped database per test file, and
// transactions that act as PostgREST does for each API role (`set local role` plus the JWT claims
// in request.jwt.claims), rolled back after each test so tests never see each other's rows.
import { after, before } from 'node:test';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { startLocalDatabase, type LocalDatabase } from '../local/database.js';
import { platformFile, runSqlFile } from '../local/migrate.js';

export type Actor =
  | { role: 'anon' }
  | { role: 'authenticated'; sub: string }
  | { role: 'service_role' }
  /** The database owner with no request claims: a migration, a cron job, a webhook handler. */
  | { role: 'postgres' };

export interface TestDatabase {
  database: LocalDatabase;
  pool: pg.Pool;
  stop(): Promise<void>;
}

/** A fresh database for the calling test file: started before its tests, stopped after them. */
export function useTestDatabase(): TestDatabase {
  let current: TestDatabase | undefined;
  before(async () => {
    current = await startTestDatabase();
  });
  after(async () => {
    await current?.stop();
  });
  const started = () => {
    if (!current) throw new Error('the test database starts in before(); use it inside tests');
    return current;
  };
  return {
    get database() {
      return started().database;
    },
    get pool() {
      return started().pool;
    },
    stop: () => started().stop(),
  };
}

export async function startTestDatabase(): Promise<TestDatabase> {
  const database = await startLocalDatabase({ fresh: true, seed: false });
  const pool = new pg.Pool({ connectionString: database.databaseUrl, max: 4 });
  return {
    database,
    pool,
    stop: async () => {
      await pool.end();
      await database.stop();
    },
  };
}

/**
 * A second database on the test file's server, with Supabase's own objects (platform.sql) and
 * nothing else, for a schema of the test's own; dropped afterwards.
 */
export async function withScratchDatabase(
  db: TestDatabase,
  name: string,
  work: (client: pg.Client) => Promise<void>,
): Promise<void> {
  await db.pool.query(`drop database if exists ${name} with (force)`);
  await db.pool.query(`create database ${name}`);
  const url = new URL(db.database.databaseUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await runSqlFile(client, platformFile);
    await work(client);
  } finally {
    await client.end();
    await db.pool.query(`drop database if exists ${name} with (force)`);
  }
}

/**
 * Runs a SQL file in one transaction, as runSqlFile does, and tells whether it wrote anything at
 * all: Postgres gives a transaction an id at its first write of any kind (a catalog row for a new
 * or altered object, a grant, a table row), so a transaction without one changed nothing.
 */
export async function runSqlFileWatchingWrites(client: pg.ClientBase, path: string): Promise<{ wrote: boolean }> {
  const sql = await readFile(path, 'utf8');
  await client.query('begin');
  try {
    await client.query(sql);
    const { rows } = await client.query('select pg_current_xact_id_if_assigned() is not null as wrote');
    await client.query('commit');
    return { wrote: rows[0].wrote };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

/**
 * Everything a migration can change about the public schema, in a comparable form: relations with
 * their RLS flags, replica identity, owner and ACL; columns; constraints; indexes with their
 * definitions; policies with command, mode, roles and expressions; triggers; functions with their
 * definitions and ACLs; types with their enum labels; default privileges; the publication.
 */
export async function catalogState(client: pg.ClientBase) {
  const { rows } = await client.query(`
    select jsonb_build_object(
      'schema_acl', (select nspacl::text from pg_namespace where oid = 'public'::regnamespace),
      'relations', (select jsonb_agg(jsonb_build_object('name', c.relname, 'kind', c.relkind,
                   'rls', c.relrowsecurity, 'force_rls', c.relforcerowsecurity,
                   'replica_identity', c.relreplident, 'owner', c.relowner::regrole::text, 'acl', c.relacl::text)
                   order by c.relname)
                 from pg_class c where c.relnamespace = 'public'::regnamespace),
      'columns', (select jsonb_agg(jsonb_build_object('table', a.attrelid::regclass::text, 'name', a.attname,
                   'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
                   'default', pg_get_expr(d.adbin, d.adrelid), 'acl', a.attacl::text)
                   order by a.attrelid::regclass::text, a.attnum)
                 from pg_attribute a
                 join pg_class c on c.oid = a.attrelid
                 left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                 where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped),
      'constraints', (select jsonb_agg(jsonb_build_object('table', conrelid::regclass::text, 'name', conname,
                   'definition', pg_get_constraintdef(oid)) order by conrelid::regclass::text, conname)
                 from pg_constraint where connamespace = 'public'::regnamespace),
      'indexes', (select jsonb_agg(jsonb_build_object('definition', pg_get_indexdef(i.indexrelid),
                   'valid', i.indisvalid) order by c.relname)
                 from pg_index i join pg_class c on c.oid = i.indexrelid
                 where c.relnamespace = 'public'::regnamespace),
      'policies', (select jsonb_agg(jsonb_build_object('table', tablename, 'name', policyname, 'cmd', cmd,
                   'permissive', permissive, 'roles', roles, 'using', qual, 'check', with_check)
                   order by tablename, policyname)
                 from pg_policies where schemaname = 'public'),
      'triggers', (select jsonb_agg(jsonb_build_object('definition', pg_get_triggerdef(t.oid),
                   'enabled', t.tgenabled) order by c.relname, t.tgname)
                 from pg_trigger t join pg_class c on c.oid = t.tgrelid
                 where c.relnamespace = 'public'::regnamespace and not t.tgisinternal),
      'functions', (select jsonb_agg(jsonb_build_object('signature', p.oid::regprocedure::text,
                   'definition', pg_get_functiondef(p.oid), 'owner', p.proowner::regrole::text, 'acl', p.proacl::text)
                   order by p.oid::regprocedure::text)
                 from pg_proc p where p.pronamespace = 'public'::regnamespace),
      'types', (select jsonb_agg(jsonb_build_object('name', t.typname, 'kind', t.typtype,
                   'labels', (select jsonb_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid),
                   'owner', t.typowner::regrole::text, 'acl', t.typacl::text) order by t.typname)
                 from pg_type t
                 where t.typnamespace = 'public'::regnamespace
                   -- not the row type of every table, nor the array type of every type
                   and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c')
                   and not exists (select 1 from pg_type e where e.typarray = t.oid)),
      'default_privileges', (select jsonb_agg(jsonb_build_object('role', defaclrole::regrole::text,
                   'kind', defaclobjtype, 'acl', defaclacl::text) order by defaclrole::regrole::text, defaclobjtype)
                 from pg_default_acl where defaclnamespace in (0, 'public'::regnamespace)),
      'publication', (select jsonb_agg(schemaname || '.' || tablename order by schemaname, tablename)
                 from pg_publication_tables where pubname = 'supabase_realtime'),
      -- Who may join which Realtime topic: the policies on realtime.messages.
      'realtime_policies', (select jsonb_agg(jsonb_build_object('table', tablename, 'name', policyname, 'cmd', cmd,
                   'permissive', permissive, 'roles', roles, 'using', qual, 'check', with_check)
                   order by tablename, policyname)
                 from pg_policies where schemaname = 'realtime')
    ) as state`);
  return rows[0].state;
}

/** Runs `work` in a transaction that is always rolled back. */
export async function rolledBack<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    return await work(client);
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.release();
  }
}

/** From here on in this transaction, statements run as `actor`, exactly as PostgREST sets it up. */
export async function actAs(client: pg.ClientBase, actor: Actor): Promise<void> {
  if (actor.role === 'postgres') {
    await client.query("reset role; select set_config('request.jwt.claims', '', true)");
    return;
  }
  const claims = actor.role === 'authenticated' ? { sub: actor.sub, role: actor.role } : { role: actor.role };
  await client.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [
    actor.role,
    JSON.stringify(claims),
  ]);
}

/**
 * Runs one statement as `actor` inside a savepoint and returns its result or its Postgres error,
 * switching back to the owner afterwards so the test can look at the real state.
 */
export async function tryAs(
  client: pg.ClientBase,
  actor: Actor,
  sql: string,
  params: unknown[] = [],
): Promise<{ rows: Record<string, unknown>[]; rowCount: number; error?: pg.DatabaseError }> {
  await client.query('savepoint attempt');
  try {
    await actAs(client, actor);
    const result = await client.query(sql, params);
    await client.query('release savepoint attempt');
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } catch (error) {
    await client.query('rollback to savepoint attempt');
    if (error instanceof pg.DatabaseError) return { rows: [], rowCount: 0, error };
    throw error;
  } finally {
    await actAs(client, { role: 'postgres' });
  }
}

/** The request claims of `actor`, as its JWT would carry them. */
function claimsOf(actor: Exclude<Actor, { role: 'postgres' }>): { role: string; sub?: string } {
  return actor.role === 'authenticated' ? { sub: actor.sub, role: actor.role } : { role: actor.role };
}

/**
 * Sets what Realtime sets before it checks a channel's policies (lib/realtime/tenants/authorization.ex
 * set_conn_config): the role, the topic and the JWT claims, all local to the transaction.
 */
async function setRealtimeContext(client: pg.ClientBase, actor: Exclude<Actor, { role: 'postgres' }>, topic: string) {
  const claims = claimsOf(actor);
  await client.query(
    `select set_config('role', $1, true), set_config('realtime.topic', $2, true),
            set_config('request.jwt.claims', $3, true), set_config('request.jwt.claim.sub', $4, true),
            set_config('request.jwt.claim.role', $1, true), set_config('request.headers', '{}', true)`,
    [claims.role, topic, JSON.stringify(claims), claims.sub ?? null],
  );
}

/**
 * What Realtime decides when `actor` joins the private channel `topic`, checked the way Realtime
 * does it: probe messages for broadcast and presence inserted as the admin, then selected back under
 * the joiner's role and claims, then undone. The join succeeds when either is readable. Runs in a
 * savepoint so that it sees the caller's uncommitted rows; Realtime uses a transaction of its own.
 */
export async function realtimeJoin(
  client: pg.ClientBase,
  actor: Exclude<Actor, { role: 'postgres' }>,
  topic: string,
): Promise<{ broadcast: boolean; presence: boolean }> {
  await client.query('savepoint realtime_join');
  try {
    const { rows: probes } = await client.query<{ id: string; extension: 'broadcast' | 'presence' }>(
      `insert into realtime.messages (id, topic, extension)
       values (gen_random_uuid(), $1, 'broadcast'), (gen_random_uuid(), $1, 'presence')
       returning id, extension`,
      [topic],
    );
    await setRealtimeContext(client, actor, topic);
    const { rows } = await client.query<{ id: string }>('select id from realtime.messages where id = any($1::uuid[])', [
      probes.map((probe) => probe.id),
    ]);
    const readable = new Set(rows.map((row) => row.id));
    const read = (extension: string) => probes.some((probe) => probe.extension === extension && readable.has(probe.id));
    return { broadcast: read('broadcast'), presence: read('presence') };
  } finally {
    await client.query('rollback to savepoint realtime_join');
    await client.query('release savepoint realtime_join');
  }
}

/**
 * Whether `actor` may send to `topic` from a client (a channel push or the REST broadcast route),
 * checked as Realtime does: an insert of a broadcast message under the sender's role and claims,
 * where insufficient_privilege (no INSERT policy allows it) means no. Undone either way.
 */
export async function realtimeCanSend(
  client: pg.ClientBase,
  actor: Exclude<Actor, { role: 'postgres' }>,
  topic: string,
): Promise<boolean> {
  await client.query('savepoint realtime_send');
  try {
    await setRealtimeContext(client, actor, topic);
    await client.query(`insert into realtime.messages (topic, extension, private) values ($1, 'broadcast', true)`, [topic]);
    return true;
  } catch (error) {
    if (error instanceof pg.DatabaseError && error.code === '42501') return false;
    throw error;
  } finally {
    await client.query('rollback to savepoint realtime_send');
    await client.query('release savepoint realtime_send');
  }
}

/** Runs `work` and returns the WARNINGs Postgres sent this client meanwhile. */
export async function warningsDuring(client: pg.ClientBase, work: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = [];
  const collect = (notice: { severity?: string; message?: string }) => {
    if (notice.severity === 'WARNING') warnings.push(notice.message ?? '');
  };
  client.on('notice', collect);
  try {
    await work();
  } finally {
    client.off('notice', collect);
  }
  return warnings;
}

/** A small Wacrm world, built with SQL as the owner (inside the caller's transaction). */
export class World {
  constructor(private readonly client: pg.ClientBase) {}

  async account(name = 'Acme'): Promise<string> {
    return this.insert('insert into public.accounts (name) values ($1) returning id', [name]);
  }

  /** A user with a profile in `accountId`; `fullName` may be blank on purpose. */
  async agent(accountId: string, fullName = 'Agent', role = 'agent'): Promise<string> {
    const id = randomUUID();
    await this.client.query(
      `insert into auth.users (id, aud, role, email, created_at, updated_at)
       values ($1, 'authenticated', 'authenticated', $2, now(), now())`,
      [id, `${id}@example.test`],
    );
    await this.client.query(
      'insert into public.profiles (user_id, account_id, full_name, account_role) values ($1, $2, $3, $4)',
      [id, accountId, fullName, role],
    );
    return id;
  }

  /** A user of Auth with no profile in any account. */
  async userWithoutProfile(): Promise<string> {
    const id = randomUUID();
    await this.client.query(`insert into auth.users (id, email) values ($1, $2)`, [id, `${id}@example.test`]);
    return id;
  }

  async contact(accountId: string, name: string | null = 'Maria Silva', phone = '+55 11 91234-0001'): Promise<string> {
    return this.insert('insert into public.contacts (account_id, name, phone) values ($1, $2, $3) returning id', [
      accountId,
      name,
      phone,
    ]);
  }

  async conversation(accountId: string, contactId: string, assignee: string | null = null): Promise<string> {
    return this.insert(
      'insert into public.conversations (account_id, contact_id, assigned_agent_id) values ($1, $2, $3) returning id',
      [accountId, contactId, assignee],
    );
  }

  /** A notification written directly, as an admin backfill would (no trigger involved). */
  async notification(
    accountId: string,
    userId: string,
    fields: { readAt?: string | null; createdAt?: string; seenAt?: string | null; archivedAt?: string | null } = {},
  ) {
    return this.insert(
      `insert into public.notifications (account_id, user_id, title, body, read_at, created_at, seen_at, archived_at)
       values ($1, $2, 'New conversation assigned', 'Someone assigned you a conversation with a contact', $3,
               coalesce($4::timestamptz, now()), $5, $6) returning id`,
      [accountId, userId, fields.readAt ?? null, fields.createdAt ?? null, fields.seenAt ?? null, fields.archivedAt ?? null],
    );
  }

  /** The profiles.id of a user (what deals.assigned_to holds). */
  async profileOf(userId: string): Promise<string> {
    return this.insert('select id from public.profiles where user_id = $1', [userId]);
  }

  /** A pipeline of `accountId` with its stages, in order; returns the pipeline and the stage ids. */
  async pipeline(accountId: string, stageNames: string[] = ['Lead', 'Proposal', 'Won']) {
    const pipeline = await this.insert('insert into public.pipelines (account_id, name) values ($1, $2) returning id', [
      accountId,
      'Sales',
    ]);
    const stages: string[] = [];
    for (const [position, name] of stageNames.entries()) {
      stages.push(
        await this.insert(
          'insert into public.pipeline_stages (pipeline_id, name, position) values ($1, $2, $3) returning id',
          [pipeline, name, position],
        ),
      );
    }
    return { pipeline, stages };
  }

  /** A deal written as the owner, with no request claims (its trigger sees an automation). */
  async deal(
    accountId: string,
    fields: {
      pipeline: string;
      stage: string;
      title?: string;
      assignedTo?: string | null;
      contact?: string | null;
      conversation?: string | null;
      status?: string;
    },
  ): Promise<string> {
    return this.insert(
      `insert into public.deals (account_id, pipeline_id, stage_id, title, assigned_to, contact_id, conversation_id, status)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
      [
        accountId,
        fields.pipeline,
        fields.stage,
        fields.title ?? 'Big order',
        fields.assignedTo ?? null,
        fields.contact ?? null,
        fields.conversation ?? null,
        fields.status ?? 'open',
      ],
    );
  }

  async notificationsOf(userId: string) {
    const { rows } = await this.client.query(
      'select * from public.notifications where user_id = $1 order by created_at, id',
      [userId],
    );
    return rows;
  }

  private async insert(sql: string, params: unknown[]): Promise<string> {
    const { rows } = await this.client.query<{ id: string }>(sql, params);
    return rows[0]!.id;
  }
}
