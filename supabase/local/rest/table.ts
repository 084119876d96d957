// /rest/v1/<table>: GET/HEAD read, POST insert/upsert, PATCH update, DELETE delete.
import type { Table } from './catalog.js';
import { columnNotFound, notSupported, pgrstError, singularityError, tableNotFound, unknownColumn } from './errors.js';
import { negotiateMedia, parsePreferences, rangeHeader, type Preferences } from './negotiation.js';
import { parseQueryParams, type Condition, type QueryParams, type SelectItem } from './query-params.js';
import { contentRange, rangeStatus, restrictRange } from './range.js';
import { isPlainObject, readJsonBody, type RestRequest, type RestResponse, type ResultRow } from './request.js';
import { deleteStatement, insertStatement, readStatement, tableSource, updateStatement, type Statement } from './sql.js';
import { inRequestTransaction } from './transaction.js';

export async function handleTable(rest: RestRequest, name: string): Promise<RestResponse> {
  const table = await rest.catalog.table(rest.schema, name);
  if (!table) throw tableNotFound(rest.schema, name);
  const query = parseQueryParams(rest.url.searchParams);
  switch (rest.method) {
    case 'GET':
    case 'HEAD':
      return read(rest, await checkedTable(rest, table, query), query);
    case 'POST':
      return insert(rest, table, query);
    case 'PATCH':
      return update(rest, table, query);
    case 'DELETE':
      return remove(rest, await checkedTable(rest, table, query), query);
    default:
      throw pgrstError(405, 'PGRST117', `Unsupported HTTP method: ${rest.method}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Column checks: every name the query string uses must be a column, before anything runs.

function conditionColumns(conditions: Condition[], into: string[] = []): string[] {
  for (const condition of conditions) {
    if (condition.kind === 'filter') into.push(condition.column);
    else conditionColumns(condition.conditions, into);
  }
  return into;
}

function selectColumns(select: SelectItem[] | undefined): string[] {
  return (select ?? []).flatMap((item) => (item.kind === 'column' ? [item.column] : []));
}

/**
 * The table, re-read once when a name is missing (a column added a moment ago is then found);
 * 42703 with Postgres's own message when the name really is not a column.
 */
async function checkedTable(rest: RestRequest, table: Table, query: QueryParams, payloadColumns: string[] = []): Promise<Table> {
  const queried = [...selectColumns(query.select), ...conditionColumns(query.conditions), ...query.order.map((term) => term.column), ...(query.onConflict ?? [])];
  const missing = (current: Table) =>
    queried.find((column) => !current.columns.has(column)) ?? payloadColumns.find((column) => !current.columns.has(column));
  if (missing(table) === undefined) return table;
  const fresh = (await rest.catalog.table(rest.schema, table.name, { fresh: true })) ?? table;
  const stillMissing = queried.find((column) => !fresh.columns.has(column));
  if (stillMissing !== undefined) throw unknownColumn(table.name, stillMissing);
  const missingPayload = payloadColumns.find((column) => !fresh.columns.has(column));
  if (missingPayload !== undefined) throw columnNotFound(table.name, missingPayload);
  return fresh;
}

// ---------------------------------------------------------------------------------------------

async function run(rest: RestRequest, statement: Statement, check?: (row: ResultRow) => void): Promise<ResultRow> {
  return inRequestTransaction(rest.standIn.apiPool, rest.context, async (client) => {
    const { rows } = await client.query<ResultRow>(statement.text, statement.values);
    const row = rows[0]!;
    // Inside the transaction: a failed check (a write that is not exactly one row for single())
    // rolls the write back, as PostgREST does.
    check?.(row);
    return row;
  });
}

function preferenceApplied(preferences: Preferences, kinds: Array<'return' | 'count' | 'resolution' | 'missing'>): Record<string, string> {
  const applied: string[] = [];
  if (kinds.includes('resolution') && preferences.resolution) applied.push(`resolution=${preferences.resolution}`);
  if (kinds.includes('missing') && preferences.missingDefault) applied.push('missing=default');
  if (kinds.includes('return') && preferences.return !== 'minimal') applied.push(`return=${preferences.return}`);
  if (kinds.includes('count') && preferences.count) applied.push(`count=${preferences.count}`);
  return applied.length > 0 ? { 'Preference-Applied': applied.join(', ') } : {};
}

async function read(rest: RestRequest, table: Table, query: QueryParams): Promise<RestResponse> {
  const media = negotiateMedia(rest.request);
  const preferences = parsePreferences(rest.request);
  const range = restrictRange(query.offset, query.limit, rangeHeader(rest.request));
  const counted = preferences.count !== undefined;
  const statement = readStatement(tableSource(table), {
    select: query.select,
    conditions: query.conditions,
    order: query.order,
    ...range,
    count: counted,
    stripNulls: media.stripNulls,
  });
  const row = await run(rest, statement);
  const page = Number(row.page);
  const outcome = rangeStatus(range.offset, page, row.total === null ? null : Number(row.total));
  if (media.singular && page !== 1) throw singularityError(page);
  return {
    status: outcome.status,
    headers: { 'Content-Range': outcome.contentRange, ...preferenceApplied(preferences, ['count']) },
    body: (media.singular ? row.first : row.body) ?? undefined,
    contentType: media.contentType,
  };
}

/** What a write returns: nothing (`returning 1`, no SELECT privilege needed) or the selected columns. */
function returning(preferences: Preferences, query: QueryParams): SelectItem[] | null {
  return preferences.return === 'representation' ? (query.select ?? [{ kind: 'star' }]) : null;
}

function writeResponse(
  status: { withBody: number; empty: number },
  row: ResultRow,
  preferences: Preferences,
  singular: boolean,
  contentRangeHeader: string,
  contentType: string,
  applied: Record<string, string>,
): RestResponse {
  const headers = { 'Content-Range': contentRangeHeader, ...applied };
  if (preferences.return !== 'representation') return { status: status.empty, headers };
  return { status: status.withBody, headers, body: (singular ? row.first : row.body) ?? 'null', contentType };
}

const singularCheck = (singular: boolean) => (row: ResultRow) => {
  if (singular && Number(row.page) !== 1) throw singularityError(Number(row.page));
};

async function insert(rest: RestRequest, table: Table, query: QueryParams): Promise<RestResponse> {
  const media = negotiateMedia(rest.request);
  const preferences = parsePreferences(rest.request);
  const body = await readJsonBody(rest.request);
  const rows = Array.isArray(body?.value) ? body.value : [body?.value];
  if (body === undefined || !rows.every(isPlainObject)) {
    throw pgrstError(400, 'PGRST102', 'Empty or invalid json', 'The body must be a JSON object or an array of objects');
  }
  let columns = query.columns;
  if (columns === undefined) {
    columns = Object.keys(rows[0] ?? {});
    const signature = [...columns].sort().join('\0');
    if (rows.some((row) => Object.keys(row).sort().join('\0') !== signature)) {
      throw pgrstError(400, 'PGRST102', 'All object keys must match');
    }
  }
  const checked = await checkedTable(rest, table, query, columns);
  const conflictColumns = query.onConflict ?? checked.primaryKey;
  const statement = insertStatement(checked, {
    columns,
    rows,
    rowsJson: Array.isArray(body.value) ? body.text : `[${body.text}]`,
    missingDefault: preferences.missingDefault,
    ...(preferences.resolution && conflictColumns.length > 0
      ? { conflict: { columns: conflictColumns, resolution: preferences.resolution } }
      : {}),
    returning: returning(preferences, query),
    stripNulls: media.stripNulls,
  });
  const row = await run(rest, statement, singularCheck(media.singular));
  const count = preferences.count ? Number(row.page) : null;
  return writeResponse({ withBody: 201, empty: 201 }, row, preferences, media.singular, contentRange(1, 0, count),
    media.contentType, preferenceApplied(preferences, ['return', 'count', 'resolution', 'missing']));
}

async function update(rest: RestRequest, table: Table, query: QueryParams): Promise<RestResponse> {
  const media = negotiateMedia(rest.request);
  const preferences = parsePreferences(rest.request);
  const body = await readJsonBody(rest.request);
  const values = body?.value;
  if (!isPlainObject(values)) throw pgrstError(400, 'PGRST102', 'Empty or invalid json', 'The body of a PATCH must be a JSON object');
  if (query.limit !== undefined || query.offset !== undefined) throw notSupported('limit/offset on PATCH');
  const checked = await checkedTable(rest, table, query, Object.keys(values));
  if (Object.keys(values).length === 0) {
    // Nothing to set: PostgREST changes nothing and answers as for zero rows.
    return writeResponse({ withBody: 200, empty: 204 }, { total: null, page: '0', body: '[]', first: null }, preferences,
      false, contentRange(0, -1, preferences.count ? 0 : null), media.contentType, preferenceApplied(preferences, ['return', 'count']));
  }
  const statement = updateStatement(checked, {
    columns: Object.keys(values),
    valuesJson: body!.text,
    conditions: query.conditions,
    returning: returning(preferences, query),
    stripNulls: media.stripNulls,
  });
  const row = await run(rest, statement, singularCheck(media.singular));
  const affected = Number(row.page);
  return writeResponse({ withBody: 200, empty: 204 }, row, preferences, media.singular,
    contentRange(0, affected - 1, preferences.count ? affected : null), media.contentType, preferenceApplied(preferences, ['return', 'count']));
}

async function remove(rest: RestRequest, table: Table, query: QueryParams): Promise<RestResponse> {
  const media = negotiateMedia(rest.request);
  const preferences = parsePreferences(rest.request);
  if (query.limit !== undefined || query.offset !== undefined) throw notSupported('limit/offset on DELETE');
  const statement = deleteStatement(table, {
    conditions: query.conditions,
    returning: returning(preferences, query),
    stripNulls: media.stripNulls,
  });
  const row = await run(rest, statement, singularCheck(media.singular));
  return writeResponse({ withBody: 200, empty: 204 }, row, preferences, media.singular,
    contentRange(1, 0, preferences.count ? Number(row.page) : null), media.contentType, preferenceApplied(preferences, ['return', 'count']));
}
