// The demo server's own API, next to the page: where the local Supabase is, and an "automation"
// that assigns conversations server-side as Wacrm's automations do (no user behind the change, so
// the notification says "Someone"). The service side stays here: the page never sees a service key.
import type { IncomingMessage } from 'node:http';
import type { DevServerConfig } from '@web/dev-server';
import pg from 'pg';
import { verifyJwt } from '../../supabase/local/jwt.js';

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

  /**
   * Assigns as an automation. The caller must be a signed-in agent, and both the conversation and
   * the assignee must belong to the caller's account: an endpoint with owner rights must not become
   * a way around RLS. No request.jwt.claims are set, so the trigger records no actor.
   */
  async function automationAssign(request: IncomingMessage): Promise<void> {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw new ApiError(401, 'sign in first: the automation runs for your account');
    let callerId: string;
    try {
      const claims = verifyJwt(token, options.jwtSecret);
      if (claims.role !== 'authenticated' || typeof claims.sub !== 'string') throw new Error('not a user token');
      callerId = claims.sub;
    } catch {
      throw new ApiError(401, 'your session is not valid any more: sign in again');
    }
    const body = (await readJson(request)) as { conversationId?: unknown; assigneeId?: unknown };
    if (typeof body.conversationId !== 'string' || typeof body.assigneeId !== 'string') {
      throw new ApiError(400, 'send {"conversationId": "…", "assigneeId": "…"}');
    }
    const { rowCount } = await pool.query(
      `update public.conversations c set assigned_agent_id = $3
        where c.id = $2
          and exists (select 1 from public.profiles p where p.user_id = $1 and p.account_id = c.account_id)
          and exists (select 1 from public.profiles p where p.user_id = $3 and p.account_id = c.account_id)`,
      [callerId, body.conversationId, body.assigneeId],
    );
    if (rowCount === 0) throw new ApiError(404, 'no such conversation and agent in your account');
  }

  const middleware: Middleware = async (context, next) => {
    if (!context.path.startsWith('/demo-api/')) return next();
    try {
      if (context.path === '/demo-api/config' && context.method === 'GET') {
        const config: DemoConfig = { url: options.supabaseUrl, anonKey: options.anonKey, automation: true };
        context.body = config;
      } else if (context.path === '/demo-api/automation-assign' && context.method === 'POST') {
        await automationAssign(context.req);
        context.status = 204;
      } else {
        throw new ApiError(404, `no ${context.method} ${context.path}`);
      }
    } catch (error) {
      context.status = error instanceof ApiError ? error.status : 500;
      context.body = { message: error instanceof Error ? error.message : String(error) };
      if (!(error instanceof ApiError)) console.error('[demo api]', error);
    }
  };

  return { middleware, close: () => pool.end() };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > 10_000) throw new ApiError(413, 'request too large');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'the body must be JSON');
  }
}
