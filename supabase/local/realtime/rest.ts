// Realtime's REST broadcast API, behind the gateway's apikey check:
//   POST /realtime/v1/api/broadcast                              (BroadcastController: a batch)
//   POST /realtime/v1/api/broadcast/:topic/events/:event[?private=true]   (BroadcastSingleController,
//        what supabase-js httpSend() calls since 2.107; JSON or application/octet-stream)
// Both answer 202 with an empty body. Private messages are authorised by the caller's INSERT
// policies on realtime.messages, once per topic: the batch drops a denied topic's messages and still
// answers 202; the single route answers 403.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, MAX_BODY_BYTES, sendJson } from '../http.js';
import { AuthorizationError, type AuthorizationContext, type Authorizer } from './authorization.js';
import { hubTopic, type BroadcastMessage, type Hub } from './hub.js';
import { checkToken, type RealtimeClaims } from './tokens.js';

export interface BroadcastApiServices {
  jwtSecret: string;
  hub: Hub;
  authorizer: Authorizer;
  log(message: string): void;
}

const BATCH_PATH = '/realtime/v1/api/broadcast';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Answers a request under /realtime/v1/api/. */
export async function handleBroadcastApi(
  services: BroadcastApiServices,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  const single = path.startsWith(`${BATCH_PATH}/`) ? path.slice(BATCH_PATH.length + 1).split('/') : undefined;
  if (request.method === 'POST' && path === BATCH_PATH) return batch(services, request, response);
  if (request.method === 'POST' && single?.length === 3 && single[1] === 'events' && single[0] && single[2]) {
    return one(services, request, response, url, pathParameter(single[0]), pathParameter(single[2]));
  }
  throw new HttpError(404, { message: 'no Route matched with those values' });
}

/** A percent-decoded path segment; a malformed escape (`%zz`) is Plug's 400, not an exception. */
function pathParameter(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, { message: 'Bad Request' });
  }
}

/** The batch: `{messages: [{topic, event, payload, private?, id?}]}`. */
async function batch(services: BroadcastApiServices, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = parseJson(await readRaw(request), request);
  const caller = authenticate(services, request);
  const validated = validateBatch(body);
  if (!validated.ok) return sendJson(response, 422, { errors: validated.errors });

  for (const message of validated.messages.filter((m) => !m.private)) {
    services.hub.broadcast(hubTopic(message.topic, false), textBroadcast(message));
  }
  const privateTopics = new Map<string, BatchMessage[]>();
  for (const message of validated.messages.filter((m) => m.private)) {
    privateTopics.set(message.topic, [...(privateTopics.get(message.topic) ?? []), message]);
  }
  for (const [topic, messages] of privateTopics) {
    let allowed = false;
    try {
      const policies = await services.authorizer.write(context(caller, topic, request), ['broadcast', 'presence']);
      allowed = policies.broadcast.write === true;
    } catch (error) {
      services.log(`could not authorise a REST broadcast to ${topic}: ${(error as Error).message}`);
    }
    if (!allowed) continue; // dropped silently, as Realtime's batch does
    for (const message of messages) services.hub.broadcast(hubTopic(topic, true), textBroadcast(message), { id: message.id });
  }
  response.writeHead(202, { 'Content-Length': '0' });
  response.end();
}

/** One message, its topic and event in the path, its payload the body (JSON or bytes). */
async function one(
  services: BroadcastApiServices,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  topic: string,
  event: string,
): Promise<void> {
  const contentType = request.headers['content-type'];
  const mediaType = contentType?.split(';')[0]!.trim().toLowerCase();
  if (contentType !== undefined && mediaType !== 'application/json' && mediaType !== 'application/octet-stream') {
    return sendJson(response, 415, { error: 'Unsupported Media Type. Use application/json or application/octet-stream' });
  }
  const raw = await readRaw(request);
  let message: BroadcastMessage;
  if (mediaType === 'application/octet-stream') {
    message = { kind: 'user', message: { event, encoding: 'binary', body: raw, meta: null } };
  } else {
    // Phoenix's parsers: no content type, no params; a JSON value that is not an object lands in `_json`.
    const parsed = mediaType === 'application/json' ? parseJson(raw, request) : {};
    const payload = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : { _json: parsed };
    message = { kind: 'user', message: { event, encoding: 'json', body: Buffer.from(JSON.stringify(payload)), meta: null } };
  }
  const caller = authenticate(services, request);
  const isPrivate = url.searchParams.get('private') === 'true';
  if (isPrivate) {
    let allowed: boolean;
    try {
      const policies = await services.authorizer.write(context(caller, topic, request), ['broadcast', 'presence']);
      allowed = policies.broadcast.write === true;
    } catch (error) {
      services.log(`could not authorise a REST broadcast to ${topic}: ${(error as Error).message}`);
      const [status, text] = singleFailure(error);
      return sendJson(response, status, { message: text });
    }
    if (!allowed) return sendJson(response, 403, { message: 'Unauthorized' });
  }
  services.hub.broadcast(hubTopic(topic, isPrivate), message);
  response.writeHead(202, { 'Content-Length': '0' });
  response.end();
}

