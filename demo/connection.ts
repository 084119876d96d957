// Which Supabase the page talks to, and one supabase-js client per "seat" (an agent signed in on
// this page). The page never hard-codes the stand-in: it asks the demo server, unless the query
// string (tests) or the "Connect your project" form says otherwise.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { DemoConfig } from './server/demo-api.js';

export interface Connection {
  url: string;
  anonKey: string;
  /** Whether the demo server can run the automation (only against its own stand-in). */
  automation: boolean;
  /** 'own' when the user connected their own Supabase project. */
  source: 'demo-server' | 'query' | 'own';
}

const OWN_PROJECT_KEY = 'wacrm-demo:own-project';

export async function loadConnection(): Promise<Connection> {
  const query = new URLSearchParams(location.search);
  const url = query.get('supabase-url');
  const anonKey = query.get('anon-key');
  if (url && anonKey) return { url, anonKey, automation: false, source: 'query' };

  const saved = localStorage.getItem(OWN_PROJECT_KEY);
  if (saved) return { ...(JSON.parse(saved) as { url: string; anonKey: string }), automation: false, source: 'own' };

  const response = await fetch('/demo-api/config');
  if (!response.ok) throw new Error(`the demo server did not answer /demo-api/config (${response.status}): start it with npm start`);
  const config = (await response.json()) as DemoConfig;
  return { ...config, source: 'demo-server' };
}

/** Remembers the user's own project, so a reload stays connected to it. */
export function saveOwnProject(url: string, anonKey: string): Connection {
  localStorage.setItem(OWN_PROJECT_KEY, JSON.stringify({ url, anonKey }));
  return { url, anonKey, automation: false, source: 'own' };
}

export function forgetOwnProject(): void {
  localStorage.removeItem(OWN_PROJECT_KEY);
}

const clients = new Map<string, SupabaseClient>();

/**
 * The client of one seat. Each seat stores its session under its own key, so two agents can be
 * signed in side by side in one tab; the key names the server too, so a session never leaks to
 * another project. Kept for the page's life: views come and go, sessions stay.
 */
export function clientFor(connection: Connection, seat: string): SupabaseClient {
  const storageKey = `wacrm-demo:${seat}:${new URL(connection.url).host}`;
  let client = clients.get(storageKey);
  if (!client) {
    client = createClient(connection.url, connection.anonKey, { auth: { storageKey } });
    clients.set(storageKey, client);
  }
  return client;
}
