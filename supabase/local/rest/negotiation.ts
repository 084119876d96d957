// The request headers that shape a response: Prefer, Accept, the schema profile and Range.
import type { IncomingMessage } from 'node:http';
import { pgrstError } from './errors.js';

export interface Preferences {
  return: 'minimal' | 'representation' | 'headers-only';
  count?: 'exact' | 'planned' | 'estimated';
  resolution?: 'merge-duplicates' | 'ignore-duplicates';
  missingDefault: boolean;
}

/** Prefer values are comma-separated and may come in several headers (postgrest-js appends). */
export function parsePreferences(request: IncomingMessage): Preferences {
  const header = request.headers.prefer;
  const values = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  const preferences: Preferences = { return: 'minimal', missingDefault: false };
  for (const value of values) {
    const [name, setting] = value.split('=', 2).map((part) => part.trim());
    if (name === 'return' && (setting === 'minimal' || setting === 'representation' || setting === 'headers-only')) {
      preferences.return = setting;
    } else if (name === 'count' && (setting === 'exact' || setting === 'planned' || setting === 'estimated')) {
      preferences.count = setting;
    } else if (name === 'resolution' && (setting === 'merge-duplicates' || setting === 'ignore-duplicates')) {
      preferences.resolution = setting;
    } else if (name === 'missing' && setting === 'default') {
      preferences.missingDefault = true;
    }
    // Unknown or unsupported preferences are ignored, as PostgREST does without handling=strict.
  }
  return preferences;
}

export interface MediaChoice {
  /** One JSON object instead of an array (PGRST116 unless exactly one row). */
  singular: boolean;
  /** `;nulls=stripped`: keys with null values are left out of every object. */
  stripNulls: boolean;
  contentType: string;
}

/** The first acceptable media type of the Accept header; PGRST107 (406) when none is. */
export function negotiateMedia(request: IncomingMessage): MediaChoice {
  const accept = request.headers.accept ?? '*/*';
  for (const entry of accept.split(',')) {
    const [type = '', ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    const stripNulls = parameters.includes('nulls=stripped');
    if (type === 'application/vnd.pgrst.object+json' || type === 'application/vnd.pgrst.object') {
      return { singular: true, stripNulls, contentType: 'application/vnd.pgrst.object+json; charset=utf-8' };
    }
    if (type === 'application/vnd.pgrst.array+json') {
      return { singular: false, stripNulls, contentType: 'application/vnd.pgrst.array+json; charset=utf-8' };
    }
    if (type === 'application/json' || type === 'application/*' || type === '*/*' || type === '') {
      return { singular: false, stripNulls: false, contentType: 'application/json; charset=utf-8' };
    }
  }
  throw pgrstError(406, 'PGRST107', `None of these media types are available: ${accept}`);
}

/** Supabase exposes `public` here; PostgREST answers any other profile with PGRST106. */
export const EXPOSED_SCHEMAS = ['public'];

export function requestedSchema(request: IncomingMessage, method: string): string {
  const header = method === 'GET' || method === 'HEAD' ? request.headers['accept-profile'] : request.headers['content-profile'];
  const schema = (Array.isArray(header) ? header[0] : header)?.trim() || EXPOSED_SCHEMAS[0]!;
  if (!EXPOSED_SCHEMAS.includes(schema)) {
    throw pgrstError(406, 'PGRST106', `Invalid schema: ${schema}`, null, `Only the following schemas are exposed: ${EXPOSED_SCHEMAS.join(', ')}`);
  }
  return schema;
}

/** `Range: 0-9` (rows 0 to 9), as older clients send for pagination. */
export function rangeHeader(request: IncomingMessage): { from: number; to?: number } | undefined {
  const match = request.headers.range?.trim().match(/^(?:items=)?(\d+)-(\d*)$/);
  if (!match) return undefined;
  // Past 2^53 a row number is no longer exact in JavaScript; no table has that many rows.
  const exact = (digits: string) => Math.min(Number(digits), Number.MAX_SAFE_INTEGER);
  const from = exact(match[1]!);
  const to = match[2] ? exact(match[2]) : undefined;
  if (to !== undefined && to < from) {
    throw pgrstError(416, 'PGRST103', 'Requested range not satisfiable',
      'The lower boundary must be lower than or equal to the upper boundary in the Range header.');
  }
  return to === undefined ? { from } : { from, to };
}
