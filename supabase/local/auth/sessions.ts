// Sessions and their refresh tokens. The stand-in has no auth.sessions table: a session is the
// family of auth.refresh_tokens rows sharing a session_id, and it exists while any of them does.
// Ending a session deletes its rows, as GoTrue's `delete from sessions` cascades to them.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from './db.js';
import { CommitThenThrow } from './db.js';
import { AuthError } from './errors.js';

/** An opaque, unguessable refresh token (GoTrue's are random too; clients never parse them). */
function newRefreshToken(): string {
  return randomBytes(18).toString('base64url');
}

export interface SessionGrant {
  userId: string;
  sessionId: string;
  refreshToken: string;
}

/** A new session for a user who just proved who they are, with its first refresh token. */
export async function startSession(db: Queryable, userId: string): Promise<SessionGrant> {
  const refreshToken = newRefreshToken();
  const { rows } = await db.query<{ session_id: string }>(
    `insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
     values ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), null, gen_random_uuid())
     returning session_id`,
    [refreshToken, userId],
  );
  return { userId, sessionId: rows[0]!.session_id, refreshToken };
}

interface TokenRow {
  id: string;
  token: string;
  user_id: string;
  session_id: string | null;
  revoked: boolean;
  parent: string | null;
}

const alreadyUsed = () => new AuthError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
const notFound = () => new AuthError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');

/**
 * Exchanges a refresh token for the session's next one, inside the caller's transaction, with
 * GoTrue's rules: a live token is revoked and gets a child; a revoked token that is the parent of
 * the session's live token gets that live token back (the client lost the answer to its last
 * refresh, or two tabs refreshed at once); any other revoked token is a replay, so the whole
 * session is revoked and the request refused. GoTrue also lets any revoked token through for a
 * few seconds (its reuse interval); the stand-in does not, so that replays are visible at once.
 */
export async function rotateRefreshToken(client: pg.PoolClient, refreshToken: string): Promise<SessionGrant> {
  // The row lock serialises concurrent refreshes of the same token.
  const { rows } = await client.query<TokenRow>(
    'select id, token, user_id, session_id, revoked, parent from auth.refresh_tokens where token = $1 for update',
    [refreshToken],
  );
  const token = rows[0];
  if (!token) throw notFound();
  if (!token.session_id) {
    throw new AuthError(400, 'session_not_found', 'Invalid Refresh Token: No Valid Session Found');
  }
  const grant = { userId: token.user_id, sessionId: token.session_id };

  if (token.revoked) {
    const { rows: live } = await client.query<{ token: string; parent: string | null }>(
      `select token, parent from auth.refresh_tokens
       where session_id = $1 and revoked = false order by id desc limit 1`,
      [token.session_id],
    );
    if (live[0] && live[0].parent === token.token) return { ...grant, refreshToken: live[0].token };
    await client.query(
      'update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false',
      [token.session_id],
    );
    throw new CommitThenThrow(alreadyUsed());
  }

  await client.query('update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1', [token.id]);
  const next = newRefreshToken();
  await client.query(
    `insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
     values ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), $3, $4)`,
    [next, token.user_id, token.token, token.session_id],
  );
  return { ...grant, refreshToken: next };
}

/** When the session began (seconds since the epoch), or undefined once it has ended. */
export async function sessionStartedAt(db: Queryable, sessionId: string): Promise<number | undefined> {
  const { rows } = await db.query<{ started: number | null }>(
    'select extract(epoch from min(created_at))::float8 as started from auth.refresh_tokens where session_id = $1',
    [sessionId],
  );
  const started = rows[0]?.started;
  return started === null || started === undefined ? undefined : Math.floor(started);
}

export type LogoutScope = 'global' | 'local' | 'others';

/**
 * Ends sessions as GoTrue's logout does: `global` every session of the user, `local` this one,
 * `others` all but this one. Without a session (a token minted outside Auth) every session ends.
 */
export async function endSessions(
  db: Queryable,
  userId: string,
  sessionId: string | undefined,
  scope: LogoutScope,
): Promise<void> {
  if (!sessionId || scope === 'global') {
    await db.query('delete from auth.refresh_tokens where user_id = $1', [userId]);
  } else if (scope === 'local') {
    await db.query('delete from auth.refresh_tokens where session_id = $1', [sessionId]);
  } else {
    await db.query('delete from auth.refresh_tokens where user_id = $1 and session_id is distinct from $2', [
      userId,
      sessionId,
    ]);
  }
}
