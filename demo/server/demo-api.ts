// The demo server's own API, next to the page: where the local Supabase is, an "automation" that
// assigns conversations server-side as Wacrm's automations do (no user behind the change, so the
// notification says "Someone"), and a customer who writes, as Wacrm's WhatsApp webhook inserts
// inbound messages. The service side stays here: the page never sees a service key.
import type { IncomingMessage } from 'node:http';
import type { DevServerConfig } from '@web/dev-server';
import pg from 'pg';
import { verifyJwt } from '../../supabase/local/jwt.js';
import { CUSTOMER_MESSAGE_SQL, CUSTOMER_TEXT_MAX_LENGTH, customerTexts } from './customer-message.js';

type Middleware = NonNullable<DevServerConfig['middleware']>[number];

export interface DemoApiOptions {
  supabaseUrl: string;
  anonKey: string;
  /** Verifies the caller's access token, as Supabase Auth signed it. */
  jwtSecret: string;
  /** A connection as the database owner: the automation acts outside RLS, as a service does. */
  databaseUrl: string;
}

export interface DemoApi {
  middleware: Middleware;
  close(): Promise<void>;
}

/** What the page reads at start: only public values (the anon key is public by design). */
export interface DemoConfig {
  url: string;
  anonKey: string;
  automation: boolean;
}

/** The answer of POST /demo-api/customer-message. */
export interface CustomerMessage {
  messageId: string;
  text: string;
}

/** A uuid as Postgres prints it (any case): what the page sends, and all the endpoint accepts. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function demoApi(options: DemoApiOptions): DemoApi {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
  pool.on('error', () => undefined);

  /** The signed-in agent behind a request: the user id of a valid access token, else a 401. */
  function callerOf(request: IncomingMessage): string {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw new ApiError(401, 'sign in first: the demo server acts for your account');
    try {
      const claims = verifyJwt(token, options.jwtSecret);
      if (claims.role !== 'authenticated' || typeof claims.sub !== 'string' || !UUID.test(claims.sub)) throw new Error('not a user token');
      return claims.sub;
    } catch {
      throw new ApiError(401, 'your session is not valid any more: sign in again');
    }
  }

  /**
   * Assigns as an automation. The caller must be a signed-in agent, and both the conversation and
   * the assignee must belong to the caller's account: an endpoint with owner rights must not become
   * a way around RLS. No request.jwt.claims are set, so the trigger records no actor.
   */
  async function automationAssign(request: IncomingMessage): Promise<void> {
    const callerId = callerOf(request);
    const shape = '{"conversationId": "<uuid>", "assigneeId": "<uuid>"}';
    const body = await readJson(request, shape);
    const conversationId = uuidField(body, 'conversationId', shape);
    const assigneeId = uuidField(body, 'assigneeId', shape);
    const { rowCount } = await pool.query(
      `update public.conversations c set assigned_agent_id = $3
        where c.id = $2
          and exists (select 1 from public.profiles p where p.user_id = $1 and p.account_id = c.account_id)
          and exists (select 1 from public.profiles p where p.user_id = $3 and p.account_id = c.account_id)`,
      [callerId, conversationId, assigneeId],
    );
    if (rowCount === 0) {
      // Which of the two is missing, said without revealing anything outside the caller's account.
      const { rows } = await pool.query<{ found: boolean }>(
        `select exists (
           select 1 from public.conversations c
             join public.profiles p on p.account_id = c.account_id and p.user_id = $1
            where c.id = $2) as found`,
        [callerId, conversationId],
      );
      throw new ApiError(
        404,
        rows[0]?.found
          ? `no agent ${assigneeId} in your account: assign to a teammate`
          : `no conversation ${conversationId} in your account`,
      );
    }
  }

  /**
   * A customer writes on a conversation of the caller's account, as the webhook inserts it (the
   * database owner, no claims): the message_received trigger tells the conversation's assignee, or
   * folds the message into their unread notification. The text is the caller's, else one of a few.
   */
  async function customerMessage(request: IncomingMessage): Promise<CustomerMessage> {
    const callerId = callerOf(request);
    const shape = '{"conversationId": "<uuid>", "text"?: "<what the customer says>"}';
    const body = await readJson(request, shape);
    const conversationId = uuidField(body, 'conversationId', shape);
    const text = textField(body, 'text', shape) ?? customerTexts[Math.floor(Math.random() * customerTexts.length)]!;
    const { rows } = await pool.query<{ messageId: string }>(CUSTOMER_MESSAGE_SQL, [callerId, conversationId, text]);
    if (!rows[0]) throw new ApiError(404, `no conversation ${conversationId} in your account`);
    return { messageId: rows[0].messageId, text };
  }

  const routes: Record<string, { method: string; handle: (context: Parameters<Middleware>[0]) => Promise<void> }> = {
    '/demo-api/config': {
      method: 'GET',
      handle: async (context) => {
        const config: DemoConfig = { url: options.supabaseUrl, anonKey: options.anonKey, automation: true };
        context.body = config;
      },
    },
    '/demo-api/automation-assign': {
      method: 'POST',
      handle: async (context) => {
        await automationAssign(context.req);
        context.status = 204;
      },
    },
    '/demo-api/customer-message': {
      method: 'POST',
      handle: async (context) => {
        context.body = await customerMessage(context.req);
        context.status = 201;
      },
    },
  };

  const middleware: Middleware = async (context, next) => {
    if (!context.path.startsWith('/demo-api/')) return next();
    try {
      const route = Object.hasOwn(routes, context.path) ? routes[context.path] : undefined;
      if (!route) throw new ApiError(404, `no ${context.path}`);
      if (context.method !== route.method) {
        context.set('allow', route.method);
        throw new ApiError(405, `${context.path} takes ${route.method}, not ${context.method}`);
      }
      await route.handle(context);
    } catch (error) {
      const refused = error instanceof ApiError ? error : badInput(error);
      if (refused) {
        context.status = refused.status;
        context.body = { message: refused.message };
      } else {
        // A fault of the server (the database is down…), not of the request: worth a trace.
        context.status = 500;
        context.body = { message: 'the demo server failed; its console says why' };
        console.error('[demo api]', error);
      }
    }
  };

  return { middleware, close: () => pool.end() };
}

