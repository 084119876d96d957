import type { IncomingMessage } from 'node:http';
import type { StandIn } from '../context.js';
import { bearerToken } from '../http.js';
import { JwtError, verifyJwt, type JwtClaims } from '../jwt.js';
import { AuthError } from './errors.js';
import { UUID_PATTERN } from './request.js';
import { sessionStartedAt } from './sessions.js';
import { findUserById, isBanned, type UserRow } from './users.js';

/** The roles GoTrue accepts on its admin API (its default JWT_ADMIN_ROLES). */
const ADMIN_ROLES = new Set(['service_role', 'supabase_admin']);

/** GoTrue (golang-jwt) words its verification failures this way; clients only show them. */
function jwtFailure(error: unknown): string {
  if (error instanceof JwtError && error.expiredSecondsAgo !== undefined) {
    return 'token has invalid claims: token is expired';
  }
  if (error instanceof JwtError && error.message.includes('JWSInvalidSignature')) {
    return 'token signature is invalid: signature is invalid';
  }
  return 'token is malformed: could not parse the token';
}

/**
 * The verified claims of the request's bearer token: missing → 401 `no_authorization`; invalid
 * or expired → 403 `bad_jwt`, as GoTrue answers (auth-js treats both as "signed out").
 */
export function requireClaims(standIn: StandIn, request: IncomingMessage): JwtClaims {
  const token = bearerToken(request);
  if (!token) throw new AuthError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
  try {
    return verifyJwt(token, standIn.jwtSecret);
  } catch (error) {
    throw new AuthError(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${jwtFailure(error)}`);
  }
}

export interface Authenticated {
  claims: JwtClaims;
  user: UserRow;
  /** The session the token belongs to; absent for tokens minted outside Auth. */
  sessionId: string | undefined;
}

/**
 * A signed-in user's request: the token must name an existing user and, when it carries a
 * session_id, a session that has not ended (signed out, or the user deleted).
 */
export async function requireUser(standIn: StandIn, request: IncomingMessage): Promise<Authenticated> {
  const claims = requireClaims(standIn, request);
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new AuthError(403, 'bad_jwt', 'invalid claim: missing sub claim');
  }
  if (!UUID_PATTERN.test(claims.sub)) throw new AuthError(400, 'bad_jwt', 'invalid claim: sub claim must be a UUID');
  const user = await findUserById(standIn.adminPool, claims.sub);
  if (!user) throw new AuthError(403, 'user_not_found', 'User from sub claim in JWT does not exist');

  const sessionId = typeof claims.session_id === 'string' && claims.session_id !== '' ? claims.session_id : undefined;
  if (sessionId !== undefined && sessionId !== '00000000-0000-0000-0000-000000000000') {
    if (!UUID_PATTERN.test(sessionId)) {
      throw new AuthError(403, 'bad_jwt', 'invalid claim: session_id claim must be a UUID');
    }
    if ((await sessionStartedAt(standIn.adminPool, sessionId)) === undefined) {
      throw new AuthError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist');
    }
  }
  if (isBanned(user)) {
    throw new AuthError(403, 'user_banned', 'User is banned');
  }
  return { claims, user, sessionId };
}

/** The admin API: a valid token whose role is service_role, else 403 `not_admin`. */
export function requireAdmin(standIn: StandIn, request: IncomingMessage): void {
  const claims = requireClaims(standIn, request);
  if (typeof claims.role !== 'string' || !ADMIN_ROLES.has(claims.role)) {
    throw new AuthError(403, 'not_admin', 'User not allowed');
  }
}
