// Browser-side access to the local stand-in the test runner started (test/browser/standin-plugin.ts):
// real supabase-js clients signed in through its Auth, and server-side actions by command.
import { executeServerCommand } from '@web/test-runner-commands';
import { createClient, type Session, type SupabaseClient } from '@supabase/supabase-js';
import { waitUntil } from '@open-wc/testing';

export interface Agent {
  id: string;
  email: string;
  fullName: string;
  accountId: string;
}

interface Info {
  url: string;
  anonKey: string;
  password: string;
}

let info: Promise<Info> | undefined;
const standIn = () => (info ??= executeServerCommand<Info, undefined>('standin:info'));
export const standInInfo = standIn;

export async function command<T>(name: string, payload?: Record<string, unknown>): Promise<T> {
  return (await executeServerCommand(`standin:${name}`, payload));
}

/** A team: one account, agents in it, a contact and a conversation to assign. */
export async function team(names: string[], contactName: string | null = 'Maria Silva') {
  const accountId = await command<string>('account', { name: 'Browser team' });
  const agents: Agent[] = [];
  for (const fullName of names) agents.push(await command<Agent>('agent', { accountId, fullName }));
  const contactId = await command<string>('contact', { accountId, name: contactName, phone: '+1 415 555 0111' });
  return { accountId, agents, contactId };
}

export async function conversation(accountId: string, contactId: string): Promise<string> {
  return command<string>('conversation', { accountId, contactId });
}

/** Assigns as the actor would through the API, or as an automation without one. */
export async function assign(conversationId: string, assignee: Agent, actor?: Agent): Promise<void> {
  await command('assign', { conversationId, assigneeId: assignee.id, actorId: actor?.id });
}

export async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return command<T[]>('query', { sql: text, params });
}

/** The agent's unread inbox rows, as the badge counts them. */
export async function unreadInDatabase(agent: Agent): Promise<number> {
  const [row] = await sql<{ count: string }>(
    'select count(*) from public.notifications where user_id = $1 and read_at is null and archived_at is null',
    [agent.id],
  );
  return Number(row!.count);
}

/** The agent's unseen inbox rows, as `badge="unseen"` counts them. */
export async function unseenInDatabase(agent: Agent): Promise<number> {
  const [row] = await sql<{ count: string }>(
    'select count(*) from public.notifications where user_id = $1 and seen_at is null and archived_at is null',
    [agent.id],
  );
  return Number(row!.count);
}

/** Runs SQL in one transaction as `actor` would through PostgREST (their claims), or as the service role. */
export async function sqlAs<T = Record<string, unknown>>(actor: Agent | null, text: string, params: unknown[] = []): Promise<T[]> {
  return command<T[]>('query-as', { actorId: actor?.id, sql: text, params });
}

/** `count` customer messages on a conversation, as Wacrm's webhook inserts them (service role), one statement each. */
export async function customerWrites(conversationId: string, texts: string[]): Promise<void> {
  for (const text of texts) {
    await sql(`insert into public.messages (conversation_id, sender_type, content_type, content_text) values ($1, 'customer', 'text', $2)`, [
      conversationId,
      text,
    ]);
  }
}

/** A browser client signed in as the agent with a password, as a host app does. */
export async function signIn(agent: Agent): Promise<{ client: SupabaseClient; session: Session }> {
  const { url, anonKey, password } = await standIn();
  const client = createClient(url, anonKey, {
    auth: { storageKey: `test-${agent.id}-${Math.random()}`, persistSession: false, autoRefreshToken: false },
  });
  const { data, error } = await client.auth.signInWithPassword({ email: agent.email, password });
  if (error || !data.session) throw new Error(`sign-in failed: ${error?.message}`);
  return { client, session: data.session };
}

export const eventually = (predicate: () => boolean, message: string, timeout = 10000) =>
  waitUntil(predicate, message, { timeout, interval: 20 });

/** Polls an async condition (a database read) until it holds. */
export async function until(check: () => Promise<boolean>, message: string, timeout = 10000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
