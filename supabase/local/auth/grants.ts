// POST /auth/v1/token: the password and refresh_token grants, answered as GoTrue answers them.
import type { StandIn } from '../context.js';
import { sessionResponse, type SessionResponse } from './access-token.js';
import { inTransaction } from './db.js';
import { AuthError, OAuthError } from './errors.js';
import { optionalString } from './request.js';
import { rotateRefreshToken, sessionStartedAt, startSession } from './sessions.js';
import { findUserById, findUserByPassword, isBanned, markSignedIn } from './users.js';

const invalidCredentials = () => new AuthError(400, 'invalid_credentials', 'Invalid login credentials');

/**
 * `grant_type=password` with `{email, password}`. Unknown email and wrong password get the same
 * answer, so the endpoint does not reveal who has an account.
 */
export async function passwordGrant(standIn: StandIn, body: Record<string, unknown>): Promise<SessionResponse> {
  const email = optionalString(body, 'email') ?? '';
  const phone = optionalString(body, 'phone') ?? '';
  const password = optionalString(body, 'password') ?? '';
  if (email !== '' && phone !== '') {
    throw new AuthError(400, 'validation_failed', 'Only an email address or phone number should be provided on login.');
  }
  if (phone !== '') throw new AuthError(422, 'phone_provider_disabled', 'Phone logins are disabled');
  if (email === '') throw new AuthError(400, 'validation_failed', 'missing email or phone');

  return inTransaction(standIn.adminPool, async (client) => {
    const found = await findUserByPassword(client, email, password);
    if (!found || !found.passwordMatches) throw invalidCredentials();
    if (isBanned(found.user)) throw new AuthError(400, 'user_banned', 'User is banned');
    if (found.user.email_confirmed_at === null) throw new AuthError(400, 'email_not_confirmed', 'Email not confirmed');

    await markSignedIn(client, found.user.id);
    const session = await startSession(client, found.user.id);
    const user = (await findUserById(client, found.user.id))!;
    return sessionResponse(standIn, user, session.sessionId, session.refreshToken, Math.floor(Date.now() / 1000));
  });
}

/** `grant_type=refresh_token` with `{refresh_token}`: the next token of the session (see sessions.ts). */
export async function refreshTokenGrant(standIn: StandIn, body: Record<string, unknown>): Promise<SessionResponse> {
  const refreshToken = optionalString(body, 'refresh_token') ?? '';
  if (refreshToken === '') throw new OAuthError('invalid_request', 'refresh_token required');

  return inTransaction(standIn.adminPool, async (client) => {
    const grant = await rotateRefreshToken(client, refreshToken);
    const user = await findUserById(client, grant.userId);
    // A deleted user's tokens may outlive it (nothing cascades to them): the session is gone.
    if (!user) throw new AuthError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
    if (isBanned(user)) throw new AuthError(400, 'user_banned', 'Invalid Refresh Token: User Banned');
    const signedInAt = (await sessionStartedAt(client, grant.sessionId)) ?? Math.floor(Date.now() / 1000);
    return sessionResponse(standIn, user, grant.sessionId, grant.refreshToken, signedInAt);
  });
}
