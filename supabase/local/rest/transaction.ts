// One transaction per request, as PostgREST runs it: the pooled `authenticator` connection
// switches to the JWT's role and publishes the claims and request facts as transaction-local
// settings, so RLS policies, column privileges and auth.uid() see this request and no other.
import type pg from 'pg';
import type { JwtClaims } from '../jwt.js';

export interface RequestContext {
  role: string;
  claims: JwtClaims;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** GET and HEAD run read-only: a volatile function called by GET fails with 25006 (405). */
  readOnly: boolean;
}

export async function inRequestTransaction<T>(
  pool: pg.Pool,
  context: RequestContext,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(context.readOnly ? 'begin isolation level read committed read only' : 'begin');
    try {
      await client.query(
        `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                set_config('request.method', $3, true), set_config('request.path', $4, true),
                set_config('request.headers', $5, true)`,
        [context.role, JSON.stringify(context.claims), context.method, context.path, JSON.stringify(context.headers)],
      );
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    }
  } finally {
    // A connection that cannot even roll back is broken: it is closed, not given back to the pool.
    client.release(broken);
  }
}
