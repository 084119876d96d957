// PostgREST's schema cache, in small: the tables and functions of the exposed schema, read from
// pg_catalog. Entries live a few seconds, a miss always looks again (a table made a moment ago
// is found) and a database error that suggests the schema changed drops the entry.
import type pg from 'pg';

export interface Column {
  name: string;
  /** format_type() of the column, e.g. `uuid`, `timestamp with time zone`, `text[]`. */
  type: string;
}

export interface Table {
  schema: string;
  name: string;
  columns: Map<string, Column>;
  primaryKey: string[];
}

export interface FunctionParameter {
  name: string;
  type: string;
  required: boolean;
}

export interface RoutineInfo {
  schema: string;
  name: string;
  parameters: FunctionParameter[];
  returnsSet: boolean;
  returnsVoid: boolean;
  /** Rows with columns (a table type, TABLE(...) or OUT parameters) rather than a scalar. */
  returnsRows: boolean;
}

const TTL_MS = 5000;

interface Entry<T> {
  value: T;
  expires: number;
}

const TABLE_QUERY = `
  select
    coalesce(
      (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) order by a.attnum)
       from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
      '[]') as columns,
    coalesce(
      (select json_agg(a.attname order by array_position(i.indkey::int2[], a.attnum))
       from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
       where i.indrelid = c.oid and i.indisprimary),
      '[]') as primary_key
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'v', 'm', 'f', 'p')`;

const ROUTINE_QUERY = `
  select
    p.pronargs as input_count,
    p.pronargdefaults as default_count,
    coalesce(p.proargnames, '{}') as names,
    coalesce(p.proargmodes::text[], '{}') as modes,
    array(select format_type(t, null) from unnest(p.proargtypes) t) as input_types,
    p.proretset as returns_set,
    p.prorettype = 'void'::regtype as returns_void,
    (rt.typrelid <> 0 or (p.prorettype = 'record'::regtype and p.proargmodes is not null
      and p.proargmodes::text[] && array['o', 't', 'b'])) as returns_rows
  from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    join pg_type rt on rt.oid = p.prorettype
  where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`;

export class Catalog {
  readonly #tables = new Map<string, Entry<Table>>();
  readonly #routines = new Map<string, Entry<RoutineInfo[]>>();

  constructor(readonly pool: pg.Pool) {}

  /** The table or view, or undefined when the schema has none by that name. */
  async table(schema: string, name: string, { fresh = false } = {}): Promise<Table | undefined> {
    const key = `${schema}.${name}`;
    const cached = this.#tables.get(key);
    if (!fresh && cached && cached.expires > Date.now()) return cached.value;
    const { rows } = await this.pool.query<{ columns: Column[]; primary_key: string[] }>(TABLE_QUERY, [schema, name]);
    const row = rows[0];
    if (!row) {
      this.#tables.delete(key);
      return undefined;
    }
    const table: Table = {
      schema,
      name,
      columns: new Map(row.columns.map((column) => [column.name, column])),
      primaryKey: row.primary_key,
    };
    this.#tables.set(key, { value: table, expires: Date.now() + TTL_MS });
    return table;
  }

  /** Every overload of the function (empty when there is none). */
  async routines(schema: string, name: string): Promise<RoutineInfo[]> {
    const key = `${schema}.${name}`;
    const cached = this.#routines.get(key);
    if (cached && cached.expires > Date.now()) return cached.value;
    const { rows } = await this.pool.query<{
      input_count: number;
      default_count: number;
      names: string[];
      modes: string[];
      input_types: string[];
      returns_set: boolean;
      returns_void: boolean;
      returns_rows: boolean;
    }>(ROUTINE_QUERY, [schema, name]);
    const routines = rows.map((row): RoutineInfo => {
      // proargnames covers every argument (OUT ones too) when proargmodes is set; the inputs are
      // those of mode i, b (inout) and v (variadic), in order.
      const inputNames = row.modes.length === 0 ? row.names.slice(0, row.input_count)
        : row.names.filter((_, index) => ['i', 'b', 'v'].includes(row.modes[index] ?? 'i'));
      const requiredCount = row.input_count - row.default_count;
      return {
        schema,
        name,
        parameters: row.input_types.map((type, index) => ({ name: inputNames[index] ?? '', type, required: index < requiredCount })),
        returnsSet: row.returns_set,
        returnsVoid: row.returns_void,
        returnsRows: row.returns_rows,
      };
    });
    if (routines.length > 0) this.#routines.set(key, { value: routines, expires: Date.now() + TTL_MS });
    return routines;
  }

  /** After an error that means the schema moved under us (dropped column, replaced function). */
  forget(schema: string, name: string): void {
    this.#tables.delete(`${schema}.${name}`);
    this.#routines.delete(`${schema}.${name}`);
  }
}

/** SQLSTATEs after which a cached entry may be stale. */
export const SCHEMA_CHANGED_CODES = new Set(['42703', '42P01', '42883', '42804', '0A000']);
