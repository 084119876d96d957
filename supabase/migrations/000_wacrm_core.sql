-- The slice of Wacrm's schema that the notification migrations build on: accounts, profiles with
-- their account_role, contacts, conversations (027), messages, pipelines, pipeline_stages and deals
-- (20261204120000_notification_types.sql), and the is_account_member() helper behind every RLS
-- policy. Table, column, type and function names are Wacrm's own; index and policy names are ours.
--
-- On a Wacrm database all of this exists already, sometimes under other names (Wacrm's index on
-- contacts.account_id is idx_contacts_account, its own-profile policy is profiles_update), so each
-- object is looked for by what it is, not by our name for it, and created only when nothing
-- existing does its job:
--   * the role type: the type of profiles.account_role when profiles exists, else
--     public.account_role_enum;
--   * a table: a table of that name in public with the columns 000 and the notification migrations
--     use (any other relation of that name, or a missing column, stops the file with an error:
--     nothing is half-applied);
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

-- Tables that exist already must be the ones the notification migrations build on (Wacrm's, from
-- its migration 017 on; deals.assigned_to from its 002).
do $$
declare
  wanted record;
  kind "char";
  missing text[];
begin
  for wanted in
    select * from (values
      ('accounts', array['id']),
      ('profiles', array['id', 'user_id', 'account_id', 'full_name', 'account_role']),
      ('contacts', array['id', 'account_id', 'name', 'phone']),
      ('conversations', array['id', 'account_id', 'contact_id', 'assigned_agent_id']),
      ('messages', array['id', 'conversation_id', 'sender_type', 'content_type', 'content_text']),
      ('pipelines', array['id', 'account_id']),
      ('pipeline_stages', array['id', 'pipeline_id', 'name']),
      ('deals', array['id', 'account_id', 'stage_id', 'status', 'assigned_to', 'title', 'contact_id', 'conversation_id'])
    ) as t (table_name, columns)
  loop
    select c.relkind into kind
    from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relname = wanted.table_name;
    continue when not found;
    if kind not in ('r', 'p') then
      raise exception 'public.% exists but is not a table (relkind %)', wanted.table_name, kind
        using hint = 'The notification migrations need Wacrm''s tables accounts, profiles, contacts, conversations, '
                     'messages, pipelines, pipeline_stages and deals.';
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
        using hint = 'The notification migrations need Wacrm''s multi-account schema (its migration 017 and later).';
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

  -- Messages of a conversation; customers' are written by the WhatsApp webhook with the service
  -- role. content_type's values are Wacrm's (001, plus 'interactive' from its 010).
  if to_regclass('public.messages') is null then
    create table public.messages (
      id uuid primary key default gen_random_uuid(),
      conversation_id uuid not null references public.conversations (id) on delete cascade,
      sender_type text not null check (sender_type in ('customer', 'agent', 'bot')),
      sender_id uuid,
      content_type text not null default 'text'
        check (content_type in ('text', 'image', 'document', 'audio', 'video', 'location', 'template', 'interactive')),
      content_text text,
      media_url text,
      message_id text,
      status text not null default 'sent' check (status in ('sending', 'sent', 'delivered', 'read', 'failed')),
      created_at timestamptz default now()
    );
  end if;

  if to_regclass('public.pipelines') is null then
    create table public.pipelines (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null references public.accounts (id) on delete cascade,
      name text not null,
      created_at timestamptz default now()
    );
  end if;

  if to_regclass('public.pipeline_stages') is null then
    create table public.pipeline_stages (
      id uuid primary key default gen_random_uuid(),
      pipeline_id uuid not null references public.pipelines (id) on delete cascade,
      name text not null,
      position integer not null default 0,
      color text not null default '#3b82f6',
      created_at timestamptz default now()
    );
  end if;

  -- assigned_to is a profiles.id (not a user id), as in Wacrm.
  if to_regclass('public.deals') is null then
    create table public.deals (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null references public.accounts (id) on delete cascade,
      pipeline_id uuid not null references public.pipelines (id) on delete cascade,
      stage_id uuid not null references public.pipeline_stages (id),
      contact_id uuid references public.contacts (id) on delete set null,
      conversation_id uuid references public.conversations (id) on delete set null,
      title text not null,
      value numeric(12, 2) not null default 0,
      currency text default 'USD',
      notes text,
      expected_close_date date,
      status text not null default 'open' check (status in ('open', 'won', 'lost')),
      assigned_to uuid references public.profiles (id) on delete set null,
      created_at timestamptz default now(),
      updated_at timestamptz default now()
    );
  end if;
