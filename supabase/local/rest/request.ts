// What every /rest/v1 operation gets, and what it gives back.
import type { IncomingMessage } from 'node:http';
import type { StandIn } from '../context.js';
import { readBody } from '../http.js';
import type { Catalog } from './catalog.js';
import { pgrstError } from './errors.js';
import type { RequestContext } from './transaction.js';

export interface RestRequest {
  standIn: StandIn;
  request: IncomingMessage;
  url: URL;
  method: string;
  schema: string;
  catalog: Catalog;
  context: RequestContext;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text; undefined for an empty body. */
  body?: string;
  contentType?: string;
}

/** One row of every statement sql.ts builds. */
export interface ResultRow {
  total: string | null;
  page: string;
  body: string | null;
  first: string | null;
}

/**
 * A JSON request body: the value, read for its shape and keys, and the text as sent, which is what
 * goes to Postgres, as PostgREST passes it. Serialising the value again would differ from the text
 * and fail where Postgres does not (JSON.stringify overflows the stack on deep nesting).
 */
export interface JsonBody {
  value: unknown;
  text: string;
}

/** The JSON request body; PGRST102 when it does not parse. An empty body is `undefined`. */
export async function readJsonBody(request: IncomingMessage): Promise<JsonBody | undefined> {
  const text = await readBody(request);
  if (text.trim() === '') return undefined;
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch {
    throw pgrstError(400, 'PGRST102', 'Empty or invalid json');
  }
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
