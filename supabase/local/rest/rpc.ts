// /rest/v1/rpc/<fn>: POST with named arguments in a JSON object, GET/HEAD with them in the query
// string (read-only). Scalars come back as the bare JSON value, SETOF as an array, void as 204.
import type { RoutineInfo } from './catalog.js';
import { pgrstError, singularityError } from './errors.js';
import { negotiateMedia, parsePreferences } from './negotiation.js';
import { parseQueryParams } from './query-params.js';
import { rangeStatus, restrictRange } from './range.js';
import { isPlainObject, readJsonBody, type RestRequest, type RestResponse, type ResultRow } from './request.js';
import { callStatement, type Arguments } from './sql.js';
import { inRequestTransaction } from './transaction.js';

/** PGRST202 with PostgREST's wording. */
function noSuchFunction(schema: string, name: string, argumentNames: string[]) {
  const listed = argumentNames.length === 0 ? ' without parameters' : `(${argumentNames.join(', ')})`;
  const searched = argumentNames.length === 0 ? ' without parameters' : ` with parameter${argumentNames.length > 1 ? 's' : ''} ${argumentNames.join(', ')}`;
  return pgrstError(404, 'PGRST202', `Could not find the function ${schema}.${name}${listed} in the schema cache`,
    `Searched for the function ${schema}.${name}${searched} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`);
}

/** The overload whose parameters take exactly these names: all required ones given, none unknown. */
function chooseRoutine(routines: RoutineInfo[], names: string[]): RoutineInfo | undefined {
  const fits = routines.filter((routine) => {
    const parameterNames = new Set(routine.parameters.map((parameter) => parameter.name));
    return names.every((name) => parameterNames.has(name)) &&
      routine.parameters.every((parameter) => !parameter.required || names.includes(parameter.name));
  });
  return fits.find((routine) => routine.parameters.length === names.length) ?? fits[0];
}

export async function handleRpc(rest: RestRequest, name: string): Promise<RestResponse> {
  const routines = await rest.catalog.routines(rest.schema, name);
  const isRead = rest.method === 'GET' || rest.method === 'HEAD';
  if (!isRead && rest.method !== 'POST') throw pgrstError(405, 'PGRST101', `Cannot use the ${rest.method} method on RPC`);

  // For GET, a parameter named like an argument of the function is an argument; the rest filter the result.
  const argumentNames = new Set(routines.flatMap((routine) => routine.parameters.map((parameter) => parameter.name)));
  const query = parseQueryParams(rest.url.searchParams, (key) => isRead && (routines.length === 0 || argumentNames.has(key)));
  let args: Arguments;
  if (isRead) {
    // Without any function of that name, every GET parameter was meant as an argument.
    const values = Object.fromEntries(query.other);
    args = { values, json: JSON.stringify(values) };
  } else {
    const body = await readJsonBody(rest.request);
    if (body !== undefined && !isPlainObject(body.value)) {
      throw pgrstError(400, 'PGRST102', 'Empty or invalid json', 'The arguments must be a JSON object');
    }
    args = body === undefined ? { values: {}, json: '{}' } : { values: body.value as Record<string, unknown>, json: body.text };
  }
  const routine = chooseRoutine(routines, Object.keys(args.values));
  if (!routine) throw noSuchFunction(rest.schema, name, Object.keys(args.values).sort());

  const media = negotiateMedia(rest.request);
  const preferences = parsePreferences(rest.request);
  const range = restrictRange(query.offset, query.limit, undefined);
  const statement = callStatement(routine, args, {
    select: query.select,
    conditions: query.conditions,
    order: query.order,
    ...range,
    count: preferences.count !== undefined && routine.returnsSet,
    stripNulls: media.stripNulls,
  });
  const row = await inRequestTransaction(rest.standIn.apiPool, rest.context, async (client) => {
    const result = await client.query<ResultRow>(statement.text, statement.values);
    const first = result.rows[0]!;
    if (media.singular && routine.returnsSet && Number(first.page) !== 1) throw singularityError(Number(first.page));
    return first;
  });

  if (routine.returnsVoid) return { status: 204, headers: {} };
  const outcome = routine.returnsSet
    ? rangeStatus(range.offset, Number(row.page), row.total === null ? null : Number(row.total))
    : { status: 200, contentRange: '0-0/*' };
  // A single value or row is the bare JSON value; SETOF is an array (one object for single()).
  const body = routine.returnsSet ? (media.singular ? row.first : row.body) : routine.returnsRows ? row.first : row.body;
  return { status: outcome.status, headers: { 'Content-Range': outcome.contentRange }, body: body ?? 'null', contentType: media.contentType };
}
