-- The one-statement membership PATCH (0007's scim_change_group_members_recorded), planned once
-- per connection instead of once per call, and holding the group's row lock for less.
--
-- 1. Generic plans. A plpgsql function keeps a plan per statement, and Postgres' plan cache
--    plans it again for every call (a "custom" plan for the call's arguments) while such plans
--    look cheaper than a generic one. For statements over unnest(p_add) and = any(p_remove)
--    they always do: a custom plan knows the array holds one id, the generic one assumes ten.
--    So every membership change was planned anew, statement by statement: a profile of
--    Postgres under 32 clients changing one member of a 10k group spent 19% of its time in
--    the planner and the plan cache. The plans do not depend on the arrays' sizes (primary-key
--    probes per id, and an anti-join probing the users' primary key), so the function now
--    always runs the generic plans. Measured here, service and bench data as in bench:compare:
--    Postgres CPU per change 0.64 ms -> 0.46 ms, 1 350 -> 1 700-1 850 changes/s.
-- 2. The membership rule is checked before the group row's lock is taken instead of under it:
--    the users it reads are not protected by that lock anyway. A user who stops being a
--    customer (or is deleted) between the check and the insert is still refused, by the
--    foreign key group_members__user_id__fkey, which the caller maps to the same 400. Outcomes
--    keep their order: no such group, then If-Match, then refused ids.
create or replace function scim_change_group_members_recorded(
  p_organization_id uuid, p_group_id uuid, p_add uuid[], p_remove uuid[], p_if_match integer,
  p_actor_token_id uuid, p_actor_label text, p_request_id text
) returns table (group_exists boolean, version_mismatch boolean, refused_ids uuid[], added_count integer, removed_count integer, group_version integer)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
declare
  v_version integer;
  v_refused uuid[] := '{}';
  v_added uuid[] := '{}';
  v_removed uuid[] := '{}';
begin
  if cardinality(p_add) > 0 then
    select coalesce(array_agg(t.id order by t.n), '{}') into v_refused
    from unnest(p_add) with ordinality as t(id, n)
    where not exists (
      select 1 from users u where u.organization_id = p_organization_id and u.id = t.id and u.user_type = 'customer'
    );
  end if;
  select g.version into v_version from groups g
  where g.organization_id = p_organization_id and g.id = p_group_id
  for update;
  if not found then
    return query select false, false, null::uuid[], 0, 0, null::integer;
    return;
  end if;
  if p_if_match is not null and p_if_match <> v_version then
    return query select true, true, null::uuid[], 0, 0, v_version;
    return;
  end if;
  if cardinality(v_refused) > 0 then
    return query select true, false, v_refused, 0, 0, v_version;
    return;
  end if;
  if cardinality(p_add) > 0 then
    with added as (
      insert into group_members (organization_id, group_id, user_id)
      select p_organization_id, p_group_id, t.id from unnest(p_add) as t(id)
      on conflict (group_id, user_id) do nothing
      returning user_id
    )
    select coalesce(array_agg(user_id), '{}') into v_added from added;
  end if;
  if cardinality(p_remove) > 0 then
    with removed as (
      delete from group_members m where m.group_id = p_group_id and m.user_id = any(p_remove)
      returning m.user_id
    )
    select coalesce(array_agg(user_id), '{}') into v_removed from removed;
  end if;
  if cardinality(v_added) + cardinality(v_removed) > 0 then
    update groups g set version = g.version + 1, last_modified = clock_timestamp()
    where g.id = p_group_id
    returning g.version into v_version;
    perform scim_record_event(p_organization_id, 'Group', p_group_id, 'patch', v_version, array['members'],
      v_added, v_removed, p_actor_token_id, p_actor_label, p_request_id);
  end if;
  return query select true, false, '{}'::uuid[], cardinality(v_added), cardinality(v_removed), v_version;
end
$$;
