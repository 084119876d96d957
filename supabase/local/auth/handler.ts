import type { IncomingMessage } from 'node:http';
import type { HttpHandler, StandIn } from '../context.js';
import { sendJson } from '../http.js';
import { createUser, getUser, removeUser } from './admin.js';
import { requireAdmin, requireUser } from './authenticate.js';
import { AuthError, OAuthError, sendAuthError } from './errors.js';
import { passwordGrant, refreshTokenGrant } from './grants.js';
import { readJsonObject } from './request.js';
import { endSessions } from './sessions.js';
import { health, settings } from './settings.js';
import { userJson } from './users.js';

interface Answer {
  status: number;
  body?: unknown;
}

type Route = (standIn: StandIn, request: IncomingMessage, url: URL, match: RegExpMatchArray) => Promise<Answer>;

const ok = (body: unknown): Answer => ({ status: 200, body });

const routes: Array<{ method: string; path: RegExp; run: Route }> = [
  { method: 'GET', path: /^\/health$/, run: async () => ok(health()) },
  { method: 'GET', path: /^\/settings$/, run: async () => ok(settings()) },
  {
    method: 'POST',
    path: /^\/token$/,
    run: async (standIn, request, url) => {
      // GoTrue reads grant_type from the query (auth-js puts it there) or a form body.
      const grantType = url.searchParams.get('grant_type');
      if (grantType === 'password') return ok(await passwordGrant(standIn, await readJsonObject(request)));
      if (grantType === 'refresh_token') return ok(await refreshTokenGrant(standIn, await readJsonObject(request)));
      throw new AuthError(400, 'invalid_credentials', 'unsupported_grant_type');
    },
  },
  {
    method: 'GET',
    path: /^\/user$/,
    run: async (standIn, request) => ok(userJson((await requireUser(standIn, request)).user)),
  },
  {
    method: 'POST',
    path: /^\/logout$/,
    run: async (standIn, request, url) => {
      const scope = url.searchParams.get('scope') || 'global';
      if (scope !== 'global' && scope !== 'local' && scope !== 'others') {
        throw new AuthError(400, 'validation_failed', `Unsupported logout scope "${scope}"`);
      }
      const { user, sessionId } = await requireUser(standIn, request);
      await endSessions(standIn.adminPool, user.id, sessionId, scope);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: /^\/admin\/users\/?$/,
    run: async (standIn, request) => {
      requireAdmin(standIn, request);
      return ok(await createUser(standIn, await readJsonObject(request)));
    },
  },
  {
    method: 'GET',
    path: /^\/admin\/users\/([^/]+)$/,
    run: async (standIn, request, _url, match) => {
      requireAdmin(standIn, request);
      return ok(await getUser(standIn, decodeURIComponent(match[1]!)));
    },
  },
  {
    method: 'DELETE',
    path: /^\/admin\/users\/([^/]+)$/,
    run: async (standIn, request, _url, match) => {
      requireAdmin(standIn, request);
      return ok(await removeUser(standIn, decodeURIComponent(match[1]!), await readJsonObject(request)));
    },
  },
];

/**
 * /auth/v1: password sign-in, refresh, user, logout, the admin users API, settings and health,
 * with GoTrue's statuses, error codes and bodies (see errors.ts), so auth-js reacts as it would to
 * Supabase Auth.
 */
export const handleAuth: HttpHandler = async (standIn, request, response, url) => {
  const path = url.pathname.slice('/auth/v1'.length) || '/';
  try {
    const candidates = routes.filter((route) => route.path.test(path));
    if (candidates.length === 0) throw new AuthError(404, 'not_found', `Not found: ${path} is not served by the local Auth`);
    const route = candidates.find((candidate) => candidate.method === request.method);
    if (!route) throw new AuthError(405, 'method_not_allowed', `Method ${request.method ?? ''} not allowed on ${path}`);
    const answer = await route.run(standIn, request, url, path.match(route.path)!);
    sendJson(response, answer.status, answer.body);
  } catch (error) {
    if (error instanceof AuthError || error instanceof OAuthError) return sendAuthError(request, response, error);
    throw error;
  }
};
