-- What a Supabase database has before any project migration runs, reproduced for the local
-- stand-in (supabase/postgres and supabase/auth define the originals). Safe to run again:
-- every object is created only when missing, so a database that already has them is unchanged.
-- Local development only: the role passwords below are the Supabase CLI's well-known ones.

-- API roles. PostgREST logs in as authenticator and switches to the role named in the JWT.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin inherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin inherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

-- Extensions live in their own schema, on the search path of every role.
create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;

do $$
begin
  execute format('alter database %I set search_path = "$user", public, extensions', current_database());
end
$$;

-- public: the API roles may use everything; RLS and column privileges are the gate.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

-- auth: the slice of GoTrue's schema that migrations, seeds and the local Auth use.
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  banned_until timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index if not exists users_email_partial_key on auth.users (email) where is_sso_user = false;

create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid primary key default gen_random_uuid(),
  unique (provider_id, provider)
);

create table if not exists auth.refresh_tokens (
  instance_id uuid,
  id bigserial primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz,
  parent varchar(255),
  session_id uuid
);

-- Claims come from the JWT PostgREST verified: request.jwt.claim.<name> (older PostgREST) or
-- the whole request.jwt.claims object (PostgREST 9+). Both are transaction-local settings.
create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to anon, authenticated, service_role;

-- Realtime streams the tables of this publication; it starts empty.
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;

-- realtime: what Supabase Realtime installs in a project for Broadcast from the database
-- (supabase/realtime priv/repo/tenant_schema/realtime/, at 833cf36c). realtime.send() stores a
-- message here; Realtime streams the inserts of supabase_realtime_messages_publication and fans
-- them out; joins of private channels are authorised by SELECT policies on realtime.messages.
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

-- Daily partitions messages_YYYY_MM_DD, made by the Realtime service (see
-- realtime.wacrm_ensure_message_partitions below), never by realtime.send(): a message for a day
-- without a partition is only a WARNING. inserted_at is a timestamp without time zone, as on
-- Supabase, whose databases run in UTC.
do $$
begin
  if to_regclass('realtime.messages') is null then
    create table realtime.messages (
      topic text not null,
      extension text not null,
      payload jsonb,
      event text,
      private boolean default false,
      updated_at timestamp without time zone not null default now(),
      inserted_at timestamp without time zone not null default now(),
      id uuid not null default gen_random_uuid(),
      binary_payload bytea
    ) partition by range (inserted_at);
    alter table realtime.messages
      add constraint messages_payload_exclusive check (payload is null or binary_payload is null) not valid;
    alter table realtime.messages add constraint messages_pkey primary key (id, inserted_at);
    -- Serves replay: a private topic's broadcasts since a time.
    create index messages_inserted_at_topic_index on only realtime.messages (inserted_at desc, topic)
      where extension = 'broadcast' and private is true;
    alter table realtime.messages enable row level security;
    grant insert, select, update on table realtime.messages to anon, authenticated, service_role;
  end if;
end
$$;

-- Realtime reads realtime.messages from this publication (it creates it the same way when missing).
-- The table is partitioned and the publication does not publish via the root, so pgoutput names
-- each partition (realtime.messages_2026_11_29), not realtime.messages.
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime_messages_publication') then
    create publication supabase_realtime_messages_publication for table realtime.messages;
  end if;
end
$$;

