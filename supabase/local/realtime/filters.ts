// Parsing of one postgres_changes binding (`{event, schema, table?, filter?, select?}`) into what
// the matcher needs, with the real server's error messages (they reach the client verbatim in a
// `system` message). Values stay text: they are compared in Postgres after a cast to the column's
// type, never in JavaScript.

export type FilterOperator =
  | 'eq'
  | 'neq'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'in'
  | 'like'
  | 'ilike'
  | 'is'
  | 'match'
  | 'imatch'
  | 'isdistinct';

export const FILTER_OPERATORS: readonly FilterOperator[] = [
  'eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'like', 'ilike', 'is', 'match', 'imatch', 'isdistinct',
];

export const MAX_IN_VALUES = 100;

export interface ColumnFilter {
  column: string;
  op: FilterOperator;
  /** Text compared after a cast to the column type; for `in`, a Postgres array literal `{a,b}`. */
  value: string;
  /** The `not.` prefix. */
  negate: boolean;
}

export type ChangeEvent = 'INSERT' | 'UPDATE' | 'DELETE';

export interface SubscriptionParams {
  /** `*` or one event type. */
  event: '*' | ChangeEvent;
  schema: string;
  /** `*` when the binding names no table: every table of the schema in the publication. */
  table: string;
  filters: ColumnFilter[];
  /** Only these columns (and the primary key) are sent; undefined means all readable columns. */
  select: string[] | undefined;
}

export type ParseResult = { ok: true; params: SubscriptionParams } | { ok: false; error: string };

/** The binding exactly as the real server reads it (it also ignores unknown keys). */
export function parseSubscriptionParams(binding: Record<string, unknown>): ParseResult {
  const event = eventOf(binding.event);
  const select = parseSelect(binding.select);
  if (!select.ok) return select;
  const has = (key: string) => Object.hasOwn(binding, key) && binding[key] !== undefined;
  const { schema, table, filter } = binding;

  if (typeof schema === 'string' && typeof table === 'string' && typeof filter === 'string') {
    const filters = parseFilters(filter);
    if (!filters.ok) return { ok: false, error: `Error parsing \`filter\` params: ${filters.error}` };
    return withSelect({ event, schema, table, filters: filters.filters, select: select.columns });
  }
  if (typeof schema === 'string' && typeof table === 'string' && !has('filter')) {
    return withSelect({ event, schema, table, filters: [], select: select.columns });
  }
  if (typeof schema === 'string' && !has('table') && !has('filter')) {
    return withSelect({ event, schema, table: '*', filters: [], select: select.columns });
  }
  if (typeof table === 'string' && !has('schema') && !has('filter')) {
    return withSelect({ event, schema: 'public', table, filters: [], select: select.columns });
  }
  return {
    ok: false,
    error: `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${JSON.stringify(binding)}`,
  };
}

/** How the real server writes the parameters into its error messages. */
export function describeParams(params: SubscriptionParams): string {
  const filters = params.filters.map((f) => `{${JSON.stringify(f.column)}, ${JSON.stringify(f.op)}, ${JSON.stringify(f.value)}, ${f.negate}}`);
  const select = params.select ? `[${params.select.map((c) => JSON.stringify(c)).join(', ')}]` : 'nil';
  return `event: ${params.event}, schema: ${params.schema}, table: ${params.table}, filters: [${filters.join(', ')}], select: ${select}`;
}

function eventOf(value: unknown): '*' | ChangeEvent {
  if (typeof value !== 'string') return '*';
  const upper = value.toUpperCase();
  return upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE' ? upper : '*';
}

function parseSelect(value: unknown): { ok: true; columns: string[] | undefined } | { ok: false; error: string } {
  if (Array.isArray(value)) {
    const columns = value.filter((column): column is string => typeof column === 'string');
    return { ok: true, columns: columns.length ? columns : undefined };
  }
  if (typeof value === 'string') {
    return {
      ok: false,
      error: 'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]',
    };
  }
  return { ok: true, columns: undefined };
}

