-- 1. Instances keep API tokens in memory for a short while (TOKEN_CACHE_TTL_MS). Any change to
-- a token row that matters for authentication (revoked, deleted, its organization deleted,
-- columns added later such as expiry) is announced on channel `scim_api_tokens` with the
-- token's id, on commit, so that every instance listening drops it at once. Recording a use
-- (last_used_at, at most once a minute) is not a change worth announcing.

create function api_tokens_announce_change() returns trigger
language plpgsql
as $$
begin
  perform pg_notify('scim_api_tokens', old.id::text);
  return null;
end
$$;

create trigger api_tokens__announce_update
  after update on api_tokens
  for each row
  when ((to_jsonb(old) - 'last_used_at') is distinct from (to_jsonb(new) - 'last_used_at'))
  execute function api_tokens_announce_change();

create trigger api_tokens__announce_delete
  after delete on api_tokens
  for each row
  execute function api_tokens_announce_change();

-- 2. A membership PATCH (add and/or remove members by id, nothing else) in one round trip.
--
-- Why a function and not one statement with CTEs: every part of a statement reads the snapshot
-- taken when the statement started, before it waited for the group row's lock. A DELETE in a
-- CTE would then miss a member that the request holding the lock had just added, and the
-- remove would be lost. Statements in a plpgsql function each take a fresh snapshot (READ
-- COMMITTED), so everything after the lock sees everything committed before it.
--
-- Steps, all under the group row's lock (FOR UPDATE: changes to one group serialize):
--   * no such group in the organization: group_exists = false;
--   * p_if_match given and not the current version: version_mismatch = true;
--   * the membership rule: ids to add that are not customer users of the organization are
--     returned in `refused_ids`, in input order, and nothing is written (the foreign key
--     group_members__user_id__fkey still refuses the same under races: the caller maps it);
--   * insert (existing members are a no-op), delete (non-members are a no-op), and the
--     version bump only when a row changed, so the ETag changes exactly on every change.
-- The caller passes disjoint add and remove lists (request order does not matter then).
create function scim_change_group_members(
  p_organization_id uuid, p_group_id uuid, p_add uuid[], p_remove uuid[], p_if_match integer
) returns table (group_exists boolean, version_mismatch boolean, refused_ids uuid[], added_count integer, removed_count integer, group_version integer)
language plpgsql
as $$
declare
  v_version integer;
  v_refused uuid[];
  v_added integer := 0;
  v_removed integer := 0;
begin
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
  select coalesce(array_agg(t.id order by t.n), '{}') into v_refused
  from unnest(p_add) with ordinality as t(id, n)
  where not exists (
    select 1 from users u where u.organization_id = p_organization_id and u.id = t.id and u.user_type = 'customer'
  );
  if cardinality(v_refused) > 0 then
    return query select true, false, v_refused, 0, 0, v_version;
    return;
  end if;
  if cardinality(p_add) > 0 then
    insert into group_members (organization_id, group_id, user_id)
    select p_organization_id, p_group_id, t.id from unnest(p_add) as t(id)
    on conflict (group_id, user_id) do nothing;
    get diagnostics v_added = row_count;
  end if;
  if cardinality(p_remove) > 0 then
    delete from group_members m where m.group_id = p_group_id and m.user_id = any(p_remove);
    get diagnostics v_removed = row_count;
  end if;
  if v_added + v_removed > 0 then
    -- clock_timestamp, as the other writes: distinct times even within one transaction.
    update groups g set version = g.version + 1, last_modified = clock_timestamp()
    where g.id = p_group_id
    returning g.version into v_version;
  end if;
  return query select true, false, '{}'::uuid[], v_added, v_removed, v_version;
end
$$;