-- The topic of the message being sent (set by realtime.send) or of the channel being joined (set by
-- Realtime's authorisation check), for policies on realtime.messages.
create or replace function realtime.topic()
  returns text
  language sql
  stable
as $function$
select nullif(current_setting('realtime.topic', true), '')::text;
$function$;

-- Verbatim from Supabase: not SECURITY DEFINER, so the insert is checked against the caller's
-- INSERT policies; any failure (no policy, no partition) is only a WARNING and the message is lost.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
  returns void
  language plpgsql
as $function$
DECLARE
  generated_id uuid;
  final_payload jsonb;
BEGIN
  BEGIN
    generated_id := gen_random_uuid();

    -- Check if payload has an 'id' key, if not, add the generated UUID
    IF payload ? 'id' THEN
      final_payload := payload;
    ELSE
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    END IF;

    -- Set the topic configuration
    EXECUTE format('SET LOCAL realtime.topic TO %L', topic);

    INSERT INTO realtime.messages (id, payload, event, topic, private, extension)
    VALUES (generated_id, final_payload, event, topic, private, 'broadcast');
  EXCEPTION
    WHEN OTHERS THEN
      RAISE WARNING 'WarnSendingBroadcastMessage: %', SQLERRM;
  END;
END;
$function$;

create or replace function realtime.broadcast_changes(
  topic_name text,
  event_name text,
  operation text,
  table_name text,
  table_schema text,
  new record,
  old record,
  level text default 'ROW'::text
)
  returns void
  language plpgsql
as $function$
DECLARE
    -- Declare a variable to hold the JSONB representation of the row
    row_data jsonb := '{}'::jsonb;
BEGIN
    IF level = 'STATEMENT' THEN
        RAISE EXCEPTION 'function can only be triggered for each row, not for each statement';
    END IF;
    -- Check the operation type and handle accordingly
    IF operation = 'INSERT' OR operation = 'UPDATE' OR operation = 'DELETE' THEN
        row_data := jsonb_build_object('old_record', OLD, 'record', NEW, 'operation', operation, 'table', table_name, 'schema', table_schema);
        PERFORM realtime.send (row_data, event_name, topic_name);
    ELSE
        RAISE EXCEPTION 'Unexpected operation type: %', operation;
    END IF;
EXCEPTION
    WHEN OTHERS THEN
        RAISE EXCEPTION 'Failed to process the row: %', SQLERRM;
END;

$function$;

-- Partition upkeep, the stand-in's share of Realtime's work (Realtime.Tenants
-- create_messages_partitions and Realtime.Messages delete_old_messages): the stand-in calls both
-- when it starts and then periodically. Not Supabase objects (hence the wacrm_ prefix); API roles
-- cannot call them. Each returns the names of the partitions it created or dropped.

-- Daily partitions from yesterday through today + 3 (UTC days), the ones that are missing.
create or replace function realtime.wacrm_ensure_message_partitions()
  returns setof text
  language plpgsql
  set search_path = ''
as $function$
declare
  today date := (now() at time zone 'utc')::date;
  day date;
  partition text;
begin
  -- Two callers at once (the stand-in's timer and a test) would race on the catalog.
  perform pg_advisory_xact_lock(hashtext('realtime.messages partitions'));
  for day in select generate_series(today - 1, today + 3, interval '1 day')::date loop
    partition := 'messages_' || to_char(day, 'YYYY_MM_DD');
    if to_regclass(format('realtime.%I', partition)) is null then
      execute format(
        'create table realtime.%I partition of realtime.messages for values from (%L) to (%L)',
        partition, day::timestamp, (day + 1)::timestamp);
      return next partition;
    end if;
  end loop;
end
$function$;

-- Retention: drops the partitions of days before the day of (now - 72 h), UTC, as Realtime's
-- janitor does; a day's partition goes as a whole.
create or replace function realtime.wacrm_drop_old_message_partitions()
  returns setof text
  language plpgsql
  set search_path = ''
as $function$
declare
  cutoff date := ((now() at time zone 'utc') - interval '72 hours')::date;
  partition text;
begin
  perform pg_advisory_xact_lock(hashtext('realtime.messages partitions'));
  for partition in
    select child.relname
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class child on child.oid = i.inhrelid
    where i.inhparent = 'realtime.messages'::regclass
      and child.relname ~ '^messages_\d{4}_\d{2}_\d{2}$'
      and to_date(substr(child.relname, 10), 'YYYY_MM_DD') < cutoff
    order by child.relname
  loop
    execute format('drop table if exists realtime.%I', partition);
    return next partition;
  end loop;
end
$function$;

revoke execute on function realtime.wacrm_ensure_message_partitions() from public;
revoke execute on function realtime.wacrm_drop_old_message_partitions() from public;

-- Realtime Authorization, the stand-in's share of it (lib/realtime/tenants/authorization.ex):
-- supabase/local/realtime/authorization.ts calls these with bind parameters only. Neither is
-- SECURITY DEFINER (a definer function cannot switch role) and neither sets search_path, so the
-- policies and what they call resolve names exactly as under Realtime's own connection; every name
-- here is schema-qualified instead. API roles cannot call them.

-- Realtime's set_conn_config: the role, the topic, the claims and the headers, transaction-local.
-- The role is a value here, never an identifier; only the API roles are accepted all the same, so
-- nothing can make a check run as the connection's own (superuser) role.
create or replace function realtime.wacrm_set_conn_config(
  role_name text, topic_name text, claims_json text, headers_json text, claim_sub text
)
  returns void
  language plpgsql
as $function$
begin
  if role_name is null or role_name not in ('anon', 'authenticated', 'service_role') then
    raise exception 'role "%" is not an API role', role_name using errcode = 'insufficient_privilege';
  end if;
  perform pg_catalog.set_config('role', role_name, true),
          pg_catalog.set_config('realtime.topic', topic_name, true),
          pg_catalog.set_config('request.jwt.claims', claims_json, true),
          pg_catalog.set_config('request.jwt.claim.sub', claim_sub, true),
          pg_catalog.set_config('request.jwt.claim.role', role_name, true),
          pg_catalog.set_config('request.headers', headers_json, true);
end
$function$;

-- The read check of a join as one statement: insert a probe row per extension as the caller,
-- switch to the user, select the probes back under RLS, then undo all of it (rows, role, settings)
-- by raising inside a block that catches only its own error. Any other error (a policy's, no
-- partition for the probes) reaches the caller as raised. Returns the extensions whose probe came
-- back. Called on its own (autocommit), the statement's transaction commits nothing, so its commit
-- need not wait for the WAL flush.
create or replace function realtime.wacrm_read_policies(
  role_name text, topic_name text, claims_json text, headers_json text, claim_sub text, extensions text[]
)
  returns text[]
  language plpgsql
as $function$
declare
  probes uuid[];
  visible text[];
begin
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  begin
    with inserted as (
      insert into realtime.messages (extension, topic)
      select distinct requested.extension, topic_name from pg_catalog.unnest(extensions) as requested (extension)
      returning id
    )
    select pg_catalog.array_agg(inserted.id) into probes from inserted;
    perform realtime.wacrm_set_conn_config(role_name, topic_name, claims_json, headers_json, claim_sub);
    select pg_catalog.array_agg(probe.extension) into visible from realtime.messages probe where probe.id = any (probes);
    raise exception using errcode = 'WRPRB', message = 'probe rows undone';
  exception
    when sqlstate 'WRPRB' then null;
  end;
  return coalesce(visible, '{}');
end
$function$;

revoke execute on function realtime.wacrm_set_conn_config(text, text, text, text, text) from public;
revoke execute on function realtime.wacrm_read_policies(text, text, text, text, text, text[]) from public;

-- The Supabase CLI records applied migrations here; the local runner does the same.
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  statements text[],
  name text
);
