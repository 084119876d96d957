// Wacrm's own schema (version 0.8, migrations 001–042) for the tests that apply our migrations to a
// Wacrm database: the tables, indexes, policies and helper under Wacrm's names, and a small world
// built on them the way Wacrm's app writes it.
import assert from 'node:assert/strict';
import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import { tryAs, type Actor } from './support.js';

/**
 * What Wacrm's migrations 028–042 change in the tables the notification migrations read (messages:
 * 035's interactive payload, 042's failure reason), to run after our 027 as a Wacrm install does.
 */
export const wacrmAfter027 = `
  alter table public.messages add column if not exists interactive_payload jsonb;
  alter table public.messages
    add column if not exists error_code integer,
    add column if not exists error_title text,
    add column if not exists error_details text;
`;

export interface WacrmShape {
  /** Wacrm's policies after its migration 017 (per command), before it (FOR ALL), or none. */
  policies?: 'multi-account' | 'pre-017' | 'none';
  /** Whether is_account_member() exists. Default true; 'multi-account' policies need it. */
  helper?: boolean;
  /** The name of the role enum. Wacrm's is account_role_enum. */
  roleType?: string;
}

/**
 * Wacrm's schema as its migrations 001–042 leave it (version 0.8), with Wacrm's object names, written
 * here from the facts in the reference notes and Wacrm's migrations: accounts, profiles, contacts and
 * conversations (001, 017), messages (001, 009, 010), pipelines, pipeline_stages and deals (001, 002,
 * 004, 017). A few columns the notification migrations never read are left out.
 */