function withSelect(params: SubscriptionParams): ParseResult {
  if (params.select && (params.schema === '*' || params.table === '*')) {
    return {
      ok: false,
      error: 'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.',
    };
  }
  return { ok: true, params };
}

type FiltersResult = { ok: true; filters: ColumnFilter[] } | { ok: false; error: string };

/** `col=op.value[,col=op.value...]`, commas inside quotes or parentheses do not split (AND). */
export function parseFilters(filter: string): FiltersResult {
  const trimmed = filter.trim();
  if (trimmed === '') return { ok: true, filters: [] };
  const filters: ColumnFilter[] = [];
  for (const segment of splitTopLevel(trimmed)) {
    const parsed = parseSegment(segment);
    if (!parsed.ok) return parsed;
    filters.push(parsed.filter);
  }
  return { ok: true, filters };
}

function parseSegment(segment: string): { ok: true; filter: ColumnFilter } | { ok: false; error: string } {
  const trimmed = segment.trim();
  if (trimmed === '') return { ok: false, error: 'filter must not contain empty segments (check for extra commas)' };
  const equals = trimmed.indexOf('=');
  if (equals < 0) return { ok: false, error: JSON.stringify([trimmed]) };
  const column = trimmed.slice(0, equals);
  let rest = trimmed.slice(equals + 1);
  const negate = rest.startsWith('not.');
  if (negate) rest = rest.slice(4);
  const dot = rest.indexOf('.');
  if (dot < 0) return { ok: false, error: JSON.stringify([rest]) };
  const op = rest.slice(0, dot);
  const value = rest.slice(dot + 1);
  if (!FILTER_OPERATORS.includes(op as FilterOperator)) return { ok: false, error: JSON.stringify([op, value]) };
  if (op === 'in') {
    if (value.length < 2 || !value.startsWith('(') || !value.endsWith(')')) {
      return { ok: false, error: '`in` filter value must be wrapped by parentheses' };
    }
    // PostgREST's list syntax is a Postgres array literal once the parentheses become braces;
    // quoted elements ("a,b") keep their meaning.
    return { ok: true, filter: { column, op: 'in', value: wellFormed(`{${value.slice(1, -1)}}`), negate } };
  }
  return { ok: true, filter: { column, op: op as FilterOperator, value: wellFormed(unquote(value)), negate } };
}

/**
 * The value as Postgres will hold it: JSON lets a client send a lone surrogate (`"\ud800"`), which
 * the driver's UTF-8 turns into U+FFFD at the subscribe-time check; the matcher must compare the
 * same text (its JSON would otherwise carry `\ud800`, which Postgres's jsonb refuses).
 */
const wellFormed = (value: string) => Buffer.from(value, 'utf8').toString('utf8');

/** PostgREST-style quoting: `"a,b"` with `\"` and `\\` escapes; anything malformed stays as sent. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  let result = '';
  for (let i = 1; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && i + 1 < value.length) {
      result += value[++i];
    } else if (char === '"') {
      return i === value.length - 1 ? result : value;
    } else {
      result += char;
    }
  }
  return value;
}

function splitTopLevel(filter: string): string[] {
  const segments: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  let previous = '';
  for (let i = 0; i < filter.length; i++) {
    const char = filter[i]!;
    if (quoted) {
      if (char === '\\' && i + 1 < filter.length) {
        current += char + filter[++i];
        continue;
      }
      if (char === '"') quoted = false;
      current += char;
    } else if (char === '"' && (previous === '.' || previous === '(' || previous === ',')) {
      quoted = true;
      current += char;
    } else if (char === '(') {
      depth++;
      current += char;
    } else if (char === ')') {
      depth = Math.max(0, depth - 1);
      current += char;
    } else if (char === ',' && depth === 0) {
      segments.push(current);
      current = '';
      previous = '';
      continue;
    } else {
      current += char;
    }
    previous = char;
  }
  segments.push(current);
  return segments;
}
