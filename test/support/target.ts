// The Supabase a conformance test talks to: the local stand-in by default, or a real Supabase
// stack when SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY and SUPABASE_DB_URL are set
// (for example the one `supabase start` runs). Tests use only what both offer.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { LOCAL_JWT_SECRET } from '../../supabase/local/jwt.js';
import { startLocalSupabase, type LocalSupabase, type LocalSupabaseOptions } from '../../supabase/local/server.js';

export interface Target {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  /** The JWT secret (a real stack: SUPABASE_JWT_SECRET, default the CLI's local one). */
  jwtSecret: string;
  /** Superuser connection for fixtures and assertions. */
  databaseUrl: string;
  /** Present when the target is the local stand-in (its extra controls, like --jwt-expiry). */
  local?: LocalSupabase;
  stop(): Promise<void>;
}

const realStack = ['SUPABASE_URL', 'SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_DB_URL'] as const;

export const againstRealSupabase = realStack.every((name) => process.env[name]);

/** Why a test that needs the stand-in's controls does not run against a real stack, or false. */
export const needsStandIn = againstRealSupabase ? 'needs the local stand-in (its settings or controls)' : false;

export async function startTarget(options: LocalSupabaseOptions = {}): Promise<Target> {
  if (againstRealSupabase) {
    const env = process.env as Record<(typeof realStack)[number], string>;
    return {
      url: env.SUPABASE_URL,
      anonKey: env.SUPABASE_ANON_KEY,
      serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
      databaseUrl: env.SUPABASE_DB_URL,
      jwtSecret: process.env.SUPABASE_JWT_SECRET ?? LOCAL_JWT_SECRET,
      stop: async () => undefined,
    };
  }
  const local = await startLocalSupabase({ fresh: true, apiPort: 0, seed: false, ...options });
  return { ...local, local, stop: () => local.stop() };
}

/** A supabase-js client as a Node app makes one: ws transport (Node 20 has no WebSocket), no storage. */
export function nodeClient(target: Target, key = target.anonKey): SupabaseClient {
  return createClient(target.url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
}
