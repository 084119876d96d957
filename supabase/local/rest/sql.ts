// Parsed requests → one parameterised SQL statement each, shaped like PostgREST's own
// (PostgREST/postgrest src/PostgREST/Query/QueryBuilder.hs): a `pgrst_source` CTE that reads or
// writes, then one row with the total, the page size and the JSON body built by Postgres itself
// (json_agg), so values are serialised exactly as PostgREST serialises them.
//
// Identifiers are always quoted with quoteIdent; every value from the request is a bind parameter
// sent untyped, so Postgres gives it the type of the column it is compared with (as PostgREST's
// `unknown` parameters do). Type names spliced in come from pg_catalog, never from the request.
import type { Condition, OrderTerm, Predicate, SelectItem } from './query-params.js';
import { fullTextFunction, OPERATORS } from './query-params.js';
import type { RoutineInfo, Table } from './catalog.js';

export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error('identifier contains a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/** Bind parameters collected while a statement is built. */
export class Parameters {
  readonly values: Array<string | null> = [];

  add(value: string | null): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface Statement {
  text: string;
  values: Array<string | null>;
}

/** Where rows come from and how a column of them is named in SQL. */
export interface Source {
  from: string;
  column(name: string): string;
  star: string;
}

export function tableSource(table: Table): Source {
  const qualified = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
  return { from: qualified, column: (name) => `${qualified}.${quoteIdent(name)}`, star: `${qualified}.*` };
}

// ---------------------------------------------------------------------------------------------
// Fragments

export function selectList(items: SelectItem[] | undefined, source: Source): string {
  if (items === undefined) return source.star;
  return items
    .map((item) => {
      if (item.kind === 'star') return source.star;
      const value = item.cast ? `${source.column(item.column)}::${item.cast}` : source.column(item.column);
      return `${value} as ${quoteIdent(item.alias ?? item.column)}`;
    })
    .join(', ');
}

const likePattern = (value: string) => value.replace(/\*/g, '%');

function predicateSql(column: string, predicate: Predicate, params: Parameters): string {
  switch (predicate.kind) {
    case 'in':
      // Each item its own parameter, typed by the column; an empty list matches nothing.
      return predicate.values.length === 0 ? 'false' : `${column} in (${predicate.values.map((value) => params.add(value)).join(', ')})`;
    case 'is':
      return predicate.value === 'not_null' ? `${column} is not null` : `${column} is ${predicate.value}`;
    case 'fts': {
      const query = params.add(predicate.value);
      const config = predicate.config === undefined ? '' : `${params.add(predicate.config)}::regconfig, `;
      return `${column} @@ ${fullTextFunction(predicate.operator)}(${config}${query})`;
    }
    case 'binary': {
      const isLike = predicate.operator === 'like' || predicate.operator === 'ilike';
      const value = params.add(isLike ? likePattern(predicate.value) : predicate.value);
      const operator = OPERATORS[predicate.operator];
      return predicate.quantifier ? `${column} ${operator} ${predicate.quantifier}(${value})` : `${column} ${operator} ${value}`;
    }
  }
}

function conditionSql(condition: Condition, source: Source, params: Parameters): string {
  const sql =
    condition.kind === 'filter'
      ? predicateSql(source.column(condition.column), condition.predicate, params)
      : `(${condition.conditions.map((child) => conditionSql(child, source, params)).join(` ${condition.operator} `) || 'true'})`;
  return condition.negated ? `not (${sql})` : sql;
}

export function whereClause(conditions: Condition[], source: Source, params: Parameters): string {
  if (conditions.length === 0) return '';
  return `where ${conditions.map((condition) => conditionSql(condition, source, params)).join(' and ')}`;
}

function orderClause(order: OrderTerm[], source: Source): string {
  if (order.length === 0) return '';
  const terms = order.map(
    (term) =>
      `${source.column(term.column)}${term.direction ? ` ${term.direction}` : ''}${term.nulls ? ` nulls ${term.nulls}` : ''}`,
  );
  return `order by ${terms.join(', ')}`;
}

function rowJson(alias: string, stripNulls: boolean): string {
  return stripNulls ? `json_strip_nulls(to_json(${alias}))` : alias;
}

/** The final SELECT over pgrst_source: total (or null), page size, JSON array and first object. */
function envelope(total: string, stripNulls: boolean, row = rowJson('_postgrest_t', stripNulls)): string {
  return `select ${total} as total, count(*) as page,
    coalesce(json_agg(${row}), '[]')::text as body,
    (json_agg(${row}) -> 0)::text as first
  from pgrst_source _postgrest_t`;
}

// ---------------------------------------------------------------------------------------------
// Statements

export interface ReadOptions {
  select: SelectItem[] | undefined;
  conditions: Condition[];
  order: OrderTerm[];
  limit?: number;
  offset: number;
  count: boolean;
  stripNulls: boolean;
}

export function readStatement(
  source: Source,
  options: ReadOptions,
  { params = new Parameters(), prelude = '', row }: { params?: Parameters; prelude?: string; row?: string | undefined } = {},
): Statement {
  const where = whereClause(options.conditions, source, params);
  const limit = options.limit === undefined ? '' : `limit ${params.add(String(options.limit))}::bigint`;
  const offset = options.offset > 0 ? `offset ${params.add(String(options.offset))}::bigint` : '';
  const total = options.count ? `(select pg_catalog.count(*) from ${source.from} ${where})` : 'null::bigint';
  const text = `with ${prelude} pgrst_source as (
    select ${selectList(options.select, source)} from ${source.from} ${where} ${orderClause(options.order, source)} ${limit} ${offset}
  )
  ${envelope(total, options.stripNulls, row)}`;
  return { text, values: params.values };
}

export interface WriteResult {
  /** `returning` list: the representation's columns, or `1` when only the count matters. */
  returning: SelectItem[] | null;
  stripNulls: boolean;
}

function returningClause(result: WriteResult, source: Source): string {
  return result.returning === null ? 'returning 1' : `returning ${selectList(result.returning, source)}`;
}

export interface InsertOptions extends WriteResult {
  columns: string[];
  rows: Array<Record<string, unknown>>;
  /** The rows as the JSON array text the client sent (an object is wrapped in brackets). */
  rowsJson: string;
  /** missing=default: a column a row does not mention gets its default, not NULL. */
  missingDefault: boolean;
  conflict?: { columns: string[]; resolution: 'merge-duplicates' | 'ignore-duplicates' };
}

export function insertStatement(table: Table, options: InsertOptions): Statement {
  const source = tableSource(table);
  const params = new Parameters();
  const rowType = `null::${source.from}`;
  const columnList = options.columns.map(quoteIdent).join(', ');
  let insert: string;
  if (options.columns.length === 0) {
    // `{}` or `[{}, {}]`: one row of defaults per object.
    insert = `insert into ${source.from} select from json_populate_recordset(${rowType}, ${params.add(options.rowsJson)}::json) _`;
  } else if (options.missingDefault) {
    // DEFAULT is only allowed in a VALUES list: one row per JSON object, each cell taken from that
    // object by json_populate_record (the same conversions PostgREST's json_populate_recordset does).
    const all = params.add(options.rowsJson);
    const rows = options.rows.map((row, index) => {
      const record = `json_populate_record(${rowType}, ${all}::json -> ${index})`;
      // Own keys only: a row without "constructor" must not find Object.prototype's.
      return `(${options.columns.map((column) => (Object.hasOwn(row, column) ? `(${record}).${quoteIdent(column)}` : 'default')).join(', ')})`;
    });
    insert = `insert into ${source.from} (${columnList}) values ${rows.join(', ')}`;
  } else {
    insert = `insert into ${source.from} (${columnList}) select ${columnList} from json_populate_recordset(${rowType}, ${params.add(options.rowsJson)}::json) _`;
  }
  let conflict = '';
  if (options.conflict) {
    const target = `(${options.conflict.columns.map(quoteIdent).join(', ')})`;
    const updates = options.columns.map((column) => `${quoteIdent(column)} = excluded.${quoteIdent(column)}`);
    conflict =
      options.conflict.resolution === 'ignore-duplicates' || updates.length === 0
        ? `on conflict ${target} do nothing`
        : `on conflict ${target} do update set ${updates.join(', ')}`;
  }
  const text = `with pgrst_source as (${insert} ${conflict} ${returningClause(options, source)})
  ${envelope('null::bigint', options.stripNulls)}`;
  return { text, values: params.values };
}

export interface UpdateOptions extends WriteResult {
  /** The keys of the body: the columns set. */
  columns: string[];
  /** The body as the JSON object text the client sent. */
  valuesJson: string;
  conditions: Condition[];
}

export function updateStatement(table: Table, options: UpdateOptions): Statement {
  const source = tableSource(table);
  const params = new Parameters();
  const body = params.add(options.valuesJson);
  const assignments = options.columns.map((column) => `${quoteIdent(column)} = pgrst_body.${quoteIdent(column)}`);
  const where = whereClause(options.conditions, source, params);
  const text = `with pgrst_source as (
    update ${source.from} set ${assignments.join(', ')}
    from (select * from json_populate_record(null::${source.from}, ${body}::json)) pgrst_body
    ${where} ${returningClause(options, source)}
  )
  ${envelope('null::bigint', options.stripNulls)}`;
  return { text, values: params.values };
}

export interface DeleteOptions extends WriteResult {
  conditions: Condition[];
}

export function deleteStatement(table: Table, options: DeleteOptions): Statement {
  const source = tableSource(table);
  const params = new Parameters();
  const where = whereClause(options.conditions, source, params);
  const text = `with pgrst_source as (delete from ${source.from} ${where} ${returningClause(options, source)})
  ${envelope('null::bigint', options.stripNulls)}`;
  return { text, values: params.values };
}

// ---------------------------------------------------------------------------------------------
// RPC

/**
 * `fn(name => value, ...)` with the arguments taken from one JSON object by json_to_record,
 * typed by the function's own parameter types (from pg_catalog), as PostgREST does. Only the
 * arguments given are passed, so the others keep their defaults.
 */
function callExpression(routine: RoutineInfo, args: Arguments, params: Parameters): string {
  // Own keys only: an argument named "constructor" is given only when the body has it.
  const given = routine.parameters.filter((parameter) => Object.hasOwn(args.values, parameter.name));
  const name = `${quoteIdent(routine.schema)}.${quoteIdent(routine.name)}`;
  if (given.length === 0) return `${name}()`;
  const definitions = given.map((parameter) => `${quoteIdent(parameter.name)} ${parameter.type}`).join(', ');
  const record = `json_to_record(${params.add(args.json)}::json) as pgrst_args(${definitions})`;
  const named = given.map((parameter) => `${quoteIdent(parameter.name)} => (select pgrst_args.${quoteIdent(parameter.name)} from ${record})`);
  return `${name}(${named.join(', ')})`;
}

/** A call's named arguments: the object (for its keys) and its JSON text (what Postgres reads). */
export interface Arguments {
  values: Record<string, unknown>;
  json: string;
}

export function callStatement(routine: RoutineInfo, args: Arguments, read: ReadOptions): Statement {
  const params = new Parameters();
  const call = callExpression(routine, args, params);
  if (routine.returnsVoid) {
    return { text: `select null::bigint as total, 1 as page, null::text as body, null::text as first from (select ${call}) _`, values: params.values };
  }
  if (!routine.returnsRows && !routine.returnsSet) {
    // A single scalar: the bare JSON value (`3`, `"text"`, `null`).
    return { text: `select null::bigint as total, 1 as page, body, body as first from (select to_json(${call})::text as body) _`, values: params.values };
  }
  // Rows or SETOF scalar: the call is materialised once (a volatile function must not run twice
  // when a count is asked), then read like a table, so select, filters, order and limit apply.
  const body = routine.returnsRows ? `select * from ${call} pgrst_f` : `select pgrst_f.pgrst_scalar from ${call} pgrst_f(pgrst_scalar)`;
  const source: Source = {
    from: 'pgrst_call',
    column: (column) => `pgrst_call.${quoteIdent(column)}`,
    star: routine.returnsRows ? 'pgrst_call.*' : 'pgrst_call.pgrst_scalar',
  };
  return readStatement(source, read, {
    params,
    prelude: `pgrst_call as materialized (${body}),`,
    row: routine.returnsRows ? undefined : '_postgrest_t.pgrst_scalar',
  });
}