export function wacrmSchema({ policies = 'multi-account', helper = true, roleType = 'account_role_enum' }: WacrmShape = {}) {
  const role = `public.${roleType}`;
  let sql = `
    create type ${role} as enum ('owner', 'admin', 'agent', 'viewer');

    create table public.accounts (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      owner_user_id uuid not null references auth.users (id) on delete restrict,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index idx_accounts_one_per_owner on public.accounts (owner_user_id);

    create table public.profiles (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null constraint profiles_user_id_key unique references auth.users (id) on delete cascade,
      full_name text not null,
      email text not null,
      avatar_url text,
      role text default 'user',
      created_at timestamptz default now(),
      updated_at timestamptz default now(),
      account_id uuid not null references public.accounts (id) on delete cascade,
      account_role ${role} not null
    );
    create index idx_profiles_account_role on public.profiles (account_id, account_role);

    create table public.contacts (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references auth.users (id) on delete cascade,
      phone text not null,
      name text,
      email text,
      company text,
      avatar_url text,
      created_at timestamptz default now(),
      updated_at timestamptz default now(),
      account_id uuid not null references public.accounts (id) on delete cascade
    );
    create index idx_contacts_user_id on public.contacts (user_id);
    create index idx_contacts_phone on public.contacts (phone);
    create index idx_contacts_account on public.contacts (account_id);

    create table public.conversations (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references auth.users (id) on delete cascade,
      contact_id uuid not null references public.contacts (id) on delete cascade,
      status text default 'open' check (status in ('open', 'pending', 'closed')),
      assigned_agent_id uuid,
      last_message_text text,
      last_message_at timestamptz,
      unread_count integer default 0,
      created_at timestamptz default now(),
      updated_at timestamptz default now(),
      account_id uuid not null references public.accounts (id) on delete cascade
    );
    create index idx_conversations_user_id on public.conversations (user_id);
    create index idx_conversations_contact_id on public.conversations (contact_id);
    create index idx_conversations_account on public.conversations (account_id);

    create table public.messages (
      id uuid primary key default gen_random_uuid(),
      conversation_id uuid not null references public.conversations (id) on delete cascade,
      sender_type text not null check (sender_type in ('customer', 'agent', 'bot')),
      sender_id uuid,
      content_type text not null default 'text'
        check (content_type in ('text', 'image', 'document', 'audio', 'video', 'location', 'template', 'interactive')),
      content_text text,
      media_url text,
      template_name text,
      message_id text,
      status text not null default 'sent' check (status in ('sending', 'sent', 'delivered', 'read', 'failed')),
      created_at timestamptz default now(),
      reply_to_message_id uuid references public.messages (id) on delete set null,
      interactive_reply_id text
    );
    create index idx_messages_conversation on public.messages (conversation_id);
    create index idx_messages_message_id on public.messages (message_id);
    create index idx_messages_reply_to on public.messages (reply_to_message_id) where reply_to_message_id is not null;

    create table public.pipelines (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references auth.users (id) on delete cascade,
      name text not null,
      created_at timestamptz default now(),
      account_id uuid not null references public.accounts (id) on delete cascade
    );
    create index idx_pipelines_account on public.pipelines (account_id);

    create table public.pipeline_stages (
      id uuid primary key default gen_random_uuid(),
      pipeline_id uuid not null references public.pipelines (id) on delete cascade,
      name text not null,
      position integer not null default 0,
      color text not null default '#3b82f6',
      created_at timestamptz default now()
    );
    create index idx_pipeline_stages_pipeline on public.pipeline_stages (pipeline_id);

    create table public.deals (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references auth.users (id) on delete cascade,
      pipeline_id uuid not null references public.pipelines (id) on delete cascade,
      stage_id uuid not null references public.pipeline_stages (id),
      contact_id uuid references public.contacts (id) on delete set null,
      conversation_id uuid references public.conversations (id),
      title text not null,
      value numeric(12, 2) not null default 0,
      currency text default 'USD',
      notes text,
      expected_close_date date,
      status text default 'open' constraint deals_status_check check (status in ('open', 'won', 'lost')),
      created_at timestamptz default now(),
      updated_at timestamptz default now(),
      assigned_to uuid references public.profiles (id) on delete set null,
      account_id uuid not null references public.accounts (id) on delete cascade
    );
    create index idx_deals_pipeline on public.deals (pipeline_id);
    create index idx_deals_stage on public.deals (stage_id);
    create index idx_deals_assigned_to on public.deals (assigned_to);
    create index idx_deals_account on public.deals (account_id);

    create function public.update_updated_at_column() returns trigger language plpgsql as $$
    begin
      new.updated_at = now();
      return new;
    end $$;
    create trigger set_updated_at before update on public.deals
      for each row execute function public.update_updated_at_column();

    alter table public.accounts enable row level security;
    alter table public.profiles enable row level security;
    alter table public.contacts enable row level security;
    alter table public.conversations enable row level security;
    alter table public.messages enable row level security;
    alter table public.pipelines enable row level security;
    alter table public.pipeline_stages enable row level security;
    alter table public.deals enable row level security;
  `;
  if (helper) {
    // A body of our own: the enum's order is owner < admin < agent < viewer, so "at least min_role"
    // is "<= min_role".
    sql += `
      create function public.is_account_member(target_account_id uuid, min_role ${role} default 'viewer')
      returns boolean language sql stable security definer set search_path = public as $$
        select exists (
          select 1 from profiles
          where user_id = auth.uid() and account_id = target_account_id and account_role <= min_role
        )
      $$;
      grant execute on function public.is_account_member(uuid, ${role}) to authenticated, service_role;
    `;
  }
  if (policies === 'multi-account') {
    sql += `
      create policy accounts_select on public.accounts for select using (is_account_member(id));
      create policy accounts_update on public.accounts for update
        using (is_account_member(id, 'admin')) with check (is_account_member(id, 'admin'));
      create policy profiles_select on public.profiles for select
        using (auth.uid() = user_id or is_account_member(account_id));
      create policy profiles_update on public.profiles for update
        using (auth.uid() = user_id) with check (auth.uid() = user_id);
      create policy profiles_insert on public.profiles for insert with check (auth.uid() = user_id);
    `;
    for (const [table, writer] of [['contacts', 'agent'], ['conversations', 'agent'], ['pipelines', 'admin'], ['deals', 'agent']]) {
      sql += `
        create policy ${table}_select on public.${table} for select using (is_account_member(account_id));
        create policy ${table}_insert on public.${table} for insert with check (is_account_member(account_id, '${writer}'));
        create policy ${table}_update on public.${table} for update using (is_account_member(account_id, '${writer}'));
        create policy ${table}_delete on public.${table} for delete using (is_account_member(account_id, '${writer}'));
      `;
    }
    // Child tables: one FOR ALL policy for writers, through the parent's account (017).
    sql += `
      create policy messages_select on public.messages for select using (exists (
        select 1 from conversations c where c.id = messages.conversation_id and is_account_member(c.account_id)));
      create policy messages_modify on public.messages for all using (exists (
        select 1 from conversations c where c.id = messages.conversation_id and is_account_member(c.account_id, 'agent')))
        with check (exists (
        select 1 from conversations c where c.id = messages.conversation_id and is_account_member(c.account_id, 'agent')));
      create policy pipeline_stages_select on public.pipeline_stages for select using (exists (
        select 1 from pipelines p where p.id = pipeline_stages.pipeline_id and is_account_member(p.account_id)));
      create policy pipeline_stages_modify on public.pipeline_stages for all using (exists (
        select 1 from pipelines p where p.id = pipeline_stages.pipeline_id and is_account_member(p.account_id, 'admin')))
        with check (exists (
        select 1 from pipelines p where p.id = pipeline_stages.pipeline_id and is_account_member(p.account_id, 'admin')));
    `;
  } else if (policies === 'pre-017') {
    // Before 017 a user saw only their own rows; accounts (new in 017) has 017's policies already.
    sql += `
      create policy accounts_select on public.accounts for select using (is_account_member(id));
      create policy accounts_update on public.accounts for update
        using (is_account_member(id, 'admin')) with check (is_account_member(id, 'admin'));
      create policy "Users can view own profile" on public.profiles for select using (auth.uid() = user_id);
      create policy "Users can update own profile" on public.profiles for update using (auth.uid() = user_id);
      create policy "Users can insert own profile" on public.profiles for insert with check (auth.uid() = user_id);
      create policy "Users can manage own contacts" on public.contacts for all using (auth.uid() = user_id);
      create policy "Users can manage own conversations" on public.conversations for all using (auth.uid() = user_id);
      create policy "Users can view own messages" on public.messages for all using (exists (
        select 1 from conversations where conversations.id = messages.conversation_id and conversations.user_id = auth.uid()));
      create policy "Service role can insert messages" on public.messages for insert with check (true);
      create policy "Users can manage own pipelines" on public.pipelines for all using (auth.uid() = user_id);
      create policy "Users can manage pipeline stages" on public.pipeline_stages for all using (exists (
        select 1 from pipelines where pipelines.id = pipeline_stages.pipeline_id and pipelines.user_id = auth.uid()));
      create policy "Users can manage own deals" on public.deals for all using (auth.uid() = user_id);
    `;
  }
  return sql;
}

