import type pg from 'pg';

/** Anything Auth's queries run on: the pool for one-off reads, a client inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * Runs `work` in one transaction on a client of its own, so that a sign-in or a refresh is
 * written entirely or not at all. `work` may ask to commit and still fail (GoTrue keeps a token
 * family's revocation even though the request that caused it is refused).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    try {
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      if (error instanceof CommitThenThrow) {
        await client.query('commit');
        throw error.error;
      }
      await client.query('rollback');
      throw error;
    }
  } finally {
    client.release();
  }
}

/** Thrown inside inTransaction: keep what was written, then report `error`. */
export class CommitThenThrow extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}