function singleFailure(error: unknown): [number, string] {
  if (!(error instanceof AuthorizationError)) return [500, 'Unable to authorize broadcast'];
  switch (error.kind) {
    case 'rls_policy_error':
      return [422, 'RLS policy error'];
    case 'query_canceled':
      return [422, 'Query canceled'];
    case 'missing_partition':
      return [422, 'Missing messages partition'];
    case 'increase_connection_pool':
      return [429, 'Connection pool exhausted'];
    case 'database_unavailable':
      return [422, 'Tenant database unavailable'];
  }
}

interface BatchMessage {
  topic: string;
  event: string;
  payload: Record<string, unknown>;
  private: boolean;
  id?: string;
}

function textBroadcast(message: BatchMessage): BroadcastMessage {
  return {
    kind: 'text',
    payload: {
      payload: message.payload,
      event: message.event,
      type: 'broadcast',
      ...(message.id !== undefined ? { meta: { id: message.id } } : {}),
    },
  };
}

type FieldErrors = Record<string, string[]>;

/**
 * The batch's Ecto changeset: `messages` is a non-empty list of objects, each with a non-blank
 * topic and event (strings), a payload object, an optional boolean `private` and an optional UUID
 * `id`. Errors come back as Ecto renders them: per message, `{}` for the valid ones.
 */
function validateBatch(
  body: unknown,
): { ok: true; messages: BatchMessage[] } | { ok: false; errors: { messages: string[] | FieldErrors[] } } {
  const messages = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).messages : undefined;
  if (messages == null || (Array.isArray(messages) && messages.length === 0)) {
    return { ok: false, errors: { messages: ["can't be blank"] } };
  }
  if (!Array.isArray(messages) || !messages.every((m) => m !== null && typeof m === 'object' && !Array.isArray(m))) {
    return { ok: false, errors: { messages: ['is invalid'] } };
  }
  const errors: FieldErrors[] = [];
  const valid: BatchMessage[] = [];
  for (const raw of messages as Record<string, unknown>[]) {
    const fieldErrors: FieldErrors = {};
    const blank = (value: unknown) => value == null || (typeof value === 'string' && value.trim() === '');
    for (const field of ['topic', 'event'] as const) {
      if (raw[field] != null && typeof raw[field] !== 'string') fieldErrors[field] = ['is invalid'];
      else if (blank(raw[field])) fieldErrors[field] = ["can't be blank"];
    }
    const payload = raw.payload;
    if (payload == null) fieldErrors.payload = ["can't be blank"];
    else if (typeof payload !== 'object' || Array.isArray(payload)) fieldErrors.payload = ['is invalid'];
    const isPrivate = castBoolean(raw.private);
    if (isPrivate === undefined) fieldErrors.private = ['is invalid'];
    if (raw.id != null && !(typeof raw.id === 'string' && UUID.test(raw.id))) fieldErrors.id = ['is invalid'];
    errors.push(fieldErrors);
    if (Object.keys(fieldErrors).length === 0) {
      valid.push({
        topic: raw.topic as string,
        event: raw.event as string,
        payload: payload as Record<string, unknown>,
        private: isPrivate!,
        ...(typeof raw.id === 'string' ? { id: raw.id.toLowerCase() } : {}),
      });
    }
  }
  if (errors.some((fieldErrors) => Object.keys(fieldErrors).length > 0)) return { ok: false, errors: { messages: errors } };
  return { ok: true, messages: valid };
}

/** Ecto's boolean cast (absent means false here); undefined when it does not cast. */
function castBoolean(value: unknown): boolean | undefined {
  if (value == null) return false;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

/**
 * Realtime's AuthTenant: the bearer token, else the apikey header, verified like a channel's
 * token (signature, expiry, `role` and `exp`); anything else is 401 `{"message":"Unauthorized"}`.
 */
function authenticate(services: BroadcastApiServices, request: IncomingMessage): RealtimeClaims {
  const authorization = request.headers.authorization?.trim();
  const [scheme, bearer] = authorization ? authorization.split(/\s+/) : [];
  const apiKey = request.headers.apikey;
  const token = scheme?.toLowerCase() === 'bearer' && bearer ? bearer : Array.isArray(apiKey) ? apiKey[0] : apiKey;
  const check = token ? checkToken(token, services.jwtSecret) : undefined;
  if (!check?.ok) throw new HttpError(401, { message: 'Unauthorized' });
  return check.claims;
}

function context(claims: RealtimeClaims, topic: string, request: IncomingMessage): AuthorizationContext {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { topic, role: claims.role, claims, headers };
}

async function readRaw(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, { message: 'Request body too large' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Phoenix parses JSON bodies before routing: a body that is not JSON is a 400. */
function parseJson(raw: Buffer, request: IncomingMessage): unknown {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!/^application\/([\w.-]+\+)?json$/.test(mediaType)) return {};
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, { message: 'Bad Request' });
  }
}
