import type { StandIn } from '../context.js';
import { signJwt } from '../jwt.js';
import { userJson, type UserRow } from './users.js';

/** What GoTrue answers to a successful token grant; auth-js stores it as the session. */
export interface SessionResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: Record<string, unknown>;
}

/**
 * The access token GoTrue issues: the user's identity, role and metadata, the session it belongs
 * to, and how the session was authenticated (aal1 with a password; amr dates the sign-in, so a
 * refreshed token keeps the original time).
 */
export function accessTokenClaims(
  standIn: StandIn,
  user: UserRow,
  sessionId: string,
  signedInAt: number,
  now = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  return {
    aud: user.aud ?? '',
    exp: now + standIn.jwtExpiry,
    iat: now,
    iss: `${standIn.url}/auth/v1`,
    sub: user.id,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? '',
    aal: 'aal1',
    amr: [{ method: 'password', timestamp: signedInAt }],
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  };
}

export function sessionResponse(
  standIn: StandIn,
  user: UserRow,
  sessionId: string,
  refreshToken: string,
  signedInAt: number,
): SessionResponse {
  const claims = accessTokenClaims(standIn, user, sessionId, signedInAt);
  return {
    access_token: signJwt(claims, standIn.jwtSecret),
    token_type: 'bearer',
    expires_in: standIn.jwtExpiry,
    expires_at: claims.exp as number,
    refresh_token: refreshToken,
    user: userJson(user),
  };
}
