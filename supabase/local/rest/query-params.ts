// The PostgREST query-string grammar (select, filters, and/or trees, order, limit/offset), parsed
// into plain data. Nothing here knows SQL: identifiers stay names and values stay strings, so the
// SQL builder can quote the one and bind the other. Anything outside the grammar is a PGRST100
// error before the database is touched.
import { notSupported, pgrstError, queryParamError } from './errors.js';

export type SelectItem =
  | { kind: 'star' }
  | { kind: 'column'; column: string; alias?: string; cast?: string };

export const OPERATORS = {
  eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=',
  like: 'like', ilike: 'ilike', match: '~', imatch: '~*',
  cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxl: '&<', nxr: '&>', adj: '-|-',
  isdistinct: 'is distinct from',
} as const;
export type BinaryOperator = keyof typeof OPERATORS;

const FULL_TEXT = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' } as const;
export type FullTextOperator = keyof typeof FULL_TEXT;
export const fullTextFunction = (operator: FullTextOperator) => FULL_TEXT[operator];

/** Operators that take an `(any)`/`(all)` modifier with a `{a,b}` list, as PostgREST allows. */
const QUANTIFIABLE = new Set<string>(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch']);

export type Predicate =
  | { kind: 'binary'; operator: BinaryOperator; value: string; quantifier?: 'any' | 'all' }
  | { kind: 'in'; values: string[] }
  | { kind: 'is'; value: 'null' | 'not_null' | 'true' | 'false' | 'unknown' }
  | { kind: 'fts'; operator: FullTextOperator; value: string; config?: string };

export type Condition =
  | { kind: 'filter'; column: string; negated: boolean; predicate: Predicate }
  | { kind: 'logic'; operator: 'and' | 'or'; negated: boolean; conditions: Condition[] };

export interface OrderTerm {
  column: string;
  direction?: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

export interface QueryParams {
  /** undefined: no `select` parameter (reads then select `*`, writes return nothing unless asked). */
  select?: SelectItem[];
  /** All top-level conditions, ANDed together. */
  conditions: Condition[];
  order: OrderTerm[];
  limit?: number;
  offset?: number;
  /** `columns=` of an insert/upsert. */
  columns?: string[];
  /** `on_conflict=` of an upsert. */
  onConflict?: string[];
  /** Remaining parameters: RPC arguments for GET/HEAD calls (decided by the caller). */
  other: Array<[string, string]>;
}

/** Parameters PostgREST never treats as filters. `apikey` is the gateway's, not PostgREST's. */
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict', 'apikey']);

/**
 * Parses every parameter. `isArgument(name)` says which plain parameters are RPC arguments
 * (GET /rpc/fn?a=1): those are returned in `other` instead of being parsed as filters.
 */
export function parseQueryParams(params: URLSearchParams, isArgument: (name: string) => boolean = () => false): QueryParams {
  const result: QueryParams = { conditions: [], order: [], other: [] };
  for (const [key, value] of params) {
    if (key === 'select') result.select = parseSelect(value);
    else if (key === 'order') result.order.push(...parseOrder(value));
    else if (key === 'limit') result.limit = parseCount('limit', value);
    else if (key === 'offset') result.offset = parseCount('offset', value);
    else if (key === 'columns') result.columns = parseColumnList('columns', value);
    else if (key === 'on_conflict') result.onConflict = parseColumnList('on_conflict', value);
    else if (RESERVED.has(key)) continue;
    else if (/^(not\.)?(and|or)$/.test(key)) result.conditions.push(parseLogicParam(key, value));
    else if (isArgument(key)) result.other.push([key, value]);
    else result.conditions.push(parseFilterParam(key, value));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// A cursor over one parameter value: field names (plain or "quoted"), literals, punctuation.

class Cursor {
  index = 0;
  constructor(
    readonly text: string,
    readonly what: string,
  ) {}

  get done(): boolean {
    return this.index >= this.text.length;
  }

  peek(length = 1): string {
    return this.text.slice(this.index, this.index + length);
  }

  eat(token: string): boolean {
    if (this.text.startsWith(token, this.index)) {
      this.index += token.length;
      return true;
    }
    return false;
  }

  fail(expected: string): never {
    const found = this.done ? 'end of input' : JSON.stringify(this.text[this.index]);
    throw queryParamError(
      `"failed to parse ${this.what} (${this.text})" (line 1, column ${this.index + 1})`,
      `unexpected ${found} expecting ${expected}`,
    );
  }

  /**
   * A column name: letters, digits, `_`, `$` and spaces (PostgREST's fieldName), or a
   * double-quoted name with `\"` escapes. Anything else (`;`, `'`, `-`, `(` ...) ends the name.
   */
  field(): string {
    if (this.eat('"')) {
      let name = '';
      while (!this.done && this.peek() !== '"') {
        if (this.peek() === '\\' && this.index + 1 < this.text.length) this.index++;
        name += this.text[this.index++];
      }
      if (!this.eat('"')) this.fail('closing quote');
      if (name === '' || name.includes('\0')) this.fail('a column name');
      return name;
    }
    const match = /^[\p{L}\p{N}_$ ]+/u.exec(this.text.slice(this.index));
    const name = match?.[0].trim();
    if (!match || !name) this.fail('a column name');
    this.index += match[0].length;
    return name;
  }
}

/** Splits on commas that are outside parentheses and double quotes. */
function splitTopLevel(text: string, what: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === '(') depth++;
    else if (char === ')') {
      depth--;
      if (depth < 0) throw queryParamError(`"failed to parse ${what} (${text})"`, 'unbalanced parentheses');
    } else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted || depth !== 0) throw queryParamError(`"failed to parse ${what} (${text})"`, 'unbalanced quotes or parentheses');
  parts.push(text.slice(start));
  return parts;
}

// ---------------------------------------------------------------------------------------------
// select=alias:col::cast,*

export function parseSelect(text: string): SelectItem[] {
  if (text.trim() === '') return [];
  return splitTopLevel(text, 'select parameter').map((part) => parseSelectItem(part.trim(), text));
}

function parseSelectItem(part: string, whole: string): SelectItem {
  if (part === '*') return { kind: 'star' };
  if (part.startsWith('...')) throw notSupported(`Spreading an embedded resource ("${part}")`);
  const cursor: Cursor = new Cursor(part, 'select parameter');
  let column = cursor.field();
  let alias: string | undefined;
  if (cursor.peek(2) !== '::' && cursor.eat(':')) {
    alias = column;
    column = cursor.field();
  }
  if (cursor.peek() === '(' || cursor.peek() === '!') {
    throw notSupported(`Embedding the resource "${column}" (select=${whole})`);
  }
  if (cursor.peek(2) === '->') throw notSupported(`The JSON path in "${part}"`);
  let cast: string | undefined;
  if (cursor.eat('::')) {
    // A type name only: letters, digits, underscores, optionally an array suffix.
    const match = /^[a-z_][a-z0-9_]*(\[\])?/i.exec(part.slice(cursor.index));
    if (!match) cursor.fail('a type name');
    cast = match[0].toLowerCase();
    cursor.index += match[0].length;
  }
  if (!cursor.done) cursor.fail('",", "::" or end of input');
  return { kind: 'column', column, ...(alias === undefined ? {} : { alias }), ...(cast === undefined ? {} : { cast }) };
}

// ---------------------------------------------------------------------------------------------
// Filters: col=[not.]op[(any|all)].value, and=(...), or=(...), not.or=(...)

function parseFilterParam(key: string, value: string): Condition {
  const cursor = new Cursor(key, 'filter');
  const column = cursor.field();
  if (!cursor.done) {
    if (cursor.peek(2) === '->') throw notSupported(`Filtering on the JSON path "${key}"`);
    if (cursor.peek() === '.') throw notSupported(`Filtering an embedded resource ("${key}")`);
    cursor.fail('a column name');
  }
  return parseOperation(column, value, false);
}

/** `[not.]op.value` applied to `column`; `inLogic`: values may be double-quoted (or=(a.eq."x,y")). */
function parseOperation(column: string, text: string, inLogic: boolean): Condition {
  const match = /^(not\.)?([a-z]+)(?:\(([a-z_]+)\))?\.([\s\S]*)$/.exec(text);
  if (!match) throw queryParamError(`"failed to parse filter (${text})" (line 1, column 1)`, 'unexpected input expecting an operator');
  const [, not, operator = '', modifier, rawValue = ''] = match;
  const negated = Boolean(not);
  const value = inLogic ? unquote(rawValue) : rawValue;
  const filter = (predicate: Predicate): Condition => ({ kind: 'filter', column, negated, predicate });

  if (operator === 'in') {
    if (modifier !== undefined) throw queryParamError(`"failed to parse filter (${text})"`, 'in takes no modifier');
    return filter({ kind: 'in', values: parseList(rawValue, text) });
  }
  if (operator === 'is') {
    const normalised = value.toLowerCase();
    if (modifier !== undefined || !['null', 'not_null', 'true', 'false', 'unknown'].includes(normalised)) {
      throw queryParamError(`"failed to parse filter (${text})" (line 1, column 4)`, 'unexpected value expecting null, not_null, true, false or unknown');
    }
    return filter({ kind: 'is', value: normalised as 'null' });
  }
  if (operator in FULL_TEXT) {
    if (modifier !== undefined && !/^[a-z_][a-z0-9_]*$/.test(modifier)) throw queryParamError(`"failed to parse filter (${text})"`, 'invalid text search configuration');
    return filter({ kind: 'fts', operator: operator as FullTextOperator, value, ...(modifier ? { config: modifier } : {}) });
  }
  if (operator in OPERATORS) {
    if (modifier !== undefined) {
      if ((modifier !== 'any' && modifier !== 'all') || !QUANTIFIABLE.has(operator)) {
        throw queryParamError(`"failed to parse filter (${text})"`, `unexpected modifier (${modifier})`);
      }
      return filter({ kind: 'binary', operator: operator as BinaryOperator, value, quantifier: modifier });
    }
    return filter({ kind: 'binary', operator: operator as BinaryOperator, value });
  }
  throw queryParamError(`"failed to parse filter (${text})" (line 1, column 1)`, `unknown operator "${operator}"`);
}

/** `(a,"b,c",d)`: the in-list, quotes removed. */
function parseList(text: string, whole: string): string[] {
  if (!text.startsWith('(') || !text.endsWith(')')) {
    throw queryParamError(`"failed to parse filter (${whole})"`, 'unexpected input expecting "("');
  }
  const inner = text.slice(1, -1);
  if (inner === '') return [];
  return splitTopLevel(inner, 'filter').map((item) => unquote(item.trim()));
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}

function parseLogicParam(key: string, value: string): Condition {
  const negated = key.startsWith('not.');
  const operator = key.endsWith('and') ? 'and' : 'or';
  return parseLogicBody(operator, negated, value, `${key}=${value}`);
}

function parseLogicBody(operator: 'and' | 'or', negated: boolean, body: string, whole: string): Condition {
  if (!body.startsWith('(') || !body.endsWith(')') || body.length < 3) {
    throw queryParamError(`"failed to parse logic tree (${body})" (line 1, column 1)`, 'unexpected input expecting "("');
  }
  const items = splitTopLevel(body.slice(1, -1), 'logic tree');
  return { kind: 'logic', operator, negated, conditions: items.map((item) => parseLogicItem(item.trim(), whole)) };
}

/** One member of an and/or list: a nested `[not.]and(...)`/`[not.]or(...)` or `col.op.value`. */
function parseLogicItem(item: string, whole: string): Condition {
  const nested = /^(not\.)?(and|or)(\([\s\S]*\))$/.exec(item);
  if (nested) return parseLogicBody(nested[2] as 'and' | 'or', Boolean(nested[1]), nested[3] ?? '', whole);
  const cursor = new Cursor(item, 'logic tree');
  const column = cursor.field();
  if (cursor.peek(2) === '->') throw notSupported(`Filtering on the JSON path "${item}"`);
  if (!cursor.eat('.')) cursor.fail('"." after the column name');
  return parseOperation(column, item.slice(cursor.index), true);
}

// ---------------------------------------------------------------------------------------------
// order=col.desc.nullslast,other; limit; offset; columns; on_conflict

export function parseOrder(text: string): OrderTerm[] {
  return splitTopLevel(text, 'order').map((part) => {
    const cursor = new Cursor(part.trim(), 'order');
    const term: OrderTerm = { column: cursor.field() };
    if (cursor.peek() === '(') throw notSupported(`Ordering by an embedded resource ("${part}")`);
    if (cursor.peek(2) === '->') throw notSupported(`Ordering by the JSON path "${part}"`);
    if (cursor.eat('.asc')) term.direction = 'asc';
    else if (cursor.eat('.desc')) term.direction = 'desc';
    if (cursor.eat('.nullsfirst')) term.nulls = 'first';
    else if (cursor.eat('.nullslast')) term.nulls = 'last';
    if (!cursor.done) cursor.fail('".asc", ".desc", ".nullsfirst", ".nullslast", "," or end of input');
    return term;
  });
}

function parseCount(name: string, text: string): number {
  if (!/^-?\d+$/.test(text)) {
    throw queryParamError(`"failed to parse ${name} parameter (${text})" (line 1, column 1)`, 'unexpected input expecting an integer');
  }
  const value = BigInt(text);
  if (value < 0n) {
    if (name === 'limit') throw pgrstError(416, 'PGRST103', 'Requested range not satisfiable', 'Limit should be greater than or equal to zero.');
    throw queryParamError(`"failed to parse ${name} parameter (${text})"`, 'offset should be greater than or equal to zero');
  }
  if (value > MAX_BIGINT) throw queryParamError(`"failed to parse ${name} parameter (${text})"`, 'the number does not fit a bigint');
  // Past 2^53 a number is no longer exact in JavaScript; no table has that many rows, so the
  // page is the same.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** Postgres's limit and offset are bigints: PostgREST's larger numbers fail there. */
const MAX_BIGINT = 2n ** 63n - 1n;

function parseColumnList(name: string, text: string): string[] {
  return splitTopLevel(text, `${name} parameter`).map((part) => {
    const cursor = new Cursor(part.trim(), `${name} parameter`);
    const column = cursor.field();
    if (!cursor.done) cursor.fail('"," or end of input');
    return column;
  });
}
