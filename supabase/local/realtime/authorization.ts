// Realtime Authorization: RLS on realtime.messages decides who reads and writes a private topic,
// checked the way Realtime checks it (lib/realtime/tenants/authorization.ex).
//   read:  insert probe rows as the admin, switch to the user's role and claims (set_config ...,
//          is_local), select the probes back, undo. A probe that comes back means read for its
//          extension. All of it is realtime.wacrm_read_policies (platform.sql): one statement.
//   write: switch first (realtime.wacrm_set_conn_config), then insert under the user's role in a
//          savepoint; insufficient_privilege means no write. Rolled back too.
// Every value travels as a bind parameter. No row is ever committed (the probes are undone in a
// subtransaction, the write checks rolled back), so nothing reaches the replication stream.
import pg from 'pg';

export type Extension = 'broadcast' | 'presence';

/** What a channel may do; undefined = not evaluated yet (write is checked on first use). */
export interface Policies {
  broadcast: { read?: boolean; write?: boolean };
  presence: { read?: boolean; write?: boolean };
}

export interface AuthorizationContext {
  /** The channel's topic without `realtime:`: what realtime.topic() returns. */
  topic: string;
  role: string;
  claims: Record<string, unknown>;
  /** request.headers: the x-* headers of the socket's upgrade, or every header of a REST call. */
  headers: Record<string, string>;
}

/** Realtime's failure kinds, each with its own text for the client. */
export type AuthorizationFailure =
  | 'rls_policy_error'
  | 'missing_partition'
  | 'increase_connection_pool'
  | 'database_unavailable'
  | 'query_canceled';

export class AuthorizationError extends Error {
  constructor(
    readonly kind: AuthorizationFailure,
    message: string,
  ) {
    super(message);
  }
}

export const emptyPolicies = (): Policies => ({ broadcast: {}, presence: {} });

// Realtime's authorization pool holds 2–15 connections (by compute size); a join that waits too long
// for one is refused with IncreaseConnectionPool.
const POOL_SIZE = 8;
const POOL_WAIT_MS = 10_000;

export class Authorizer {
  readonly pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: POOL_SIZE,
      connectionTimeoutMillis: POOL_WAIT_MS,
      application_name: 'realtime_rls',
    });
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /**
   * Evaluates read for each extension; the others keep their values. One round trip (one
   * parameterised statement, prepared once per connection): joins are what scales with users.
   */
  async read(context: AuthorizationContext, extensions: Extension[], policies = emptyPolicies()): Promise<Policies> {
    refuseUnholdable(context);
    const { rows } = await this.withClient((client) =>
      client.query<{ visible: string[] }>({
        name: 'wacrm_read_policies',
        text: 'select realtime.wacrm_read_policies($1, $2, $3, $4, $5, $6::text[]) as visible',
        values: [...connectionConfig(context), extensions],
      }),
    );
    const visible = new Set(rows[0]!.visible);
    const next: Policies = { broadcast: { ...policies.broadcast }, presence: { ...policies.presence } };
    for (const extension of extensions) next[extension].read = visible.has(extension);
    return next;
  }

  /**
   * Evaluates write for the given extensions (Realtime marks the others false), as a savepoint
   * insert under the user's role.
   */
  async write(context: AuthorizationContext, extensions: Extension[], policies = emptyPolicies()): Promise<Policies> {
    refuseUnholdable(context);
    const next: Policies = { broadcast: { ...policies.broadcast }, presence: { ...policies.presence } };
    await this.transaction(async (client) => {
      await client.query({
        name: 'wacrm_set_conn_config',
        text: 'select realtime.wacrm_set_conn_config($1, $2, $3, $4, $5)',
        values: connectionConfig(context),
      });
      for (const extension of ['broadcast', 'presence'] as const) {
        if (!extensions.includes(extension)) {
          next[extension].write = false;
          continue;
        }
        await client.query('savepoint realtime_write_check');
        try {
          await client.query('insert into realtime.messages (topic, extension) values ($1, $2)', [context.topic, extension]);
          next[extension].write = true;
        } catch (error) {
          if ((error as { code?: string }).code !== '42501') throw error;
          next[extension].write = false;
        }
        await client.query('rollback to savepoint realtime_write_check');
      }
    });
    return next;
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('begin');
      const result = await work(client);
      await client.query('rollback');
      return result;
    });
  }

  /** A pooled connection for `work`; whatever fails is rolled back and sorted as Realtime sorts it. */
  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      if (/timeout/i.test((error as Error).message)) {
        throw new AuthorizationError('increase_connection_pool', 'Please increase your connection pool size');
      }
      throw new AuthorizationError('database_unavailable', (error as Error).message);
    }
    let broken = false;
    try {
      return await work(client);
    } catch (error) {
      await client.query('rollback').catch(() => (broken = true));
      throw classify(error);
    } finally {
      client.release(broken);
    }
  }
}

/** Realtime's set_conn_config arguments: role, topic, claims, headers, and the claims' `sub`. */
function connectionConfig(context: AuthorizationContext): [string, string, string, string, string | null] {
  const sub = typeof context.claims.sub === 'string' ? context.claims.sub : null;
  return [context.role, context.topic, JSON.stringify(context.claims), JSON.stringify(context.headers), sub];
}

/**
 * A topic with a NUL: Postgres text cannot hold it, so Realtime's checks fail in Postgres (22021),
 * a policy error. Here it is said before any statement is sent, so that the check costs no
 * connection and the text of the error never depends on which statement met the NUL first.
 */
function refuseUnholdable(context: AuthorizationContext): void {
  if (context.topic.includes('\u0000')) throw new AuthorizationError('rls_policy_error', 'invalid byte sequence for encoding "UTF8": 0x00');
}

/** Postgres errors as Realtime's handle_policies_result sorts them. */
function classify(error: unknown): AuthorizationError {
  if (error instanceof AuthorizationError) return error;
  const { code, message, table } = error as { code?: string; message?: string; table?: string };
  if (!code) return new AuthorizationError('database_unavailable', message ?? String(error));
  // `no partition of relation "messages" found for row` is a check_violation on messages.
  if (code === '23514' && (table === 'messages' || /relation "messages"/.test(message ?? ''))) {
    return new AuthorizationError('missing_partition', message ?? '');
  }
  if (code === '57014') return new AuthorizationError('query_canceled', message ?? '');
  if (code.startsWith('08') || code === '57P01' || code === '57P03') return new AuthorizationError('database_unavailable', message ?? '');
  return new AuthorizationError('rls_policy_error', message ?? '');
}