/** A small world on Wacrm's own tables, which want more than ours (emails, owners, creators). */
export class WacrmWorld {
  constructor(private readonly client: pg.ClientBase) {}

  async user(): Promise<string> {
    const id = randomUUID();
    await this.client.query('insert into auth.users (id, email) values ($1, $2)', [id, `${id}@example.test`]);
    return id;
  }

  /** An account with its owner's profile; returns both ids. */
  async account(name: string, ownerName: string): Promise<{ account: string; owner: string }> {
    const owner = await this.user();
    const { rows } = await this.client.query<{ id: string }>(
      'insert into public.accounts (name, owner_user_id) values ($1, $2) returning id',
      [name, owner],
    );
    const account = rows[0]!.id;
    await this.profile(owner, account, ownerName, 'owner');
    return { account, owner };
  }

  async member(account: string, fullName: string, role = 'agent'): Promise<string> {
    const id = await this.user();
    await this.profile(id, account, fullName, role);
    return id;
  }

  private async profile(userId: string, account: string, fullName: string, role: string) {
    await this.client.query(
      `insert into public.profiles (user_id, account_id, full_name, email, account_role)
       values ($1, $2, $3, $4, $5)`,
      [userId, account, fullName, `${userId}@example.test`, role],
    );
  }
}

/** Runs `statement` as `actor` and insists that it succeeded. */
export async function as(client: pg.ClientBase, actor: Actor, statement: string, params: unknown[] = []) {
  const result = await tryAs(client, actor, statement, params);
  assert.equal(result.error, undefined, `${statement}: ${result.error?.message}`);
  return result;
}
