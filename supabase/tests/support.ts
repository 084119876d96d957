// Helpers for the SQL behaviour suite: a fresh Supabase-shaped database per test file, and
// transactions that act as PostgREST does for each API role (`set local role` plus the JWT claims
// in request.jwt.claims), rolled back after each test so tests never see each other's rows.
import { after, before } from 'node:test';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { startLocalDatabase, type LocalDatabase } from '../local/database.js';

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
  async notification(accountId: string, userId: string, fields: { readAt?: string | null; createdAt?: string } = {}) {
    return this.insert(
      `insert into public.notifications (account_id, user_id, title, body, read_at, created_at)
       values ($1, $2, 'New conversation assigned', 'Someone assigned you a conversation with a contact', $3,
               coalesce($4::timestamptz, now())) returning id`,
      [accountId, userId, fields.readAt ?? null, fields.createdAt ?? null],
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
