// Subscribe-time checks of a postgres_changes binding, as the real server makes them when it
// inserts the subscription (its `subscription_check_filters` trigger): the tables it covers must be
// in the publication, every filter column readable by the subscriber's role, every value castable
// to the column's type. The messages mimic the real server's so the client sees the same text.
import type pg from 'pg';
import { describeParams, MAX_IN_VALUES, type SubscriptionParams } from './filters.js';

export const PUBLICATION = 'supabase_realtime';

export interface PublishedTable {
  relid: number;
  schema: string;
  table: string;
}

export type ValidationResult = { ok: true; tables: PublishedTable[] } | { ok: false; error: string };

/** Thrown by a check; rendered the way Postgrex renders a Postgres error. */
class CheckFailed extends Error {
  constructor(
    message: string,
    readonly code = 'P0001',
  ) {
    super(message);
  }
}

const conditionNames: Record<string, string> = {
  P0001: 'raise_exception',
  '22P02': 'invalid_text_representation',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22003': 'numeric_value_out_of_range',
  '22001': 'string_data_right_truncation',
  '22023': 'invalid_parameter_value',
  '22021': 'character_not_in_repertoire',
  '2201B': 'invalid_regular_expression',
  '42704': 'undefined_object',
};

export async function validateSubscription(
  pool: pg.Pool,
  params: SubscriptionParams,
  role: string,
): Promise<ValidationResult> {
  // No schema or table is named with a NUL (nor can Postgres compare one): nothing matches.
  if (params.schema.includes('\u0000') || params.table.includes('\u0000')) return notPublished(params);
  const client = await pool.connect();
  try {
    const { rows: tables } = await client.query<PublishedTable>(
      `select c.oid::int as relid, p.schemaname as schema, p.tablename as table
         from pg_catalog.pg_publication_tables p
         join pg_catalog.pg_namespace n on n.nspname = p.schemaname
         join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = p.tablename
        where p.pubname = $1 and ($2 = '*' or p.schemaname = $2) and ($3 = '*' or p.tablename = $3)
        order by 2, 3`,
      [PUBLICATION, params.schema, params.table],
    );
    if (tables.length === 0) return notPublished(params);
    try {
      const { rows: roles } = await client.query('select 1 from pg_catalog.pg_roles where rolname = $1', [role]);
      if (roles.length === 0) throw new CheckFailed(`role "${role}" does not exist`, '22023');
      for (const table of tables) await checkTable(client, table, params, role);
    } catch (error) {
      const { message, code } = error as { message: string; code?: string };
      if (!(error instanceof CheckFailed) && !code) throw error;
      const rendered = `ERROR ${code ?? 'P0001'} (${conditionNames[code ?? 'P0001'] ?? code}) ${message}`;
      return {
        ok: false,
        error: `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${describeParams(params)}]. Exception: ${rendered}`,
      };
    }
    return { ok: true, tables };
  } finally {
    client.release();
  }
}

function trailingBackslashes(value: string): number {
  let count = 0;
  while (count < value.length && value[value.length - 1 - count] === '\\') count++;
  return count;
}

function notPublished(params: SubscriptionParams): ValidationResult {
  return {
    ok: false,
    error: `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [${describeParams(params)}]`,
  };
}

async function checkTable(client: pg.PoolClient, table: PublishedTable, params: SubscriptionParams, role: string) {
  const { rows: columns } = await client.query<{ name: string; type: string; readable: boolean; is_bool: boolean }>(
    `select a.attname as name, pg_catalog.format_type(a.atttypid, null) as type,
            pg_catalog.has_column_privilege($2, a.attrelid, a.attnum, 'SELECT') as readable,
            a.atttypid = 'boolean'::regtype as is_bool
       from pg_catalog.pg_attribute a
      where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped`,
    [table.relid, role],
  );
  const readable = new Map(columns.filter((c) => c.readable).map((c) => [c.name, c]));

  for (const filter of params.filters) {
    const column = readable.get(filter.column);
    if (!column) throw new CheckFailed(`invalid column for filter ${filter.column}`);
    // The real server stores the value in a text column, which cannot hold NUL: refused at
    // subscribe time, with Postgres's words. Accepted, it would fail the matcher's JSON for every
    // subscriber of the table.
    if (filter.value.includes('\u0000')) throw new CheckFailed('invalid byte sequence for encoding "UTF8": 0x00', '22021');
    // The type comes from the catalog (format_type quotes what needs quoting); values are parameters.
    switch (filter.op) {
      case 'in': {
        const { rows } = await client.query<{ n: number | null }>(`select cardinality($1::text::${column.type}[]) as n`, [filter.value]);
        if ((rows[0]?.n ?? 0) > MAX_IN_VALUES) throw new CheckFailed('too many values for `in` filter. Maximum 100');
        break;
      }
      case 'is':
        if (!['null', 'true', 'false', 'unknown'].includes(filter.value)) {
          throw new CheckFailed('invalid value for is filter: must be null, true, false, or unknown');
        }
        if (filter.value !== 'null' && !column.is_bool) {
          throw new CheckFailed(`is ${filter.value} filter requires a boolean column, got ${column.type}`);
        }
        break;
      case 'like':
      case 'ilike':
      case 'match':
      case 'imatch': {
        // Planning the comparison finds the operator the filter will use, or fails as it would.
        const operator = { like: '~~', ilike: '~~*', match: '~', imatch: '~*' }[filter.op];
        await client.query(`select null::${column.type} ${operator} ''::text`).catch(() => {
          throw new CheckFailed(`operator ${filter.op} requires a text-compatible column type, got ${column.type}`);
        });
        // A pattern ending in its escape character fails every comparison that reaches its end
        // (Postgres's rule; a trial match may stop sooner, so it is counted): refused now, with why.
        if ((filter.op === 'like' || filter.op === 'ilike') && trailingBackslashes(filter.value) % 2 === 1) {
          throw new CheckFailed(`invalid pattern for ${filter.op} filter: LIKE pattern must not end with escape character`);
        }
        if (filter.op === 'match' || filter.op === 'imatch') {
          await client.query(`select '' ~ $1`, [filter.value]).catch((error: Error) => {
            throw new CheckFailed(`invalid regular expression for ${filter.op} filter: ${error.message}`);
          });
        }
        break;
      }
      default:
        // Raises (22P02 and friends) when the value does not cast, as the real trigger does.
        await client.query(`select $1::text::${column.type}`, [filter.value]);
    }
  }
  for (const column of params.select ?? []) {
    if (!readable.has(column)) throw new CheckFailed(`invalid column for select ${column}`);
  }
}
