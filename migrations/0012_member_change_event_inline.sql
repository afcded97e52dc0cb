-- Less work under a group row's lock when its members change. Changes to one group wait for
-- each other on that lock, held until the change's commit is flushed, so what runs under it
-- bounds a group's changes per second. Measured with pgbench on bench:compare's data shape (npm
-- run bench:member-statements: 10 clients as the service's default pool, each removing a random
-- member of a 100 000-member group and adding it back), the 0011 function managed 0.62-0.83 of
-- the bare one-statement change (version bump and delete or insert), and the bare change with a
-- change event inserted 0.77-1.04: the event was a good part of the gap. Two parts of it were
-- not needed:
--
-- 1. The event went through scim_record_event, a second plpgsql function called from this
--    one, which splits the id lists into events of 1 000 and so evaluated its own expressions
--    and loop on every call. A change of up to 1 000 added and 1 000 removed ids is one event:
--    it is now inserted directly, with the values scim_record_event gives a single event.
--    Larger changes still go through scim_record_event.
-- 2. events.organization_id referenced organizations, so every event's insert ran the foreign
--    key's check: a lookup of the organization's row and a KEY SHARE lock on it (a WAL record,
--    and a multixact whenever other writers of the organization hold the same lock). An event
--    only ever records a write to a user or group of its organization, in that write's
--    transaction, so the check never refused one. The reference is dropped and its one effect
--    kept: deleting an organization deletes its events (and through them their deliveries) in
--    the same statement, from an AFTER DELETE trigger on organizations. Triggers of one event
--    fire in name order, and the foreign keys' own cascade triggers (RI_ConstraintTrigger_*,
--    upper case) sort before organizations__delete_events, so it runs after the organization's
--    users and groups were deleted. Those deletes wait for every write still holding one of
--    their rows, and a write creating a user or group waits for the deletion (its foreign key
--    locks the organization's row), so the trigger's statement, which takes a new snapshot,
--    sees the event of every write that committed before the organization went. TRUNCATE fires
--    no delete trigger: a truncate of organizations (tests and benchmarks reseeding) empties
--    events from a truncate trigger instead (every organization is gone then), so no event
--    outlives its organization and the positioning pass never meets one without it.
--
-- Both together, same setup (bench/results/member-statements.md, 5 rounds): 694 -> 794 pairs/s,
-- per round 0.96-1.16 of the 0011 function's (median 1.10); the bare change 995, with an event
-- 873. The rule check, If-Match, the row lock, the version bump and the event stay exactly as
-- they were.

alter table events drop constraint events__organization_id__fkey;

create function scim_delete_organization_events() returns trigger
language plpgsql
as $$
begin
  delete from events where organization_id = old.id;
  return null;
end
$$;

create trigger organizations__delete_events after delete on organizations
  for each row execute function scim_delete_organization_events();

create function scim_truncate_organization_events() returns trigger
language plpgsql
as $$
begin
  -- A delete, not a truncate: the truncate of organizations may already have truncated
  -- event_deliveries (through event_receivers), which a truncate of events would have to again.
  delete from events;
  return null;
end
$$;

create trigger organizations__truncate_events after truncate on organizations
  for each statement execute function scim_truncate_organization_events();

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
    if cardinality(v_added) <= 1000 and cardinality(v_removed) <= 1000 then
      -- One event, as scim_record_event (0010) writes it for lists this short.
      insert into events (
        organization_id, seq, resource_type, resource_id, operation, resource_version, attributes,
        members_added, members_removed, actor_token_id, actor_label, request_id
      ) values (
        p_organization_id, nextval('events__seq__seq'), 'Group', p_group_id, 'patch', v_version, array['members'],
        v_added, v_removed, p_actor_token_id, p_actor_label, p_request_id
      );
    else
      perform scim_record_event(p_organization_id, 'Group', p_group_id, 'patch', v_version, array['members'],
        v_added, v_removed, p_actor_token_id, p_actor_label, p_request_id);
    end if;
  end if;
  return query select true, false, '{}'::uuid[], cardinality(v_added), cardinality(v_removed), v_version;
end
$$;
