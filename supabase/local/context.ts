import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';

/** What every part of the stand-in (REST, Auth, Realtime) shares. */
export interface StandIn {
  /** HS256 secret of every JWT the stand-in issues or accepts. */
  jwtSecret: string;
  /** Lifetime of the access tokens Auth issues, in seconds. */
  jwtExpiry: number;
  /** The stand-in's own base URL, e.g. http://127.0.0.1:54321. */
  url: string;
  /** Superuser URL of the database (Realtime's replication connection uses it). */
  databaseUrl: string;
  /**
   * Logs in as `authenticator`, as PostgREST does: each request switches to the JWT's role with
   * `set local role` inside its own transaction, so RLS and column privileges decide.
   */
  apiPool: pg.Pool;
  /** Superuser pool: Auth's own tables and Realtime's internal queries. */
  adminPool: pg.Pool;
}

export type HttpHandler = (
  standIn: StandIn,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
) => Promise<void>;
