import pg from 'pg';
import { evaluateSql, filtersSql, installFunctionsSql } from './evaluate-sql.js';
import type { ChangeEvent } from './filters.js';

export type RowValues = Record<string, string | null>;

export interface ChangeInput {
  relid: number;
  action: ChangeEvent;
  /** New row (INSERT, UPDATE), Postgres text form; a column absent from the WAL is absent here. */
  new: RowValues | null;
  /** What the WAL carries of the previous row (UPDATE, DELETE): all columns or only the key. */
  old: RowValues | null;
}

export interface FilterGroup {
  column: string;
  op: string;
  negate: boolean;
  values: string[];
}

export interface ClaimSet {
  role: string;
  /** JSON, for request.jwt.claims. */
  claims: string;
}

export interface Evaluation {
  record: Record<string, unknown> | null;
  old_record: Record<string, unknown> | null;
  columns: { name: string; type: string }[];
  pk: string[];
  rls: boolean;
  /** False when the superuser could not see the row: not yet visible, or already gone. */
  row_visible: boolean;
  /** Readable columns per role. */
  roles: Record<string, string[]>;
  /** Per claim set: the row is selectable (always true without RLS and on DELETE). */
  visible: boolean[];
}

// A commit is decoded from WAL flushed to disk, which can be a moment before the committing backend
// leaves the proc array and its rows become visible to new snapshots.
const NOT_YET_VISIBLE_RETRIES = [1, 2, 5, 10, 20];

/**
 * Runs the per-change checks in Postgres over a small pool of its own: the temporary functions
 * live per session, and Realtime's load must not starve Auth of the shared admin pool.
 */
export class Evaluator {
  readonly pool: pg.Pool;
  private readonly installed = new WeakSet<pg.PoolClient>();

  constructor(databaseUrl: string, connections = 4) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: connections, application_name: 'wacrm_realtime' });
    // A connection lost with the database (restart) must not crash the process; the pool opens new ones.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined)); // checked out (see server.ts)
  }

  /** One boolean per filter value, flattened in group order. */
  async filters(change: ChangeInput, filterGroups: FilterGroup[]): Promise<boolean[]> {
    return this.run<boolean[]>(filtersSql, [JSON.stringify(change), JSON.stringify(filterGroups)]);
  }

  /** Values, privileges and RLS for the subscribers left after the filters; claim sets sorted by role. */
  async evaluate(change: ChangeInput, claimSets: ClaimSet[]): Promise<Evaluation> {
    const params = [JSON.stringify(change), JSON.stringify(claimSets)];
    let result = await this.run<Evaluation>(evaluateSql, params);
    for (const delay of NOT_YET_VISIBLE_RETRIES) {
      if (result.row_visible) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      result = await this.run<Evaluation>(evaluateSql, params);
    }
    return result;
  }

  async end(): Promise<void> {
    await this.pool.end();
  }

  private async run<T>(sql: string, params: string[]): Promise<T> {
    const client = await this.pool.connect();
    try {
      // pg-pool hands out the same client object for the same connection: install once per session.
      if (!this.installed.has(client)) {
        for (const sql of installFunctionsSql) await client.query(sql);
        this.installed.add(client);
      }
      const { rows } = await client.query<{ result: T }>(sql, params);
      return rows[0]!.result;
    } finally {
      client.release();
    }
  }
}
