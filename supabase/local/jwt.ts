import { createHmac, timingSafeEqual } from 'node:crypto';

/** The Supabase CLI's well-known local JWT secret: the keys below are the ones `supabase start` prints. */
export const LOCAL_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
/** The expiry the CLI's keys carry (2032-11-12). */
const LOCAL_KEY_EXPIRY = 1983812996;

export interface JwtClaims {
  role?: string;
  sub?: string;
  exp?: number;
  iat?: number;
  [claim: string]: unknown;
}

export class JwtError extends Error {
  constructor(
    message: string,
    /** Seconds since expiry, when the token is only expired. */
    readonly expiredSecondsAgo?: number,
  ) {
    super(message);
    this.name = 'JwtError';
  }
}

const base64url = (input: Buffer | string) => Buffer.from(input).toString('base64url');

export function signJwt(claims: JwtClaims, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * Verifies an HS256 token as PostgREST and Realtime do: signature, algorithm, `exp` (when present)
 * and a JSON object payload. Throws JwtError with a message fit for the client.
 */
export function verifyJwt(token: string, secret: string, now = Date.now() / 1000): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('JWSError JWSInvalidSignature');
  const [header, payload, signature] = parts as [string, string, string];
  let algorithm: unknown;
  let claims: unknown;
  try {
    const decodedHeader: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    // A `null` header is as undecodable as malformed JSON; any other value that is no object has no `alg`.
    if (decodedHeader === null) throw new TypeError('the JWT header is null');
    algorithm = typeof decodedHeader === 'object' ? (decodedHeader as { alg?: unknown }).alg : undefined;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)');
  }
  if (algorithm !== 'HS256') throw new JwtError('JWSError JWSInvalidSignature');
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new JwtError('JWSError JWSInvalidSignature');
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw new JwtError('JWT payload is not a JSON object');
  }
  const { exp } = claims as JwtClaims;
  if (exp !== undefined) {
    if (typeof exp !== 'number') throw new JwtError('JWT exp claim is not a number');
    if (exp <= now) throw new JwtError('JWT expired', Math.floor(now - exp));
  }
  return claims as JwtClaims;
}

/** The anon and service_role keys of a project with this secret (the CLI's, for the local secret). */
export function apiKeys(secret: string): { anonKey: string; serviceRoleKey: string } {
  return {
    anonKey: signJwt({ iss: 'supabase-demo', role: 'anon', exp: LOCAL_KEY_EXPIRY }, secret),
    serviceRoleKey: signJwt({ iss: 'supabase-demo', role: 'service_role', exp: LOCAL_KEY_EXPIRY }, secret),
  };
}