/** The request's JSON object; `shape` shows the caller what to send instead of something else. */
async function readJson(request: IncomingMessage, shape: string): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 10_000) throw new ApiError(413, 'request too large');
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, `the body must be JSON: ${shape}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, `the body must be a JSON object: ${shape}`);
  }
  return body as Record<string, unknown>;
}

function uuidField(body: Record<string, unknown>, name: string, shape: string): string {
  const value = body[name];
  if (value === undefined) throw new ApiError(400, `${name} is missing: send ${shape}`);
  if (typeof value !== 'string' || !UUID.test(value)) throw new ApiError(400, `${name} must be a uuid, not ${JSON.stringify(value)}`);
  return value;
}

/** An optional text: absent (or null) is undefined; present, it must say something, briefly. */
function textField(body: Record<string, unknown>, name: string, shape: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiError(400, `${name} must be a string, not ${JSON.stringify(value)}: send ${shape}`);
  const text = value.trim();
  if (!text) throw new ApiError(400, `${name} is blank: leave it out for a random customer text`);
  if (text.length > CUSTOMER_TEXT_MAX_LENGTH) {
    throw new ApiError(400, `${name} has ${text.length} characters; at most ${CUSTOMER_TEXT_MAX_LENGTH}`);
  }
  return text;
}

/**
 * A value Postgres refused as data (SQLSTATE class 22: not a uuid, out of range…), should one get
 * past the checks above: the request's fault, so a 400, not a server error.
 */
function badInput(error: unknown): ApiError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('22')) return null;
  return new ApiError(400, `the database refused a value: ${(error as Error).message}`);
}
