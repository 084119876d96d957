-- The slice of Wacrm's schema that 027_notifications.sql builds on: accounts, profiles with their
-- account_role, contacts, conversations and the is_account_member() helper behind every RLS policy.
-- Table, column, type and function names are Wacrm's own; index and policy names are ours.
--
-- On a Wacrm database all of this exists already, sometimes under other names (Wacrm's index on
-- contacts.account_id is idx_contacts_account, its own-profile policy is profiles_update), so each
-- object is looked for by what it is, not by our name for it, and created only when nothing
-- existing does its job:
--   * the role type: the type of profiles.account_role when profiles exists, else
--     public.account_role_enum;
--   * a table: a table of that name in public with the columns 000 and 027 use (any other relation
--     of that name, or a missing column, stops the file with an error: nothing is half-applied);
--   * the function: public.is_account_member(uuid, <the role type>);
--   * an index: any valid btree index on the table whose first key columns are ours, in order, with
--     the columns' default operator classes and collations; an expression in those positions does
--     not count, nor does a partial index, unless its predicate is only "<one of our columns> IS NOT
--     NULL" (every equality lookup on that column satisfies it);
--   * a policy: any PERMISSIVE policy on the table for the same command, or FOR ALL, that applies
--     to authenticated (TO public, to authenticated or to a role it belongs to); a RESTRICTIVE
--     policy only narrows what another one allows, so it does not count.
-- Row-level security is enabled only on a table that has it off. Everything runs in DO blocks and
-- leaves no helper object behind; on a database that already has all of it, the file reads the
-- catalog and writes nothing.

