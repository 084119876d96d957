// The database's side of the soak's clock, for bench/soak.ts and test/browser/soak.test.ts.
//
// PostgreSQL stamps a notification's created_at with its own now() (the triggers run with an empty
// search_path, so nothing can stand in for it), while the page's clock runs hours ahead. A trigger
// of the soak's own moves created_at by the same offset as the page's clock, for the soak's user
// only, when a row is inserted or its created_at set (a coalesced message moving to the top):
// "5 minutes ago" on the page means five simulated minutes. read_at, seen_at and archived_at stay
// on the server's real clock; the widget shows none of them. The soak removes it when done; it
// lives in a schema of its own, out of PostgREST's reach.

// One statement each (a DO block): the test runner's query command answers one result.
export const INSTALL_SOAK_CLOCK = `
do $install$
begin
  create schema if not exists soak;
  create table if not exists soak.clock (user_id uuid primary key, ahead interval not null);
  create or replace function soak.shift_created_at()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
  as $shift$
  declare
    ahead interval;
  begin
    select c.ahead into ahead from soak.clock c where c.user_id = new.user_id;
    if ahead is not null then
      new.created_at := new.created_at + ahead;
    end if;
    return new;
  end
  $shift$;
  drop trigger if exists soak_shift_created_at on public.notifications;
  create trigger soak_shift_created_at
    before insert or update of created_at on public.notifications
    for each row execute function soak.shift_created_at();
end
$install$`;

export const REMOVE_SOAK_CLOCK = `
do $remove$
begin
  drop trigger if exists soak_shift_created_at on public.notifications;
  drop schema if exists soak cascade;
end
$remove$`;

/** Parameters: the user's id, and how far ahead the page's clock runs, in ms. */
export const SET_SOAK_CLOCK = `
insert into soak.clock (user_id, ahead) values ($1, make_interval(secs => $2::double precision / 1000))
on conflict (user_id) do update set ahead = excluded.ahead`;