end
$$;

-- Indexes for the lookups by account, contact, conversation, pipeline, stage and assignee (foreign
-- keys, RLS, the app's lists, the notification triggers), created
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
      ('conversations', 'idx_conversations_contact_id', array['contact_id']),
      ('messages', 'idx_messages_conversation_id', array['conversation_id']),
      ('pipelines', 'idx_pipelines_account_id', array['account_id']),
      ('pipeline_stages', 'idx_pipeline_stages_pipeline_id', array['pipeline_id']),
      ('deals', 'idx_deals_account_id', array['account_id']),
      ('deals', 'idx_deals_stage_id', array['stage_id']),
      ('deals', 'idx_deals_assigned_to', array['assigned_to'])
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
  foreach table_name in array array['accounts', 'profiles', 'contacts', 'conversations', 'messages', 'pipelines',
                                    'pipeline_stages', 'deals'] loop
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
        'using (public.is_account_member(account_id, ''admin''))'),
      -- Messages and stages belong to their conversation's (pipeline's) account.
      ('messages', 'messages_select', 'select',
        'using (exists (select 1 from public.conversations c where c.id = conversation_id and public.is_account_member(c.account_id)))'),
      ('messages', 'messages_insert', 'insert',
        'with check (exists (select 1 from public.conversations c where c.id = conversation_id and public.is_account_member(c.account_id, ''agent'')))'),
      ('messages', 'messages_update', 'update',
        'using (exists (select 1 from public.conversations c where c.id = conversation_id and public.is_account_member(c.account_id, ''agent''))) '
        'with check (exists (select 1 from public.conversations c where c.id = conversation_id and public.is_account_member(c.account_id, ''agent'')))'),
      ('messages', 'messages_delete', 'delete',
        'using (exists (select 1 from public.conversations c where c.id = conversation_id and public.is_account_member(c.account_id, ''admin'')))'),
      ('pipelines', 'pipelines_select', 'select',
        'using (public.is_account_member(account_id))'),
      ('pipelines', 'pipelines_insert', 'insert',
        'with check (public.is_account_member(account_id, ''admin''))'),
      ('pipelines', 'pipelines_update', 'update',
        'using (public.is_account_member(account_id, ''admin'')) with check (public.is_account_member(account_id, ''admin''))'),
      ('pipelines', 'pipelines_delete', 'delete',
        'using (public.is_account_member(account_id, ''admin''))'),
      ('pipeline_stages', 'pipeline_stages_select', 'select',
        'using (exists (select 1 from public.pipelines p where p.id = pipeline_id and public.is_account_member(p.account_id)))'),
      ('pipeline_stages', 'pipeline_stages_insert', 'insert',
        'with check (exists (select 1 from public.pipelines p where p.id = pipeline_id and public.is_account_member(p.account_id, ''admin'')))'),
      ('pipeline_stages', 'pipeline_stages_update', 'update',
        'using (exists (select 1 from public.pipelines p where p.id = pipeline_id and public.is_account_member(p.account_id, ''admin''))) '
        'with check (exists (select 1 from public.pipelines p where p.id = pipeline_id and public.is_account_member(p.account_id, ''admin'')))'),
      ('pipeline_stages', 'pipeline_stages_delete', 'delete',
        'using (exists (select 1 from public.pipelines p where p.id = pipeline_id and public.is_account_member(p.account_id, ''admin'')))'),
      ('deals', 'deals_select', 'select',
        'using (public.is_account_member(account_id))'),
      ('deals', 'deals_insert', 'insert',
        'with check (public.is_account_member(account_id, ''agent''))'),
      ('deals', 'deals_update', 'update',
        'using (public.is_account_member(account_id, ''agent'')) with check (public.is_account_member(account_id, ''agent''))'),
      ('deals', 'deals_delete', 'delete',
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
