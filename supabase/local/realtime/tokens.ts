// Access-token checks as Realtime makes them: signature and expiry, then the two claims it needs
// (`role` to switch to, `exp` to close the channel at). Errors carry the real server's code and
// text, which reach the client as `reason` ("<code>: <message>") or in a `system` message.
import { JwtError, verifyJwt, type JwtClaims } from '../jwt.js';

export interface RealtimeClaims extends JwtClaims {
  role: string;
  exp: number;
}

export type TokenCheck =
  | { ok: true; claims: RealtimeClaims }
  | { ok: false; code: string; message: string };

function isWellFormed(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

export function checkToken(token: string, secret: string, now = Date.now() / 1000): TokenCheck {
  if (!isWellFormed(token)) return { ok: false, code: 'MalformedJWT', message: 'The token provided is not a valid JWT' };
  let claims: JwtClaims;
  try {
    claims = verifyJwt(token, secret, now);
  } catch (error) {
    if (error instanceof JwtError && error.expiredSecondsAgo !== undefined) {
      return { ok: false, code: 'InvalidJWTToken', message: `Token has expired ${error.expiredSecondsAgo} seconds ago` };
    }
    return { ok: false, code: 'JwtSignatureError', message: 'Failed to validate JWT signature' };
  }
  if (typeof claims.role !== 'string' || !claims.role || typeof claims.exp !== 'number' || !Number.isInteger(claims.exp)) {
    return { ok: false, code: 'InvalidJWTToken', message: 'Fields `role` and `exp` are required in JWT' };
  }
  // The checks run on a superuser connection that switches to this role: only the API roles (those
  // PostgREST's authenticator may become) are accepted, so no token can make a check run as postgres.
  if (!API_ROLES.has(claims.role)) {
    return { ok: false, code: 'InvalidJWTToken', message: `The role "${claims.role}" is not an API role` };
  }
  return { ok: true, claims: claims as RealtimeClaims };
}

const API_ROLES = new Set(['anon', 'authenticated', 'service_role']);

/** Publishable/secret keys (`sb_...`) are not JWTs: Realtime falls back to the connection's key. */
export const isOpaqueKey = (token: string) => token.startsWith('sb_');
