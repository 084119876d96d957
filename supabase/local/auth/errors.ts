import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http.js';

/** The header auth-js sends (and GoTrue echoes on errors) to choose the error body's shape. */
const API_VERSION_HEADER = 'X-Supabase-Api-Version';
const API_VERSION_2024 = '2024-01-01';

/** An error as GoTrue reports it: an HTTP status, a stable `error_code` and a message for people. */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/**
 * GoTrue's OAuth-style error (`{error, error_description}`), which it still sends for a few
 * token-endpoint mistakes such as a refresh grant without a refresh token.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/** True when the request asked for the 2024-01-01 API (auth-js always does), as GoTrue decides it. */
function wants2024Api(request: IncomingMessage): boolean {
  const value = request.headers[API_VERSION_HEADER.toLowerCase()];
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  return Number.isFinite(date) && date >= Date.parse(`${API_VERSION_2024}T00:00:00Z`);
}

/**
 * Writes an error exactly as GoTrue does. Clients on the 2024-01-01 API get `{code, message}` with
 * the string code and the version echoed in a header (auth-js reads `code` only when that header
 * is present); older clients get `{code: <status>, error_code, msg}`.
 */
export function sendAuthError(request: IncomingMessage, response: ServerResponse, error: AuthError | OAuthError): void {
  if (error instanceof OAuthError) {
    sendJson(response, 400, { error: error.error, error_description: error.description });
    return;
  }
  if (wants2024Api(request)) {
    sendJson(response, error.status, { code: error.errorCode, message: error.message }, { [API_VERSION_HEADER]: API_VERSION_2024 });
    return;
  }
  sendJson(response, error.status, { code: error.status, error_code: error.errorCode, msg: error.message });
}
