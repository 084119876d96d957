// The inbox's own data, through supabase-js as the signed-in agent: RLS decides what they see.
// The local stand-in does not embed resources (select=contact:contacts(...)), so the three tables
// are read separately and joined here; it keeps the queries plain for any Supabase too.
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import type { CustomerMessage } from './server/demo-api.js';

export interface Agent {
  id: string;
  name: string;
}

export interface ConversationRow {
  id: string;
  contactName: string;
  status: 'open' | 'pending' | 'closed';
  lastMessage: string;
  assigneeId: string | null;
}

export interface Inbox {
  me: Agent & { accountId: string };
  agents: Agent[];
  conversations: ConversationRow[];
}

function check<T>(result: { data: T | null; error: { message: string } | null }): T {
  if (result.error) throw new Error(result.error.message);
  return result.data as T;
}

export async function loadInbox(client: SupabaseClient, session: Session): Promise<Inbox> {
  const [profiles, contacts, conversations] = await Promise.all([
    client.from('profiles').select('user_id, account_id, full_name').order('full_name'),
    client.from('contacts').select('id, name, phone'),
    client
      .from('conversations')
      .select('id, contact_id, status, last_message_text, assigned_agent_id')
      .order('last_message_at', { ascending: false, nullsFirst: false }),
  ]);
  const people = check(profiles) as { user_id: string; account_id: string; full_name: string }[];
  const mine = people.find((profile) => profile.user_id === session.user.id);
  if (!mine) throw new Error(`${session.user.email} has no Wacrm profile in this project`);
  // An agent sees the profiles of their account only, but say so rather than trust it.
  const agents = people
    .filter((profile) => profile.account_id === mine.account_id)
    .map((profile) => ({ id: profile.user_id, name: profile.full_name }));
  const contactNames = new Map(
    (check(contacts) as { id: string; name: string | null; phone: string }[]).map((contact) => [
      contact.id,
      contact.name?.trim() || contact.phone,
    ]),
  );
  const rows = check(conversations) as {
    id: string;
    contact_id: string;
    status: ConversationRow['status'];
    last_message_text: string | null;
    assigned_agent_id: string | null;
  }[];
  return {
    me: { id: mine.user_id, name: mine.full_name, accountId: mine.account_id },
    agents,
    conversations: rows.map((row) => ({
      id: row.id,
      contactName: contactNames.get(row.contact_id) ?? 'Unknown contact',
      status: row.status,
      lastMessage: row.last_message_text ?? '',
      assigneeId: row.assigned_agent_id,
    })),
  };
}

/** Assigns as the signed-in agent: RLS allows agents of the account, the trigger notifies. */
export async function assignAsMe(client: SupabaseClient, conversationId: string, assigneeId: string | null) {
  const { data, error } = await client
    .from('conversations')
    .update({ assigned_agent_id: assigneeId })
    .eq('id', conversationId)
    .select('id');
  if (error) throw new Error(error.message);
  // RLS filters out a row the agent may not change: the update "succeeds" on nothing.
  if (!data?.length) throw new Error('you may not assign this conversation');
}

/** A POST to the demo server as the signed-in agent (it checks the token); its answer, if any. */
async function askDemoServer(session: Session, path: string, body: Record<string, unknown>): Promise<unknown> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.access_token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(((await response.json()) as { message: string }).message);
  return response.status === 204 ? undefined : response.json();
}

/** Asks the demo server to assign, as an automation would. */
export async function assignByAutomation(session: Session, conversationId: string, assigneeId: string): Promise<void> {
  await askDemoServer(session, '/demo-api/automation-assign', { conversationId, assigneeId });
}

/** Asks the demo server for a customer's message, inserted as Wacrm's webhook does; what they said. */
export async function customerWrites(session: Session, conversationId: string): Promise<string> {
  const answer = (await askDemoServer(session, '/demo-api/customer-message', { conversationId })) as CustomerMessage;
  return answer.text;
}
