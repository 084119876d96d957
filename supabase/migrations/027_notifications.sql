-- 027_notifications.sql: in-app notifications for Wacrm agents.
--
-- A drop-in for Wacrm's migration of the same name: same table, columns, defaults, foreign keys,
-- CHECK, index names, policy names, column privileges, replica identity, publication membership and
-- trigger. On top of it:
--   * only an assignee who belongs to the conversation's account is notified (no cross-account rows);
--   * a blank actor or contact name counts as absent;
--   * read_at is the server's time, never the browser's; clients may set it back to NULL (unread);
--   * mark_notifications_read(ids) marks the caller's unread rows in one call;
--   * the SECURITY DEFINER trigger function cannot be called by API roles.
-- Run it as many times as you like (for example in the Supabase SQL editor): every statement is
-- idempotent, and it never touches existing conversations.

create table if not exists public.notifications (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  type text not null default 'conversation_assigned'
    constraint notifications_type_check check (type in ('conversation_assigned')),
  conversation_id uuid references public.conversations (id) on delete cascade,
  contact_id uuid references public.contacts (id) on delete set null,
  actor_user_id uuid references auth.users (id) on delete set null,
  title text not null,
  body text,
  read_at timestamptz,
  created_at timestamptz not null default now()
);

-- A table made by the original migration may have another uuid default; gen_random_uuid() is
-- built into PostgreSQL 13+ and needs no extension on the search path.
alter table public.notifications alter column id set default gen_random_uuid();

create index if not exists idx_notifications_user_created
  on public.notifications (user_id, created_at desc);
-- Serves the badge: the unread count of one user reads only that user's unread entries.
create index if not exists idx_notifications_user_unread
  on public.notifications (user_id) where read_at is null;

-- Realtime sends the previous row on UPDATE, so a client sees what read_at was before a change.
alter table public.notifications replica identity full;

-- Row-level security: each user sees and updates only their own rows. There is no INSERT or
-- DELETE policy: rows come from the trigger below, and clients never remove them.
-- (select auth.uid()) is evaluated once per statement instead of once per row.
alter table public.notifications enable row level security;

drop policy if exists notifications_select on public.notifications;
create policy notifications_select on public.notifications
  for select to authenticated
  using ((select auth.uid()) = user_id);

drop policy if exists notifications_update on public.notifications;
create policy notifications_update on public.notifications
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);

-- Column privileges: clients read their rows and may change read_at, nothing else. Postgres
-- enforces this whatever the client sends (42501 for any other column).
revoke all on table public.notifications from public, anon;
revoke all on table public.notifications from authenticated;
grant select on table public.notifications to authenticated;
grant update (read_at) on table public.notifications to authenticated;
grant all on table public.notifications to service_role;

-- read_at is the server's clock: marking read stores now(), whatever time the client sent; a row
-- already read keeps its first read time; NULL (mark unread) is kept as sent.
create or replace function public.notifications_read_at_server_time()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.read_at is not null then
    new.read_at := coalesce(old.read_at, now());
  end if;
  return new;
end
$$;

revoke execute on function public.notifications_read_at_server_time() from public, anon, authenticated;

drop trigger if exists notifications_read_at_server_time on public.notifications;
create trigger notifications_read_at_server_time
  before update of read_at on public.notifications
  for each row execute function public.notifications_read_at_server_time();

-- Marks the caller's unread notifications read (all of them when ids is null) and returns how many
-- changed. SECURITY INVOKER: the caller's RLS and column privileges apply.
create or replace function public.mark_notifications_read(ids uuid[] default null)
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  with marked as (
    update public.notifications
    set read_at = now()
    where user_id = (select auth.uid())
      and read_at is null
      and (ids is null or id = any (ids))
    returning 1
  )
  select count(*)::integer from marked
$$;

revoke execute on function public.mark_notifications_read(uuid[]) from public, anon;
grant execute on function public.mark_notifications_read(uuid[]) to authenticated, service_role;

-- Notifies the new assignee of a conversation. The assigner is the request's auth.uid(): NULL for
-- automations, webhooks and service-role calls, shown as "Someone".
create or replace function public.notify_conversation_assigned()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  requester uuid;
  assignee_is_member boolean;
  actor_id uuid;
  actor_name text;
  contact_label text;
begin
  -- Unassignment and unchanged assignees notify nobody.
  if new.assigned_agent_id is null then
    return new;
  end if;
  if tg_op = 'UPDATE' and new.assigned_agent_id is not distinct from old.assigned_agent_id then
    return new;
  end if;

  -- A failed notification must never block the assignment: any error inside this block is rolled
  -- back to its savepoint and reported as a WARNING.
  begin
    requester := auth.uid();
    if requester is not null and requester = new.assigned_agent_id then
      return new; -- self-assignment
    end if;

    -- One statement for everything the notification needs (this runs on every assignment):
    --  * assigned_agent_id has no foreign key, so only a member of the conversation's account is
    --    told: no row, and no names in it, ever reach an outsider;
    --  * the actor is the requester's profile: a blank name, or a requester without a profile
    --    (an automation, a service-role call), is "Someone";
    --  * the contact is its name, else its phone, blank counting as absent.
    select
      exists (
        select 1 from public.profiles p
        where p.user_id = new.assigned_agent_id and p.account_id = new.account_id
      ),
      actor.user_id,
      nullif(btrim(actor.full_name), ''),
      (
        select coalesce(nullif(btrim(c.name), ''), nullif(btrim(c.phone), ''))
        from public.contacts c
        where c.id = new.contact_id
      )
    into assignee_is_member, actor_id, actor_name, contact_label
    from (select requester as user_id) as request
    left join public.profiles actor on actor.user_id = request.user_id;

    if not assignee_is_member then
      return new;
    end if;

    insert into public.notifications
      (account_id, user_id, type, conversation_id, contact_id, actor_user_id, title, body)
    values (
      new.account_id,
      new.assigned_agent_id,
      'conversation_assigned',
      new.id,
      new.contact_id,
      actor_id,
      'New conversation assigned',
      coalesce(actor_name, 'Someone') || ' assigned you a conversation with '
        || coalesce(contact_label, 'a contact')
    );
  exception when others then
    raise warning 'notify_conversation_assigned: no notification for conversation %: % (SQLSTATE %)',
      new.id, sqlerrm, sqlstate;
  end;
  return new;
end
$$;

revoke execute on function public.notify_conversation_assigned() from public, anon, authenticated;

drop trigger if exists on_conversation_assigned on public.conversations;
create trigger on_conversation_assigned
  after insert or update of assigned_agent_id on public.conversations
  for each row execute function public.notify_conversation_assigned();

-- Realtime: stream the table. Supabase projects have the publication; a plain PostgreSQL gets it.
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime for table public.notifications;
  elsif not exists (
    select 1 from pg_publication_tables
    where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'notifications'
  ) and not (select puballtables from pg_publication where pubname = 'supabase_realtime') then
    alter publication supabase_realtime add table public.notifications;
  end if;
end
$$;
