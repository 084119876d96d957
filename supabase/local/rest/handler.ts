// /rest/v1: the PostgREST behaviours supabase-js relies on. This module routes, identifies the
// caller and turns every failure into PostgREST's error shape; table.ts and rpc.ts do the work.
import type { ServerResponse } from 'node:http';
import type { HttpHandler, StandIn } from '../context.js';
import { Catalog, SCHEMA_CHANGED_CODES } from './catalog.js';
import { ANON_ROLE, identify } from './auth.js';
import { pgrstError, toHttpError } from './errors.js';
import { requestedSchema } from './negotiation.js';
import type { RestRequest, RestResponse } from './request.js';
import { handleRpc } from './rpc.js';
import { handleTable } from './table.js';

const catalogs = new WeakMap<StandIn, Catalog>();

function catalogOf(standIn: StandIn): Catalog {
  let catalog = catalogs.get(standIn);
  if (!catalog) {
    catalog = new Catalog(standIn.apiPool);
    catalogs.set(standIn, catalog);
  }
  return catalog;
}

function requestHeaders(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]])),
  );
}

function send(response: ServerResponse, method: string, result: RestResponse): void {
  const body = method === 'HEAD' || result.body === undefined ? '' : result.body;
  response.writeHead(result.status, {
    ...(result.body !== undefined ? { 'Content-Type': result.contentType ?? 'application/json; charset=utf-8' } : {}),
    'Content-Length': String(Buffer.byteLength(body)),
    ...result.headers,
  });
  response.end(body);
}

export const handleRest: HttpHandler = async (standIn, request, response, url) => {
  const method = (request.method ?? 'GET').toUpperCase();
  const catalog = catalogOf(standIn);
  let authenticated = false;
  let forgettable: { schema: string; name: string } | undefined;
  try {
    const identity = identify(request, standIn.jwtSecret);
    authenticated = identity.role !== ANON_ROLE;
    const schema = requestedSchema(request, method);
    let segments: string[];
    try {
      segments = url.pathname.slice('/rest/v1'.length).split('/').filter(Boolean).map((segment) => decodeURIComponent(segment));
    } catch {
      throw pgrstError(404, 'PGRST125', 'Invalid path specified in request URL');
    }
    if (segments.length === 0) throw pgrstError(404, 'PGRST126', 'Root endpoint metadata is disabled');
    const isRpc = segments[0] === 'rpc' && segments.length === 2;
    const name = isRpc ? segments[1]! : segments[0]!;
    if (segments.length > (isRpc ? 2 : 1) || name.includes('\0')) {
      throw pgrstError(404, 'PGRST125', 'Invalid path specified in request URL');
    }
    forgettable = { schema, name };
    const rest: RestRequest = {
      standIn,
      request,
      url,
      method,
      schema,
      catalog,
      context: {
        role: identity.role,
        claims: identity.claims,
        method,
        path: url.pathname.slice('/rest/v1'.length),
        headers: requestHeaders(request.headers),
        readOnly: method === 'GET' || method === 'HEAD',
      },
    };
    send(response, method, isRpc ? await handleRpc(rest, name) : await handleTable(rest, name));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (forgettable && typeof code === 'string' && SCHEMA_CHANGED_CODES.has(code)) catalog.forget(forgettable.schema, forgettable.name);
    throw toHttpError(error, authenticated);
  }
};
