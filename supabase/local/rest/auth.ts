// Who a request runs as, decided as PostgREST decides it (PostgREST/postgrest src/PostgREST/Auth.hs):
// only `Authorization: Bearer` counts (the `apikey` header is the gateway's business), the token is
// an HS256 JWT with the project secret, and its `role` claim names the database role.
import type { IncomingMessage } from 'node:http';
import { verifyJwt, JwtError, type JwtClaims } from '../jwt.js';
import { pgrstError } from './errors.js';

/** The role PostgREST uses without a JWT, or for a JWT without a `role` claim (db-anon-role). */
export const ANON_ROLE = 'anon';

export interface RequestIdentity {
  role: string;
  /** Becomes `request.jwt.claims`: `{}` without a token, as PostgREST sets it. */
  claims: JwtClaims;
}

function invalidToken(code: 'PGRST301' | 'PGRST303', message: string) {
  return pgrstError(401, code, message, null, null, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(message)}`,
  });
}

export function identify(request: IncomingMessage, secret: string): RequestIdentity {
  const header = request.headers.authorization;
  const match = header?.match(/^Bearer(?:\s+(.*))?$/i);
  if (!match) return { role: ANON_ROLE, claims: {} };
  const token = match[1]?.trim() ?? '';
  if (token === '') throw invalidToken('PGRST301', 'Empty JWT is sent in Authorization header');
  const parts = token.split('.').length;
  if (parts !== 3) throw invalidToken('PGRST301', `Expected 3 parts in JWT; got ${parts}`);
  let claims: JwtClaims;
  try {
    claims = verifyJwt(token, secret);
  } catch (error) {
    if (!(error instanceof JwtError)) throw error;
    // PostgREST 13 (Supabase's) tells an expired token (a claims error, PGRST303) apart from one
    // that fails to decode or verify (PGRST301).
    if (error.expiredSecondsAgo !== undefined) throw invalidToken('PGRST303', 'JWT expired');
    if (error.message.includes('exp claim')) throw invalidToken('PGRST303', "The JWT 'exp' claim must be a number");
    if (error.message.includes('not a JSON object')) throw invalidToken('PGRST303', 'Parsing claims failed');
    throw invalidToken('PGRST301', 'JWT cryptographic operation failed');
  }
  const role = typeof claims.role === 'string' && claims.role !== '' ? claims.role : ANON_ROLE;
  return { role, claims };
}
