-- 20261204120000_notification_types.sql: more to notify an agent of, and what a user can do with it.
--
--   * Types `message_received` (a customer wrote on a conversation assigned to you) and
--     `deal_updated` (your deal changed stage or status, or was assigned to you), beside 027's
--     `conversation_assigned`; `notifications_type_check` widened to allow them.
--   * `data jsonb`: what a client needs to word a notification in the reader's language (names,
--     excerpt, counts, stage). NULL for 027's rows and for other writers: title and body then.
--   * `seen_at` (the panel showed it) and `archived_at` (put away: out of the list and the counts),
--     both the server's time, with the RPCs mark_notifications_seen, archive_notifications and
--     unarchive_notifications; mark_notifications_read() (all) leaves archived rows alone.
--   * `notification_preferences`: a user mutes a type for themselves; the triggers skip muted types.
--   * notify_conversation_assigned (027's trigger function) also fills `data` and respects
--     preferences; its title and body are unchanged.
--
-- Needs 027_notifications.sql, and Wacrm's messages, pipelines, pipeline_stages and deals (on a
-- database that is not Wacrm's, 000_wacrm_core.sql creates them). Its version is a Supabase CLI
-- timestamp, after Wacrm's own 028–042 and after 20261129180000_notifications_broadcast.sql, whose
-- trigger sends every change of these rows (coalescing updates included) to the recipient's topic.
-- Run it as many times as you like (for example in the Supabase SQL editor): a second run changes
-- nothing. Re-running 027 by hand afterwards puts back 027's function and grants: run this file
-- again after it.

-- What the triggers read must be there, with Wacrm's column names (Wacrm 0.8, or 000's slice).
do $$
declare
  wanted record;
  missing text[];
begin
  for wanted in
    select * from (values
      ('messages', array['id', 'conversation_id', 'sender_type', 'content_type', 'content_text']),
      ('pipelines', array['id', 'account_id']),
      ('pipeline_stages', array['id', 'pipeline_id', 'name']),
      ('deals', array['id', 'account_id', 'stage_id', 'status', 'assigned_to', 'title', 'contact_id', 'conversation_id']),
      ('notifications', array['id', 'user_id', 'type', 'read_at'])
    ) as t (table_name, columns)
  loop
    if to_regclass(format('public.%I', wanted.table_name)) is null then
      raise exception 'public.% does not exist', wanted.table_name
        using hint = 'Apply 027_notifications.sql first; on a database that is not Wacrm''s, run 000_wacrm_core.sql '
                     '(again: it adds messages, pipelines, pipeline_stages and deals to a database it already ran on).';
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
        using hint = 'The notification triggers need Wacrm''s schema as of 0.8 (deals.assigned_to since its migration 002).';
    end if;
  end loop;
end
$$;

-- ---------------------------------------------------------------- the table

alter table public.notifications add column if not exists data jsonb;
alter table public.notifications add column if not exists seen_at timestamptz;
alter table public.notifications add column if not exists archived_at timestamptz;

-- Widen the CHECK to our three types, keeping every type it allowed before (a Wacrm fork may have
-- added its own) and every type already stored. Replaced only when one of ours is missing, so a
-- second run neither rewrites the catalog nor rescans the table.
do $$
declare
  ours constant text[] := array['conversation_assigned', 'message_received', 'deal_updated'];
  definition text;
  allowed text[];
