// SQL run by the evaluator for every change that has candidate subscribers. It lives in temporary
// functions (pg_temp, created on each evaluator connection) so the stand-in adds nothing to the
// project's schema and needs no cleanup, and so a change costs ONE round trip whatever the number
// of subscribers: filters are evaluated per (column, operator) group against all values at once,
// and the RLS check loops over the claim sets inside the server, each check a fresh statement
// planned under that subscriber's role and `request.jwt.claims` (policies read them through
// `(select auth.uid())`, an init plan evaluated once per statement, so one statement cannot check
// several claim sets).

/** Row values (Postgres text form) → JSON as to_jsonb renders each column's type. */
const typedRowFunction = `
create or replace function pg_temp.wacrm_realtime_typed(rel regclass, row_values jsonb)
returns jsonb
language plpgsql
as $fn$
declare
  items text;
  result jsonb;
begin
  if row_values is null then
    return null;
  end if;
  select string_agg(
           format('(%L, to_jsonb(($1 ->> %L)::%s))', a.attname, a.attname, pg_catalog.format_type(a.atttypid, null)),
           ', ' order by a.attnum)
    into items
    from pg_catalog.pg_attribute a
   where a.attrelid = rel and a.attnum > 0 and not a.attisdropped and row_values ? a.attname;
  if items is null then
    return '{}'::jsonb;
  end if;
  -- A VALUES list, not jsonb_build_object: that one stops at 100 arguments (50 columns).
  execute 'select jsonb_object_agg(t.k, t.v) from (values ' || items || ') t(k, v)' into result using row_values;
  return result;
end
$fn$`;

/** Filter groups → one boolean per value, flattened in group order (the first, cheap phase). */
const filtersFunction = `
create or replace function pg_temp.wacrm_realtime_filters(change jsonb, filter_groups jsonb)
returns boolean[]
language plpgsql
as $fn$
declare
  rel regclass := (change ->> 'relid')::oid::regclass;
  subject jsonb := case when change ->> 'action' = 'DELETE' then nullif(change -> 'old', 'null'::jsonb) else nullif(change -> 'new', 'null'::jsonb) end;
  filter_results boolean[] := '{}';
  group_results boolean[];
  g jsonb;
  typ text;
  expr text;
  single_value text;
  single_result boolean;
begin
  for g in select value from jsonb_array_elements(coalesce(filter_groups, '[]'::jsonb)) loop
    typ := (select pg_catalog.format_type(a.atttypid, null) from pg_catalog.pg_attribute a
             where a.attrelid = rel and a.attname = g ->> 'column' and a.attnum > 0 and not a.attisdropped);
    if typ is null then
      group_results := array_fill(false, array[jsonb_array_length(g -> 'values')]);
    elsif subject is null or not (subject ? (g ->> 'column')) then
      -- The WAL did not carry the column (key-only old row, unchanged TOAST): like the real
      -- server, a filter on it does not exclude the change.
      group_results := array_fill(true, array[jsonb_array_length(g -> 'values')]);
    else
      expr := case g ->> 'op'
        when 'eq' then '$2::%1$s = t.v::%1$s'
        when 'neq' then '$2::%1$s <> t.v::%1$s'
        when 'lt' then '$2::%1$s < t.v::%1$s'
        when 'lte' then '$2::%1$s <= t.v::%1$s'
        when 'gt' then '$2::%1$s > t.v::%1$s'
        when 'gte' then '$2::%1$s >= t.v::%1$s'
        when 'isdistinct' then '$2::%1$s is distinct from t.v::%1$s'
        when 'in' then '$2::%1$s = any (t.v::%1$s[])'
        when 'like' then '$2::%1$s ~~ t.v'
        when 'ilike' then '$2::%1$s ~~* t.v'
        when 'match' then '$2::%1$s ~ t.v'
        when 'imatch' then '$2::%1$s ~* t.v'
        when 'is' then 'case t.v when ''null'' then $2::%1$s is null when ''true'' then $2::boolean is true'
                       ' when ''false'' then $2::boolean is false else $2::boolean is unknown end'
        else 'false'
      end;
      -- NULL never matches, negated or not.
      if (g ->> 'negate')::boolean then
        expr := 'coalesce(not (' || expr || '), false)';
      else
        expr := 'coalesce(' || expr || ', false)';
      end if;
      begin
        execute 'select coalesce(array_agg(' || format(expr, typ) || ' order by t.i), ''{}'') '
             || 'from unnest($1) with ordinality t(v, i)'
          into group_results
          using array(select jsonb_array_elements_text(g -> 'values')), subject ->> (g ->> 'column');
      exception when others then
        -- One value the comparison refuses (a LIKE pattern ending in its escape character ...) must
        -- not cost the other subscribers of its group their events: each value alone, that one false.
        group_results := '{}';
        for single_value in select x.v from jsonb_array_elements_text(g -> 'values') with ordinality x(v, i) order by x.i loop
          begin
            execute 'select ' || format(expr, typ) || ' from (select $1::text as v) t'
              into single_result
              using single_value, subject ->> (g ->> 'column');
            group_results := group_results || coalesce(single_result, false);
          exception when others then
            group_results := group_results || false;
          end;
        end loop;
      end;
    end if;
    filter_results := filter_results || group_results;
  end loop;

  return filter_results;
end
$fn$`;

/**
 * wacrm_realtime_evaluate(change, claim_sets) → jsonb, for the subscribers whose filters passed:
 *   change:     {relid, action, new: {col: text|null}|null, old: {...}|null}
 *   claim_sets: [{role, claims}], sorted by role: one `visible` boolean each (the row is selectable
 *               under those claims; always true without RLS and on DELETE, never RLS-checked)
 */
