-- The feed's order without a lock per organization. Until now (0007) a writer took its
-- event's number from its organization's counter row and held that row until it committed,
-- so the writes of one organization committed one at a time: pgbench here, 32 clients, one
-- insert per transaction, 8 026 commits/s without the counter and 678 with it.
--
-- Now an event is written with an internal number `seq` from a sequence, which takes no lock
-- and is taken at the end of the writer's transaction, after the writer holds the row lock
-- of the resource it changed. The sequence must keep CACHE 1 (the default): with a cache,
-- each session would hold numbers taken in advance, and a later change could get a smaller one. Its place in the feed, `position`, is given after it commits,
-- by scim_position_events below: one caller at a time (an advisory lock), it numbers every
-- committed event that has none yet, in `seq` order, per organization from the counter row
-- (which only it writes now). Why this loses nothing and keeps each resource's order:
--  - Readers page by `position`. Positions are given by one transaction at a time, each
--    continuing where the previous one ended, so once a reader has seen position n of an
--    organization no event of it can appear later at n or below.
--  - A resource's changes take their `seq` under its row lock, so a later change of a
--    resource has a larger `seq` and commits after the earlier one. Any snapshot that sees
--    the later change committed sees the earlier one too, so the earlier one is numbered first
--    (in an earlier call, or before it in the same call's `seq` order).
-- Pushed deliveries are queued when an event is positioned (no receiver lookup in the writers'
-- transactions); a receiver gets every event positioned after it was registered.
-- The wake-up for streams and for other instances is sent by the positioning transaction
-- (one notification per organization it advanced, on its commit, which is exactly when the
-- positions become visible). One such transaction per pass is all that waits for Postgres'
-- notification lock; the writers (0009) take no part in it.

create sequence events__seq__seq;
select setval('events__seq__seq', greatest(m, 1), m > 0)
from (select greatest(coalesce((select max(seq) from events), 0), coalesce((select max(last_seq) from event_sequences), 0)) as m) as top;
alter sequence events__seq__seq owned by events.seq;

-- Events recorded before this migration were numbered in commit order already: their
-- position is their number, so cursors issued before it stay valid.
alter table events add column position bigint;
update events set position = seq;

-- The feed reads positioned events per organization, and a resource's history; the
-- positioner finds the events still waiting for a position.
create unique index events__organization_id_position__key on events (organization_id, position) where position is not null;
create index events__organization_id_resource_id_position__idx on events (organization_id, resource_id, position) where position is not null;
create index events__unpositioned__idx on events (seq) where position is null;
drop index events__organization_id_resource_id_seq__idx;

-- Recording a change: the events only (in parts of at most 1000 added and 1000 removed
-- member ids each, same version and request, as in 0007). Returns the last internal number.
create or replace function scim_record_event(
  p_organization_id uuid, p_resource_type text, p_resource_id uuid, p_operation text, p_version integer,
  p_attributes text[], p_added uuid[], p_removed uuid[], p_actor_token_id uuid, p_actor_label text, p_request_id text
) returns bigint
language plpgsql
as $$
declare
  v_seq bigint;
  v_chunk constant integer := 1000;
  v_parts integer := greatest(1, ceil(greatest(coalesce(cardinality(p_added), 0), coalesce(cardinality(p_removed), 0))::numeric / v_chunk)::integer);
begin
  for i in 0 .. v_parts - 1 loop
    insert into events (
      organization_id, seq, resource_type, resource_id, operation, resource_version, attributes,
      members_added, members_removed, actor_token_id, actor_label, request_id
    ) values (
      p_organization_id, nextval('events__seq__seq'), p_resource_type, p_resource_id, p_operation, p_version, coalesce(p_attributes, '{}'),
      coalesce(p_added[i * v_chunk + 1 : (i + 1) * v_chunk], '{}'), coalesce(p_removed[i * v_chunk + 1 : (i + 1) * v_chunk], '{}'),
      p_actor_token_id, p_actor_label, p_request_id
    ) returning seq into v_seq;
  end loop;
  return v_seq;
end
$$;

-- Positions up to p_limit committed events (the oldest first), queues their deliveries and
-- notifies `scim_events` once per organization advanced. Returns how many it positioned and
-- which organizations: the caller repeats while a full batch came back.
create function scim_position_events(p_limit integer)
returns table (positioned integer, organization_ids uuid[])
language plpgsql
as $$
#variable_conflict use_column
declare
  v_count integer;
  v_organizations uuid[];
begin
  -- Key: the two RFC numbers, distinct from the migration lock's single bigint key.
  perform pg_advisory_xact_lock(7643, 9967);
  with todo as (
    select e.organization_id, e.seq from events e where e.position is null order by e.seq limit p_limit
  ), numbered as (
    select t.organization_id, t.seq,
      coalesce(s.last_seq, 0) + row_number() over (partition by t.organization_id order by t.seq) as position
    from todo t left join event_sequences s on s.organization_id = t.organization_id
  ), updated as (
    update events e set position = n.position from numbered n
    where e.organization_id = n.organization_id and e.seq = n.seq
    returning e.organization_id, e.seq, e.resource_id
  ), counted as (
    insert into event_sequences as s (organization_id, last_seq)
    select n.organization_id, max(n.position) from numbered n group by n.organization_id
    on conflict (organization_id) do update set last_seq = excluded.last_seq
  ), queued as (
    insert into event_deliveries (receiver_id, organization_id, seq, resource_id)
    select r.id, u.organization_id, u.seq, u.resource_id from updated u join event_receivers r on r.organization_id = u.organization_id
  )
  select count(*)::integer, coalesce(array_agg(distinct u.organization_id), '{}') into v_count, v_organizations from updated u;
  perform pg_notify('scim_events', o::text) from unnest(v_organizations) as o;
  return query select v_count, v_organizations;
end
$$;
