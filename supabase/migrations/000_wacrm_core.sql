-- The slice of Wacrm's schema that 027_notifications.sql builds on: accounts, profiles with their
-- account_role, contacts, conversations and the is_account_member() helper behind every RLS policy.
-- Names and types are Wacrm's own. On a Wacrm database all of this exists already, so every object
-- here is created only when missing and nothing that exists is altered, replaced or dropped.

do $$
begin
  if not exists (
    select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'public' and t.typname = 'account_role_enum'
  ) then
    create type public.account_role_enum as enum ('owner', 'admin', 'agent', 'viewer');
  end if;
end
$$;

create table if not exists public.accounts (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  owner_user_id uuid references auth.users (id) on delete set null,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);

create table if not exists public.profiles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  account_id uuid not null references public.accounts (id) on delete cascade,
  full_name text not null,
  email text,
  avatar_url text,
  account_role public.account_role_enum not null default 'agent',
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create index if not exists idx_profiles_account_id on public.profiles (account_id);

create table if not exists public.contacts (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id) on delete cascade,
  phone text not null,
  name text,
  email text,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create index if not exists idx_contacts_account_id on public.contacts (account_id);

-- assigned_agent_id has no foreign key in Wacrm: any uuid can be written there, which is why
-- 027's trigger checks that the assignee belongs to the conversation's account.
create table if not exists public.conversations (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id) on delete cascade,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  status text not null default 'open' check (status in ('open', 'pending', 'closed')),
  assigned_agent_id uuid,
  last_message_text text,
  last_message_at timestamptz,
  unread_count integer default 0,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create index if not exists idx_conversations_account_id on public.conversations (account_id);
create index if not exists idx_conversations_contact_id on public.conversations (contact_id);

-- Role ranks: owner > admin > agent > viewer. SECURITY DEFINER so that policies on profiles can
-- call it without recursing into profiles' own RLS.
do $$
begin
  if to_regprocedure('public.is_account_member(uuid, public.account_role_enum)') is null then
    create function public.is_account_member(
      target_account_id uuid,
      min_role public.account_role_enum default 'viewer'
    ) returns boolean
    language sql
    stable
    security definer
    set search_path = public
    as $fn$
      select exists (
        select 1
        from public.profiles p
        where p.user_id = auth.uid()
          and p.account_id = target_account_id
          and case p.account_role
                when 'owner' then 4 when 'admin' then 3 when 'agent' then 2 when 'viewer' then 1
              end
            >= case min_role
                when 'owner' then 4 when 'admin' then 3 when 'agent' then 2 when 'viewer' then 1
              end
      )
    $fn$;
    revoke execute on function public.is_account_member(uuid, public.account_role_enum) from public, anon;
    grant execute on function public.is_account_member(uuid, public.account_role_enum) to authenticated, service_role;
  end if;
end
$$;

alter table public.accounts enable row level security;
alter table public.profiles enable row level security;
alter table public.contacts enable row level security;
alter table public.conversations enable row level security;

-- Policies are created only when a policy of that name is missing: a Wacrm database keeps its own.
do $$
declare
  wanted record;
begin
  for wanted in
    select * from (values
      ('accounts', 'accounts_select', 'select',
        'using (public.is_account_member(id))'),
      ('accounts', 'accounts_update', 'update',
        'using (public.is_account_member(id, ''admin'')) with check (public.is_account_member(id, ''admin''))'),
      ('profiles', 'profiles_select', 'select',
        'using (user_id = (select auth.uid()) or public.is_account_member(account_id))'),
      ('profiles', 'profiles_update_own', 'update',
        'using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()))'),
      ('contacts', 'contacts_select', 'select',
        'using (public.is_account_member(account_id))'),
      ('contacts', 'contacts_insert', 'insert',
        'with check (public.is_account_member(account_id, ''agent''))'),
      ('contacts', 'contacts_update', 'update',
        'using (public.is_account_member(account_id, ''agent'')) with check (public.is_account_member(account_id, ''agent''))'),
      ('contacts', 'contacts_delete', 'delete',
        'using (public.is_account_member(account_id, ''admin''))'),
      ('conversations', 'conversations_select', 'select',
        'using (public.is_account_member(account_id))'),
      ('conversations', 'conversations_insert', 'insert',
        'with check (public.is_account_member(account_id, ''agent''))'),
      ('conversations', 'conversations_update', 'update',
        'using (public.is_account_member(account_id, ''agent'')) with check (public.is_account_member(account_id, ''agent''))'),
      ('conversations', 'conversations_delete', 'delete',
        'using (public.is_account_member(account_id, ''admin''))')
    ) as p (table_name, policy_name, command, clauses)
  loop
    if not exists (
      select 1 from pg_policies
      where schemaname = 'public' and tablename = wanted.table_name and policyname = wanted.policy_name
    ) then
      execute format('create policy %I on public.%I for %s to authenticated %s',
        wanted.policy_name, wanted.table_name, wanted.command, wanted.clauses);
    end if;
  end loop;
end
$$;