-- Tables that exist already must be the ones 027 builds on (Wacrm's, from its migration 017 on).
do $$
declare
  wanted record;
  kind "char";
  missing text[];
begin
  for wanted in
    select * from (values
      ('accounts', array['id']),
      ('profiles', array['user_id', 'account_id', 'full_name', 'account_role']),
      ('contacts', array['id', 'account_id', 'name', 'phone']),
      ('conversations', array['id', 'account_id', 'contact_id', 'assigned_agent_id'])
    ) as t (table_name, columns)
  loop
    select c.relkind into kind
    from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relname = wanted.table_name;
    continue when not found;
    if kind not in ('r', 'p') then
      raise exception 'public.% exists but is not a table (relkind %)', wanted.table_name, kind
        using hint = '027_notifications.sql needs Wacrm''s tables accounts, profiles, contacts and conversations.';
    end if;
    select array_agg(col order by ord) into missing
    from unnest(wanted.columns) with ordinality as w (col, ord)
    where not exists (
      select 1 from pg_attribute a
      where a.attrelid = format('public.%I', wanted.table_name)::regclass
        and a.attname = w.col and a.attnum > 0 and not a.attisdropped
    );
    if missing is not null then
      raise exception 'public.% exists but has no column %', wanted.table_name, array_to_string(missing, ', ')
        using hint = '027_notifications.sql needs Wacrm''s multi-account schema (its migration 017 and later).';
    end if;
  end loop;
end
$$;

-- The role type. A database with profiles already has one: the type of profiles.account_role.
do $$
declare
  kind "char";
begin
  if to_regclass('public.profiles') is not null then
    return;
  end if;
  select t.typtype into kind
  from pg_type t
  where t.typnamespace = 'public'::regnamespace and t.typname = 'account_role_enum';
  if not found then
    create type public.account_role_enum as enum ('owner', 'admin', 'agent', 'viewer');
  elsif kind <> 'e' then
    raise exception 'public.account_role_enum exists but is not an enum (typtype %)', kind;
  end if;
end
$$;

do $$
begin
  if to_regclass('public.accounts') is null then
    create table public.accounts (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      owner_user_id uuid references auth.users (id) on delete set null,
      created_at timestamptz default now(),
      updated_at timestamptz default now()
    );
  end if;

  if to_regclass('public.profiles') is null then
    create table public.profiles (
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
  end if;

  if to_regclass('public.contacts') is null then
    create table public.contacts (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null references public.accounts (id) on delete cascade,
      phone text not null,
      name text,
      email text,
      created_at timestamptz default now(),
      updated_at timestamptz default now()
    );
  end if;

  -- assigned_agent_id has no foreign key in Wacrm: any uuid can be written there, which is why
  -- 027's trigger checks that the assignee belongs to the conversation's account.
  if to_regclass('public.conversations') is null then
    create table public.conversations (
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
  end if;
end
$$;

-- Indexes for the lookups by account and by contact (foreign keys, RLS, the app's lists), created
-- only when no existing index serves them (see the top of the file).
do $$
declare
  wanted record;
begin
  for wanted in
    select * from (values
      ('profiles', 'idx_profiles_account_id', array['account_id']),
      ('contacts', 'idx_contacts_account_id', array['account_id']),
      ('conversations', 'idx_conversations_account_id', array['account_id']),
      ('conversations', 'idx_conversations_contact_id', array['contact_id'])
    ) as t (table_name, index_name, columns)
  loop
    if not exists (
      select 1
      from pg_index i
      join pg_class ic on ic.oid = i.indexrelid
      join pg_am am on am.oid = ic.relam
      where i.indrelid = format('public.%I', wanted.table_name)::regclass
        and i.indisvalid and i.indisready and i.indislive
        and am.amname = 'btree'
        and i.indnkeyatts >= cardinality(wanted.columns)
        and (
          i.indpred is null
          or pg_get_expr(i.indpred, i.indrelid) in (
            select format('(%s IS NOT NULL)', quote_ident(col)) from unnest(wanted.columns) col
          )
        )
        and not exists (
          select 1
          from unnest(wanted.columns) with ordinality as w (col, ord)
          left join pg_attribute a
            on a.attrelid = i.indrelid and a.attname = w.col and not a.attisdropped
          where a.attnum is distinct from i.indkey[w.ord - 1]
             or i.indcollation[w.ord - 1] is distinct from a.attcollation
             or not exists (
               select 1 from pg_opclass o
               where o.oid = i.indclass[w.ord - 1] and o.opcdefault
                 and o.opcmethod = am.oid and o.opcintype = a.atttypid
             )
        )
    ) then
      execute format('create index %I on public.%I (%s)', wanted.index_name, wanted.table_name,
        (select string_agg(quote_ident(col), ', ') from unnest(wanted.columns) col));
    end if;
  end loop;
end
$$;

-- Role ranks: owner > admin > agent > viewer. SECURITY DEFINER so that policies on profiles can
-- call it without recursing into profiles' own RLS.
do $$
declare
  role_type regtype;
begin
  select a.atttypid::regtype into role_type
  from pg_attribute a
  where a.attrelid = 'public.profiles'::regclass and a.attname = 'account_role' and not a.attisdropped;

  if exists (
    select 1 from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname = 'is_account_member'
      and p.pronargs = 2 and p.proargtypes[0] = 'uuid'::regtype and p.proargtypes[1] = role_type
  ) then
    return;
  end if;

  execute format($create$
    create function public.is_account_member(
      target_account_id uuid,
      min_role %1$s default 'viewer'
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
    revoke execute on function public.is_account_member(uuid, %1$s) from public, anon;
    grant execute on function public.is_account_member(uuid, %1$s) to authenticated, service_role;
  $create$, role_type);
end
$$;

do $$
declare
  table_name text;
begin
  foreach table_name in array array['accounts', 'profiles', 'contacts', 'conversations'] loop
    if not (select c.relrowsecurity from pg_class c where c.oid = format('public.%I', table_name)::regclass) then
      execute format('alter table public.%I enable row level security', table_name);
    end if;
  end loop;
end
$$;

-- A policy is created only when the table has no permissive policy for that command (or FOR ALL)
-- that applies to signed-in users: a Wacrm database keeps its own, whatever their names.
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
      select 1 from pg_policy p
      where p.polrelid = format('public.%I', wanted.table_name)::regclass
        and p.polpermissive
        and p.polcmd in ('*', case wanted.command
                                when 'select' then 'r' when 'insert' then 'a'
                                when 'update' then 'w' when 'delete' then 'd'
                              end::"char")
        and exists (
          select 1 from unnest(p.polroles) as r (oid)
          where r.oid = 0 or pg_has_role('authenticated', r.oid, 'member')
        )
    ) then
      execute format('create policy %I on public.%I for %s to authenticated %s',
        wanted.policy_name, wanted.table_name, wanted.command, wanted.clauses);
    end if;
  end loop;
end
$$;
