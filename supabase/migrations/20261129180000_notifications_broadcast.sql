-- 20261129180000_notifications_broadcast.sql: every change of a notification, sent by the database
-- to its recipient's private Realtime topic `user:<user_id>:notifications` (Supabase's Broadcast
-- from the database), and who may join that topic.
--
-- Needs 027_notifications.sql and Supabase's realtime schema (every Supabase project has it). The
-- version is a Supabase CLI timestamp because Wacrm's own numbering already took 028–042; it sorts
-- after them and after 027, both for the CLI (file names and versions compared as text) and for
-- the local runner (supabase/local/migrate.ts sorts the file names).
-- Run it as many times as you like (for example in the Supabase SQL editor): every statement is
-- idempotent, and it changes nothing that 027 made.

-- Sends one message per changed row with realtime.broadcast_changes: event and operation are
-- TG_OP; the payload is {record, old_record, operation, table, schema} plus the message id; the
-- message is private. SECURITY DEFINER because realtime.messages has no INSERT policy for the
-- request's role (and must not have one: a client could then send to anyone's topic).
create or replace function public.broadcast_notification_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A notification's write must never fail because of its broadcast. realtime.send already turns
  -- its own failures (no partition for today, say) into WARNING WarnSendingBroadcastMessage; this
  -- block does the same for anything else, such as a realtime schema older than broadcast_changes.
  begin
    perform realtime.broadcast_changes(
      'user:' || coalesce(new.user_id, old.user_id)::text || ':notifications',
      tg_op, tg_op, tg_table_name, tg_table_schema, new, old
    );
    -- A notification moved to another user (only the owner or service_role can change user_id) is
    -- gone for the previous recipient: their topic gets a DELETE carrying the old row only.
    if tg_op = 'UPDATE' and new.user_id is distinct from old.user_id then
      perform realtime.broadcast_changes(
        'user:' || old.user_id::text || ':notifications',
        'DELETE', 'DELETE', tg_table_name, tg_table_schema, null, old
      );
    end if;
  exception
    when others then
      raise warning 'broadcast_notification_change: % (%)', sqlerrm, sqlstate;
  end;
  return null;
end
$$;

revoke execute on function public.broadcast_notification_change() from public, anon, authenticated;

drop trigger if exists notifications_broadcast on public.notifications;
create trigger notifications_broadcast
  after insert or update or delete on public.notifications
  for each row execute function public.broadcast_notification_change();

-- Joining a private channel is authorised by this policy: Realtime inserts a probe message for the
-- channel's topic and selects it back as the joining user, with realtime.topic() set to the topic.
-- A signed-in user may read (join) their own topic only; anon, nobody's. There is no INSERT
-- policy: clients cannot send to anyone's topic, their own included.
drop policy if exists notifications_broadcast_read_own_topic on realtime.messages;
create policy notifications_broadcast_read_own_topic on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and (select realtime.topic()) = 'user:' || (select auth.uid())::text || ':notifications'
  );