begin
  select pg_get_constraintdef(c.oid) into definition
  from pg_constraint c
  where c.conrelid = 'public.notifications'::regclass and c.conname = 'notifications_type_check';

  allowed := '{}';
  if definition is not null then
    -- A list of types, `type = ANY (ARRAY['a'::text, …])` or `type = 'a'::text`: its literals. Any
    -- other CHECK: only the types stored are known to be wanted.
    if definition ~ '^CHECK \(\(type = (ANY \(ARRAY\[.*\]\)|''.*''::text)\)\)$' then
      select coalesce(array_agg(replace(m[1], '''''', '''')), '{}') into allowed
      from regexp_matches(definition, '''((?:[^'']|'''')*)''::text', 'g') as m;
      if allowed @> ours then
        return;
      end if;
    end if;
    alter table public.notifications drop constraint notifications_type_check;
  end if;

  select array_agg(t order by array_position(ours, t), t) into allowed
  from (
    select unnest(ours || allowed) as t
    union
    select distinct n.type from public.notifications n
  ) as types (t);

  execute format(
    'alter table public.notifications add constraint notifications_type_check check (type in (%s))',
    (select string_agg(quote_literal(t), ', ' order by ordinality) from unnest(allowed) with ordinality as a (t))
  );
end
$$;

-- The lists and counts a client asks for, each served by a partial index at any table size:
--  * the inbox and the archive, newest first with the id as tie-break (keyset pages);
--  * the unread and the unseen counts of one user: an index-only scan of this user's entries that
--    are unread or unseen (few; read_at and seen_at are in the index, so nothing else is read).
--    The same index finds, by (user_id, conversation_id), the unread message_received row that a
--    new message is folded into.
-- 027's two indexes stay: Wacrm's own UI queries by them.
create index if not exists idx_notifications_user_inbox
  on public.notifications (user_id, created_at desc, id desc) where archived_at is null;
create index if not exists idx_notifications_user_archived
  on public.notifications (user_id, created_at desc, id desc) where archived_at is not null;
create index if not exists idx_notifications_user_attention
  on public.notifications (user_id, conversation_id) include (read_at, seen_at)
  where archived_at is null and (read_at is null or seen_at is null);

-- Column privileges: besides read_at (027), a signed-in user may set seen_at and archived_at of
-- their own rows (RLS), nothing else: not title, body, data, type or created_at.
grant update (read_at, seen_at, archived_at) on table public.notifications to authenticated;

-- seen_at and archived_at are the server's clock, like read_at in 027: setting one stores now(),
-- whatever time the client sent; a row already seen (archived) keeps its first time; NULL (unseen,
-- restored) is kept as sent.
create or replace function public.notifications_seen_archived_server_time()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.seen_at is not null then
    new.seen_at := coalesce(old.seen_at, now());
  end if;
  if new.archived_at is not null then
    new.archived_at := coalesce(old.archived_at, now());
  end if;
  return new;
end
$$;

revoke execute on function public.notifications_seen_archived_server_time() from public, anon, authenticated;

drop trigger if exists notifications_seen_archived_server_time on public.notifications;
create trigger notifications_seen_archived_server_time
  before update of seen_at, archived_at on public.notifications
  for each row execute function public.notifications_seen_archived_server_time();

-- ---------------------------------------------------------------- RPCs
-- Each returns how many rows it changed. SECURITY INVOKER: the caller's RLS and column privileges
-- apply, so a user only ever changes their own rows; the server's now() is the time stored.

-- Marks the caller's unread notifications read: the given ones (archived or not), or when ids is
-- null every unread one in the inbox (archived rows are out of the counts already).
create or replace function public.mark_notifications_read(ids uuid[] default null)
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  -- Rows locked in id order first: every write RPC of the user's rows takes them in the same order,
  -- so two at once (opening the panel marks seen while "mark all as read" runs) queue, never deadlock.
  with locked as (
    select n.id from public.notifications n
    where n.user_id = (select auth.uid())
      and n.read_at is null
      and (case when ids is null then n.archived_at is null else n.id = any (ids) end)
    order by n.id
    for update
  ), marked as (
    update public.notifications n
    set read_at = now()
    from locked
    where n.id = locked.id and n.read_at is null
    returning 1
  )
  select count(*)::integer from marked
$$;

revoke execute on function public.mark_notifications_read(uuid[]) from public, anon;
grant execute on function public.mark_notifications_read(uuid[]) to authenticated, service_role;

-- Marks the caller's unseen inbox notifications seen: the given ones, or all when ids is null.
create or replace function public.mark_notifications_seen(ids uuid[] default null)
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  with locked as (
    select n.id from public.notifications n
    where n.user_id = (select auth.uid())
      and n.seen_at is null
      and n.archived_at is null
      and (ids is null or n.id = any (ids))
    order by n.id
    for update
  ), marked as (
    update public.notifications n
    set seen_at = now()
    from locked
    where n.id = locked.id and n.seen_at is null and n.archived_at is null
    returning 1
  )
  select count(*)::integer from marked
$$;

-- Archives the caller's notifications: the given ones, read or not; or, when ids is null, every
-- read one ("archive all read": unread rows stay in the inbox).
create or replace function public.archive_notifications(ids uuid[] default null)
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  with locked as (
    select n.id from public.notifications n
    where n.user_id = (select auth.uid())
      and n.archived_at is null
      and (case when ids is null then n.read_at is not null else n.id = any (ids) end)
    order by n.id
    for update
  ), archived as (
    update public.notifications n
    set archived_at = now()
    from locked
    where n.id = locked.id and n.archived_at is null
    returning 1
  )
  select count(*)::integer from archived
$$;

-- Restores the given archived notifications of the caller to the inbox (null or empty: none).
create or replace function public.unarchive_notifications(ids uuid[])
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  with locked as (
    select n.id from public.notifications n
    where n.user_id = (select auth.uid())
      and n.archived_at is not null
      and n.id = any (ids)
    order by n.id
    for update
  ), restored as (
    update public.notifications n
    set archived_at = null
    from locked
    where n.id = locked.id and n.archived_at is not null
    returning 1
  )
  select count(*)::integer from restored
$$;

revoke execute on function public.mark_notifications_seen(uuid[]) from public, anon, service_role;
revoke execute on function public.archive_notifications(uuid[]) from public, anon, service_role;
revoke execute on function public.unarchive_notifications(uuid[]) from public, anon, service_role;
grant execute on function public.mark_notifications_seen(uuid[]) to authenticated;
grant execute on function public.archive_notifications(uuid[]) to authenticated;
grant execute on function public.unarchive_notifications(uuid[]) to authenticated;

-- ---------------------------------------------------------------- preferences

-- One row per user and type; no row means the type is on. Clients write it with supabase-js:
--   upsert({ user_id, type, in_app }, { onConflict: 'user_id,type' })
create table if not exists public.notification_preferences (
  user_id uuid not null references auth.users (id) on delete cascade,
  type text not null
    constraint notification_preferences_type_check
    check (type in ('conversation_assigned', 'message_received', 'deal_updated')),
  in_app boolean not null default true,
  updated_at timestamptz not null default now(),
  constraint notification_preferences_pkey primary key (user_id, type)
);

alter table public.notification_preferences enable row level security;

-- The owner alone reads and writes their rows.
drop policy if exists notification_preferences_select on public.notification_preferences;
create policy notification_preferences_select on public.notification_preferences
  for select to authenticated
  using ((select auth.uid()) = user_id);

drop policy if exists notification_preferences_insert on public.notification_preferences;
create policy notification_preferences_insert on public.notification_preferences
  for insert to authenticated
  with check ((select auth.uid()) = user_id);

drop policy if exists notification_preferences_update on public.notification_preferences;
create policy notification_preferences_update on public.notification_preferences
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);

drop policy if exists notification_preferences_delete on public.notification_preferences;
create policy notification_preferences_delete on public.notification_preferences
  for delete to authenticated
  using ((select auth.uid()) = user_id);

-- UPDATE on every column, not just in_app: PostgREST's upsert writes back every column it was sent
-- (`on conflict (user_id, type) do update set user_id = excluded.user_id, type = …, in_app = …`).
-- The policies' WITH CHECK keeps user_id the caller's; updated_at is the server's (below).
revoke all on table public.notification_preferences from public, anon, authenticated;
grant select, insert, update, delete on table public.notification_preferences to authenticated;
grant all on table public.notification_preferences to service_role;

create or replace function public.notification_preferences_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

revoke execute on function public.notification_preferences_updated_at() from public, anon, authenticated;

drop trigger if exists notification_preferences_updated_at on public.notification_preferences;
create trigger notification_preferences_updated_at
  before insert or update on public.notification_preferences
  for each row execute function public.notification_preferences_updated_at();

-- ---------------------------------------------------------------- conversation_assigned

-- 027's function, same title and body, plus data = {actor_name, contact_name} and the recipient's
-- preference. Names are read only from rows of the conversation's account.
create or replace function public.notify_conversation_assigned()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  requester uuid;
  assignee_is_member boolean;
  muted boolean;
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
    --  * a recipient who turned the type off gets nothing;
    --  * the actor is the requester's profile: a blank name, or a requester without a profile
    --    (an automation, a service-role call), is "Someone";
    --  * the contact is its name, else its phone, blank counting as absent.
    select
      exists (
        select 1 from public.profiles p
        where p.user_id = new.assigned_agent_id and p.account_id = new.account_id
      ),
      exists (
        select 1 from public.notification_preferences np
        where np.user_id = new.assigned_agent_id and np.type = 'conversation_assigned' and not np.in_app
      ),
      actor.user_id,
      nullif(btrim(actor.full_name), ''),
      (
        select coalesce(nullif(btrim(c.name), ''), nullif(btrim(c.phone), ''))
        from public.contacts c
        where c.id = new.contact_id and c.account_id = new.account_id
      )
    into assignee_is_member, muted, actor_id, actor_name, contact_label
    from (select requester as user_id) as request
    left join public.profiles actor on actor.user_id = request.user_id;

    if not assignee_is_member or muted then
      return new;
    end if;

    insert into public.notifications
      (account_id, user_id, type, conversation_id, contact_id, actor_user_id, title, body, data)
    values (
      new.account_id,
      new.assigned_agent_id,
      'conversation_assigned',
      new.id,
      new.contact_id,
      actor_id,
      'New conversation assigned',
      coalesce(actor_name, 'Someone') || ' assigned you a conversation with '
        || coalesce(contact_label, 'a contact'),
      jsonb_build_object('actor_name', actor_name, 'contact_name', contact_label)
    );
  exception when others then
    raise warning 'notify_conversation_assigned: no notification for conversation %: % (SQLSTATE %)',
      new.id, sqlerrm, sqlstate;
  end;
  return new;
end
$$;

revoke execute on function public.notify_conversation_assigned() from public, anon, authenticated;

-- ---------------------------------------------------------------- message_received

-- A customer's message on a conversation assigned to an agent of its account notifies that agent.
-- While the agent has an unread message_received notification for the conversation in the inbox,
-- each new message updates that row instead of adding one: the latest excerpt, one more message,
-- created_at = now() (so it moves to the top of the newest-first list), unseen again.
--
-- Two messages at once must not make two unread rows. The trigger takes a transaction-level
-- advisory lock on (recipient, conversation) before it looks for the row: a concurrent message for
-- the same pair waits until the first transaction ends, and its next statement (READ COMMITTED, as
-- PostgREST and the webhook run) sees the committed row and updates it. A unique partial index
-- with ON CONFLICT would do it too, but would make "mark unread" and "restore from the archive"
-- fail (23505) whenever the conversation has a newer unread row, and those must always work. The
-- lock costs nothing to other conversations; a hash collision between two pairs only makes one
-- wait. The row found is locked FOR UPDATE, so a mark-read or archive committed meanwhile is seen
-- and a new row starts instead.
create or replace function public.notify_message_received()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  target record;
  excerpt text;
  summary text;
  folded integer;
begin
  begin
    -- The conversation's assignee, whether they are a member of its account and want this type,
    -- and the contact's name (else phone; blank counts as absent; only a contact of the account).
    select
      c.account_id,
      c.contact_id,
      c.assigned_agent_id as recipient,
      exists (
        select 1 from public.profiles p
        where p.user_id = c.assigned_agent_id and p.account_id = c.account_id
      ) as member,
      exists (
        select 1 from public.notification_preferences np
        where np.user_id = c.assigned_agent_id and np.type = 'message_received' and not np.in_app
      ) as muted,
      (
        select coalesce(nullif(btrim(k.name), ''), nullif(btrim(k.phone), ''))
        from public.contacts k
        where k.id = c.contact_id and k.account_id = c.account_id
      ) as contact_label
    into target
    from public.conversations c
    where c.id = new.conversation_id;

    if target.recipient is null or not target.member or target.muted then
      return null;
    end if;

    -- The excerpt: the text on one line (runs of whitespace become one space), trimmed, its first
    -- 140 characters with '…' when cut. No text: the kind of message.
    excerpt := nullif(btrim(regexp_replace(left(new.content_text, 2000), '\s+', ' ', 'g')), '');
    if char_length(excerpt) > 140 then
      excerpt := rtrim(left(excerpt, 140)) || '…';
    end if;
    summary := coalesce(excerpt, case new.content_type
      when 'image' then 'Sent an image'
      when 'document' then 'Sent a document'
      when 'audio' then 'Sent an audio message'
      when 'video' then 'Sent a video'
      when 'location' then 'Sent a location'
      when 'sticker' then 'Sent a sticker'
      else 'Sent a message'
    end);

    perform pg_advisory_xact_lock(
      hashtext('public.notifications message_received'),
      hashtext(target.recipient::text || ' ' || new.conversation_id::text)
    );

    update public.notifications n
    set data = jsonb_build_object(
          'contact_name', target.contact_label,
          'excerpt', excerpt,
          'content_type', new.content_type,
          'message_count', 1 + case when jsonb_typeof(n.data -> 'message_count') = 'number'
                                    then (n.data ->> 'message_count')::numeric::integer else 1 end
        ),
        title = 'New message from ' || coalesce(target.contact_label, 'a contact'),
        body = summary,
        created_at = now(),
        seen_at = null
    where n.id = (
      select u.id from public.notifications u
      where u.user_id = target.recipient
        and u.conversation_id = new.conversation_id
        and u.type = 'message_received'
        and u.read_at is null
        and u.archived_at is null
      order by u.created_at desc, u.id desc
      limit 1
      for update
    );
    get diagnostics folded = row_count;

    if folded = 0 then
      insert into public.notifications
        (account_id, user_id, type, conversation_id, contact_id, actor_user_id, title, body, data)
      values (
        target.account_id,
        target.recipient,
        'message_received',
        new.conversation_id,
        target.contact_id,
        null,
        'New message from ' || coalesce(target.contact_label, 'a contact'),
        summary,
        jsonb_build_object(
          'contact_name', target.contact_label,
          'excerpt', excerpt,
          'content_type', new.content_type,
          'message_count', 1
        )
      );
    end if;
  exception when others then
    raise warning 'notify_message_received: no notification for message %: % (SQLSTATE %)',
      new.id, sqlerrm, sqlstate;
  end;
  return null;
end
$$;

revoke execute on function public.notify_message_received() from public, anon, authenticated;

-- Only customers' messages call the function at all (agents' and bots' cost nothing).
drop trigger if exists on_message_received on public.messages;
create trigger on_message_received
  after insert on public.messages
  for each row
  when (new.sender_type = 'customer')
  execute function public.notify_message_received();

-- ---------------------------------------------------------------- deal_updated

-- A deal's stage or status changed, or it was (re)assigned — at creation too: a deal created with
-- an assignee is an assignment — notifies the assignee: deals.assigned_to is a profiles.id, the
-- recipient that profile's user, if it belongs to the deal's account. Nobody is told of their own
-- change. When several change at once, one notification says the most important: assigned, then
-- status, then stage.
create or replace function public.notify_deal_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  requester uuid;
  change text;
  target record;
  deal_title text;
  who text;
  message text;
begin
  if new.assigned_to is null then
    return null;
  end if;
  if tg_op = 'INSERT' or new.assigned_to is distinct from old.assigned_to then
    change := 'assigned';
  elsif new.status is distinct from old.status then
    change := 'status';
  elsif new.stage_id is distinct from old.stage_id then
    change := 'stage';
  else
    return null;
  end if;

  begin
    requester := auth.uid();

    select
      recipient.user_id as recipient,
      exists (
        select 1 from public.notification_preferences np
        where np.user_id = recipient.user_id and np.type = 'deal_updated' and not np.in_app
      ) as muted,
      actor.user_id as actor_id,
      nullif(btrim(actor.full_name), '') as actor_name,
      (
        select nullif(btrim(s.name), '')
        from public.pipeline_stages s
        join public.pipelines pl on pl.id = s.pipeline_id
        where s.id = new.stage_id and pl.account_id = new.account_id
      ) as stage_name
    into target
    from public.profiles recipient
    left join public.profiles actor on actor.user_id = requester
    where recipient.id = new.assigned_to and recipient.account_id = new.account_id;

    if target.recipient is null or target.muted then
      return null; -- no such member of the deal's account, or the type is off
    end if;
    if requester is not null and requester = target.recipient then
      return null; -- the assignee's own change
    end if;

    deal_title := nullif(btrim(new.title), '');
    who := coalesce(target.actor_name, 'Someone');
    message := case change
      when 'assigned' then who || coalesce(' assigned you the deal ' || deal_title, ' assigned you a deal')
      when 'status' then who || ' marked ' || coalesce(deal_title, 'a deal') || ' as ' || coalesce(new.status, 'open')
      else who || ' moved ' || coalesce(deal_title, 'a deal') || ' to ' || coalesce(target.stage_name, 'another stage')
    end;

    insert into public.notifications
      (account_id, user_id, type, conversation_id, contact_id, actor_user_id, title, body, data)
    values (
      new.account_id,
      target.recipient,
      'deal_updated',
      new.conversation_id,
      new.contact_id,
      target.actor_id,
      case change when 'assigned' then 'Deal assigned' else 'Deal updated' end,
      message,
      jsonb_build_object(
        'actor_name', target.actor_name,
        'deal_id', new.id,
        'deal_title', deal_title,
        'change', change,
        'stage_name', target.stage_name,
        'status', new.status
      )
    );
  exception when others then
    raise warning 'notify_deal_updated: no notification for deal %: % (SQLSTATE %)',
      new.id, sqlerrm, sqlstate;
  end;
  return null;
end
$$;

revoke execute on function public.notify_deal_updated() from public, anon, authenticated;

drop trigger if exists on_deal_updated on public.deals;
create trigger on_deal_updated
  after update of stage_id, status, assigned_to on public.deals
  for each row
  when (old.stage_id is distinct from new.stage_id
        or old.status is distinct from new.status
        or old.assigned_to is distinct from new.assigned_to)
  execute function public.notify_deal_updated();

drop trigger if exists on_deal_created on public.deals;
create trigger on_deal_created
  after insert on public.deals
  for each row
  when (new.assigned_to is not null)
  execute function public.notify_deal_updated();
