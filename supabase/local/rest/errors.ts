// PostgREST's error bodies and statuses (PostgREST/postgrest src/PostgREST/Error.hs): every error
// is `{code, message, details, hint}`, and a database error's status follows its SQLSTATE.
import { HttpError } from '../http.js';

export function pgrstError(
  status: number,
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
  headers: Record<string, string> = {},
): HttpError {
  return new HttpError(status, { code, message, details, hint }, headers);
}

/** PGRST100: the query string does not parse. Nothing has reached the database. */
export function queryParamError(message: string, details: string | null = null): HttpError {
  return pgrstError(400, 'PGRST100', message, details);
}

/** What the stand-in deliberately does not implement (embedding, JSON paths ...): a clear 400. */
export function notSupported(what: string): HttpError {
  return pgrstError(400, 'PGRST127', 'Feature not implemented', `${what} is not supported by the local Supabase stand-in`);
}

/** The Postgres message for an unknown column, given before the query runs (nothing executes). */
export function unknownColumn(table: string, column: string): HttpError {
  return pgrstError(400, '42703', `column ${table}.${column} does not exist`);
}

/** PGRST204: a payload or `columns=` names a column the table does not have. */
export function columnNotFound(table: string, column: string): HttpError {
  return pgrstError(400, 'PGRST204', `Could not find the '${column}' column of '${table}' in the schema cache`);
}

/** PGRST205 (PostgREST 13+, what Supabase runs): the table or view is not in the schema cache. */
export function tableNotFound(schema: string, table: string): HttpError {
  return pgrstError(404, 'PGRST205', `Could not find the table '${schema}.${table}' in the schema cache`);
}

/** PGRST116: a single object was asked for, and the result has another number of rows. */
export function singularityError(rows: number): HttpError {
  return pgrstError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${rows} rows`);
}

interface PostgresError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function isPostgresError(error: unknown): error is PostgresError {
  return (
    error instanceof Error &&
    typeof (error as unknown as Partial<PostgresError>).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((error as unknown as PostgresError).code)
  );
}

/**
 * PostgREST's mapSQLtoHTTP. `authenticated` is false when the request ran as the anon role: a
 * permission error then means "sign in" (401) rather than "not allowed" (403).
 * One deliberate difference: connection-class errors are 500, never 503, because postgrest-js
 * retries GET/HEAD on 503 and a read would then hang for seconds before failing.
 */
export function statusForSqlState(code: string, message: string, authenticated: boolean): number {
  if (code === '23503' || code === '23505') return 409;
  if (code === '25006') return 405;
  if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
  if (code === '22023') return message.startsWith('role') && message.endsWith('does not exist') ? 401 : 400;
  if (code === '42883') return message.startsWith('function xmlagg(') ? 406 : 404;
  if (code === '42P01') return 404;
  if (code === '42P17') return 500;
  if (code === '42501') return authenticated ? 403 : 401;
  if (code === 'P0001') return 400;
  if (code === '53400') return 500;
  const prefix = code.slice(0, 2);
  if (prefix === '0L' || prefix === '0P' || prefix === '28') return 403;
  if (['08', '09', '25', '2D', '38', '39', '3B', '40', '53', '54', '55', '57', '58', 'F0', 'HV', 'P0', 'XX'].includes(prefix)) {
    return 500;
  }
  if (prefix === 'PT') {
    const status = Number(code.slice(2));
    return status >= 100 && status <= 599 ? status : 500;
  }
  return 400;
}

/** Any failure of a request, as the HttpError PostgREST would have answered. */
export function toHttpError(error: unknown, authenticated: boolean): HttpError {
  if (error instanceof HttpError) return error;
  if (isPostgresError(error)) {
    const status = statusForSqlState(error.code, error.message, authenticated);
    return pgrstError(status, error.code, error.message, error.detail ?? null, error.hint ?? null,
      status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
  }
  // No SQLSTATE: the connection failed or was lost (PGRST000 in PostgREST).
  return pgrstError(500, 'PGRST000', 'Database connection error', error instanceof Error ? error.message : String(error));
}