const evaluateFunction = `
create or replace function pg_temp.wacrm_realtime_evaluate(change jsonb, claim_sets jsonb)
returns jsonb
language plpgsql
as $fn$
declare
  rel regclass := (change ->> 'relid')::oid::regclass;
  action text := change ->> 'action';
  new_row jsonb := nullif(change -> 'new', 'null'::jsonb);
  old_row jsonb := nullif(change -> 'old', 'null'::jsonb);
  rls boolean;
  pk text[];
  pk_sql text;
  pk_statement text;
  pk_values text[];
  row_visible boolean;
  columns_out jsonb;
  roles_out jsonb;
  visible boolean[] := '{}';
  cs jsonb;
  current_role_name text;
  seen boolean;
begin
  select c.relrowsecurity into rls from pg_catalog.pg_class c where c.oid = rel;

  select coalesce(array_agg(a.attname::text order by k.ord), '{}')
    into pk
    from pg_catalog.pg_index i
    cross join lateral unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
    join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indrelid = rel and i.indisprimary;

  select jsonb_agg(jsonb_build_object('name', a.attname, 'type', t.typname) order by a.attnum)
    into columns_out
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_type t on t.oid = a.atttypid
   where a.attrelid = rel and a.attnum > 0 and not a.attisdropped;

  if rls and action <> 'DELETE' and cardinality(pk) > 0 and new_row is not null then
    select 'select exists (select 1 from ' || rel::text || ' where '
           || string_agg(format('%I = $1[%s]::%s', k.col, k.ord, pg_catalog.format_type(a.atttypid, null)), ' and ' order by k.ord)
           || ')'
      into pk_sql
      from unnest(pk) with ordinality k(col, ord)
      join pg_catalog.pg_attribute a on a.attrelid = rel and a.attname = k.col;
    pk_values := array(select new_row ->> k.col from unnest(pk) with ordinality k(col, ord) order by k.ord);
    -- Prepared once per session and key shape: planning is most of a check's cost. The plan is
    -- redone when the role changes (RLS plans are per role), and the policies' init plans read
    -- request.jwt.claims at each execution.
    pk_statement := 'wacrm_rt_' || md5(pk_sql);
    if not exists (select 1 from pg_catalog.pg_prepared_statements where name = pk_statement) then
      execute format('prepare %I(text[]) as %s', pk_statement, pk_sql);
    end if;
    -- As the superuser first (no RLS): a row missing here is not yet visible to new snapshots or
    -- already gone; the caller retries the first case instead of dropping the change for everyone.
    execute format('execute %I(%L)', pk_statement, pk_values) into row_visible;
  end if;

  if pk_statement is null or not row_visible then
    visible := array_fill(pk_statement is null, array[jsonb_array_length(coalesce(claim_sets, '[]'::jsonb))]);
  else
    begin
      -- Fast path: one subtransaction for all the checks, the role switched only when it changes.
      for cs in select value from jsonb_array_elements(claim_sets) loop
        if current_role_name is distinct from cs ->> 'role' then
          perform pg_catalog.set_config('role', cs ->> 'role', true);
          current_role_name := cs ->> 'role';
        end if;
        perform pg_catalog.set_config('request.jwt.claims', cs ->> 'claims', true);
        execute format('execute %I(%L)', pk_statement, pk_values) into seen;
        visible := visible || coalesce(seen, false);
      end loop;
      perform pg_catalog.set_config('role', 'none', true);
    exception when others then
      -- A check failed (no privilege on the key, a policy that raises for some claims, a dropped
      -- role): redo them one by one so only that subscriber misses the change.
      visible := '{}';
      for cs in select value from jsonb_array_elements(claim_sets) loop
        begin
          perform pg_catalog.set_config('role', cs ->> 'role', true);
          perform pg_catalog.set_config('request.jwt.claims', cs ->> 'claims', true);
          execute format('execute %I(%L)', pk_statement, pk_values) into seen;
          visible := visible || coalesce(seen, false);
        exception when others then
          visible := visible || false;
        end;
        perform pg_catalog.set_config('role', 'none', true);
      end loop;
    end;
  end if;

  select coalesce(jsonb_object_agg(x.role_name, (
           select coalesce(jsonb_agg(a.attname order by a.attnum), '[]'::jsonb)
             from pg_catalog.pg_attribute a
            where a.attrelid = rel and a.attnum > 0 and not a.attisdropped
              and pg_catalog.has_column_privilege(r.oid, rel, a.attnum, 'SELECT'))), '{}'::jsonb)
    into roles_out
    from (select distinct c ->> 'role' as role_name from jsonb_array_elements(coalesce(claim_sets, '[]'::jsonb)) c) x
    join pg_catalog.pg_roles r on r.rolname = x.role_name;

  return jsonb_build_object(
    'record', pg_temp.wacrm_realtime_typed(rel, new_row),
    'old_record', pg_temp.wacrm_realtime_typed(rel, old_row),
    'columns', coalesce(columns_out, '[]'::jsonb),
    'pk', to_jsonb(pk),
    'rls', coalesce(rls, false),
    'row_visible', coalesce(row_visible, true),
    'roles', roles_out,
    'visible', to_jsonb(visible));
end
$fn$`;

export const installFunctionsSql = [typedRowFunction, filtersFunction, evaluateFunction];

export const filtersSql = 'select pg_temp.wacrm_realtime_filters($1::jsonb, $2::jsonb) as result';

export const evaluateSql = 'select pg_temp.wacrm_realtime_evaluate($1::jsonb, $2::jsonb) as result';
