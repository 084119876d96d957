// Accounts, agents, contacts and conversations made for one test, with unique ids so that tests
// never see each other's rows. Everything is written with SQL as the database owner, users shaped
// as GoTrue writes them, so the same fixtures work on the stand-in and on a real Supabase stack.
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { signJwt } from '../../supabase/local/jwt.js';
import { nodeClient, type Target } from './target.js';

export const PASSWORD = 'correct-horse-battery-staple';

export interface Agent {
  id: string;
  email: string;
  fullName: string;
  accountId: string;
}

/**
 * An error of a pooled connection the server closed (a PostgreSQL restart): the statement never
 * reached a live session. pg notices a dead idle connection only when it next writes to it.
 */
function connectionLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && ['ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03'].includes(code)) ||
    (typeof message === 'string' && /^Connection terminated/.test(message))
  );
}

/** Tries on a fresh connection when the pooled one turns out dead: twice at most, 100 ms apart. */
function retryLostConnections(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  pool.query = (async (...args: unknown[]) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await query(...args);
      } catch (error) {
        if (attempt >= 2 || !connectionLost(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }) as typeof pool.query;
}

export class Fixtures {
  readonly db: pg.Pool;

  constructor(readonly target: Target) {
    this.db = new pg.Pool({ connectionString: target.databaseUrl, max: 4 });
    // A database restart (the fault suite) must not crash the process, even with a client checked
    // out, nor fail the next test's fixtures on a connection it closed (ECONNRESET, once in CI).
    this.db.on('error', () => undefined);
    this.db.on('connect', (client) => client.on('error', () => undefined));
    retryLostConnections(this.db);
  }

  async account(name = 'Test account'): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>('insert into public.accounts (name) values ($1) returning id', [name]);
    return rows[0]!.id;
  }

  async agent(accountId: string, fullName = 'Agent', role = 'agent'): Promise<Agent> {
    const id = randomUUID();
    const email = `agent-${id}@example.test`;
    await this.db.query(
      `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
         raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
         confirmation_token, recovery_token, email_change_token_new, email_change)
       values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2,
         extensions.crypt($3, extensions.gen_salt('bf', 4)), now(),
         '{"provider":"email","providers":["email"]}', '{}', now(), now(), '', '', '', '')`,
      [id, email, PASSWORD],
    );
    await this.db.query(
      `insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
       values ($1::text, $1::text::uuid, jsonb_build_object('sub', $1::text, 'email', $2::text), 'email', now(), now())`,
      [id, email],
    );
    await this.db.query(
      'insert into public.profiles (user_id, account_id, full_name, email, account_role) values ($1, $2, $3, $4, $5)',
      [id, accountId, fullName, email, role],
    );
    return { id, email, fullName, accountId };
  }

  /** An access token for the agent, signed as Auth would sign it, valid for `seconds`. */
  token(agent: Agent, seconds = 3600): string {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(
      { sub: agent.id, role: 'authenticated', aud: 'authenticated', email: agent.email, iat: now, exp: now + seconds },
      this.target.jwtSecret,
    );
  }

  /**
   * A supabase-js client that sends the given token (default: a fresh one for the agent) to REST
   * and Realtime, without going through Auth (supabase-js's accessToken option).
   */
  clientWithToken(agent: Agent, token: () => string = () => this.token(agent)): SupabaseClient {
    return createClient(this.target.url, this.target.anonKey, {
      accessToken: async () => token(),
      realtime: { transport: WebSocket as never },
    });
  }

  async contact(accountId: string, name: string | null = 'Contact', phone = '+1 555 0100'): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      'insert into public.contacts (account_id, name, phone) values ($1, $2, $3) returning id',
      [accountId, name, phone],
    );
    return rows[0]!.id;
  }

  async conversation(accountId: string, contactId: string): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      'insert into public.conversations (account_id, contact_id) values ($1, $2) returning id',
      [accountId, contactId],
    );
    return rows[0]!.id;
  }

  /** `count` unassigned conversations, each with a contact of its own, made in two statements. */
  async conversations(accountId: string, count: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `with contacts as (
         insert into public.contacts (account_id, name, phone)
         select $1, 'Contact ' || n, '+1 555 ' || lpad(n::text, 7, '0') from generate_series(1, $2) n
         returning id)
       insert into public.conversations (account_id, contact_id) select $1, id from contacts returning id`,
      [accountId, count],
    );
    return rows.map((row) => row.id);
  }

  /** Assigns as an automation would (no auth.uid()): the trigger writes the notification. */
  async assign(conversationId: string, agentId: string | null): Promise<void> {
    await this.db.query('update public.conversations set assigned_agent_id = $2 where id = $1', [conversationId, agentId]);
  }

  /** A signed-in supabase-js client for an agent (password grant through Auth, as an app does). */
  async signIn(agent: Agent): Promise<SupabaseClient> {
    const client = nodeClient(this.target);
    const { error } = await client.auth.signInWithPassword({ email: agent.email, password: PASSWORD });
    if (error) throw new Error(`sign-in of ${agent.email} failed: ${error.message}`);
    return client;
  }

  async end(): Promise<void> {
    await this.db.end();
  }
}
