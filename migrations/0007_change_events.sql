-- Change history and change feed: one event per committed change of a user or group, written
-- in the same transaction as the change; push receivers with their delivery queue; signing keys.
--
-- Self-contained: on a fresh database this runs before 0008, on one already migrated to 0008 it
-- runs after it, so nothing here refers to what 0008 creates.

-- 1. Sequence numbers. Each organization has one counter row, incremented by the transaction
-- that records an event and locked by that increment until it commits. So writers of one
-- organization pass the point of recording one at a time, and they commit in the order of the
-- numbers they took: a reader that has seen number n can never later see a number below n
-- appear (a transaction that took a smaller number had committed, and was visible, before the
-- next one could take its own). Readers can therefore page by `seq > cursor` and lose nothing.
-- A rollback undoes its increment with everything else; readers must still not assume the
-- numbers are gap-free (pruning removes old ones). The lock is taken by the last statement of
-- a transaction, so it is held only for that statement and the commit.
create table event_sequences (
  organization_id uuid not null,
  last_seq bigint not null,
  constraint event_sequences__pkey primary key (organization_id),
  constraint event_sequences__organization_id__fkey foreign key (organization_id)
    references organizations (id) on delete cascade
);

create table events (
  organization_id uuid not null,
  seq bigint not null,
  occurred_at timestamptz not null default clock_timestamp(),
  resource_type text not null,
  resource_id uuid not null,
  operation text not null,
  -- The resource's version (ETag) after the change; null after a delete.
  resource_version integer,
  -- Top-level attributes the change set or removed (`members` included when they changed).
  attributes text[] not null default '{}',
  members_added uuid[] not null default '{}',
  members_removed uuid[] not null default '{}',
  -- Who: the API token (kept if the token is deleted later) and its label at the time.
  actor_token_id uuid,
  actor_label text,
  request_id text,
  constraint events__pkey primary key (organization_id, seq),
  constraint events__organization_id__fkey foreign key (organization_id)
    references organizations (id) on delete cascade,
  constraint events__resource_type__check check (resource_type in ('User', 'Group')),
  constraint events__operation__check check (operation in ('create', 'replace', 'patch', 'delete'))
);

-- A resource's history (`resourceId`), and pruning by age.
create index events__organization_id_resource_id_seq__idx on events (organization_id, resource_id, seq);
create index events__occurred_at__idx on events (occurred_at);

-- 2. Push receivers (RFC 8935) and their queue. A receiver gets every event recorded after it
-- was registered: recording an event adds one delivery row per receiver of the organization,
-- in the same transaction, so a delivery cannot be lost between the commit and a worker.
-- A delivered event's row is deleted; one the receiver refused with 400 (RFC 8935 §2.3) is
-- kept as `rejected` with the receiver's error. After the configured number of failed
-- attempts the receiver is marked `failing` and nothing more is sent to it (its queue keeps
-- growing) until an administrator enables it again.
create table event_receivers (
  id uuid not null default gen_random_uuid(),
  organization_id uuid not null,
  url text not null,
  audience text,
  state text not null default 'active',
  created_at timestamptz not null default now(),
  failing_since timestamptz,
  last_error text,
  constraint event_receivers__pkey primary key (id),
  constraint event_receivers__organization_id__fkey foreign key (organization_id)
    references organizations (id) on delete cascade,
  constraint event_receivers__organization_id_url__key unique (organization_id, url),
  constraint event_receivers__state__check check (state in ('active', 'failing'))
);

create table event_deliveries (
  receiver_id uuid not null,
  organization_id uuid not null,
  seq bigint not null,
  resource_id uuid not null,
  state text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  constraint event_deliveries__pkey primary key (receiver_id, seq),
  constraint event_deliveries__receiver_id__fkey foreign key (receiver_id)
    references event_receivers (id) on delete cascade,
  -- Pruning an event drops what was still queued for it.
  constraint event_deliveries__event__fkey foreign key (organization_id, seq)
    references events (organization_id, seq) on delete cascade,
  constraint event_deliveries__state__check check (state in ('pending', 'rejected'))
);

create index event_deliveries__due__idx on event_deliveries (next_attempt_at) where state = 'pending';
-- Ordering per resource: a delivery waits while an earlier one of the same resource is pending.
create index event_deliveries__receiver_id_resource_id_seq__idx on event_deliveries (receiver_id, resource_id, seq)
  where state = 'pending';

-- 3. Signing keys for Security Event Tokens: an asymmetric key pair per organization. The
-- private key never leaves the service (no API returns it); the public keys are published as
-- a JWKS. At most one current key per organization; retired ones stay published for a while.
create table signing_keys (
  kid text not null,
  organization_id uuid not null,
  algorithm text not null,
  public_jwk jsonb not null,
  private_jwk jsonb not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz,
  constraint signing_keys__pkey primary key (kid),
  constraint signing_keys__organization_id__fkey foreign key (organization_id)
    references organizations (id) on delete cascade
);

create unique index signing_keys__organization_id__current__key on signing_keys (organization_id) where retired_at is null;

-- 4. Recording a change: the counter, the event, the deliveries and a wake-up for the
-- instances that stream or deliver (`scim_events`, payload the organization id; sent on
-- commit, so nobody is woken for a change that rolls back). One statement for the caller.
-- A change of more than 1000 member ids is recorded as consecutive events of at most 1000
-- added and 1000 removed ids each (same version, same request), so that no event, and no
-- page of events, grows with the size of a group. Returns the last sequence number.
create function scim_record_event(
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
    insert into event_sequences as s (organization_id, last_seq) values (p_organization_id, 1)
    on conflict (organization_id) do update set last_seq = s.last_seq + 1
    returning s.last_seq into v_seq;
    insert into events (
      organization_id, seq, resource_type, resource_id, operation, resource_version, attributes,
      members_added, members_removed, actor_token_id, actor_label, request_id
    ) values (
      p_organization_id, v_seq, p_resource_type, p_resource_id, p_operation, p_version, coalesce(p_attributes, '{}'),
      coalesce(p_added[i * v_chunk + 1 : (i + 1) * v_chunk], '{}'), coalesce(p_removed[i * v_chunk + 1 : (i + 1) * v_chunk], '{}'),
      p_actor_token_id, p_actor_label, p_request_id
    );
    insert into event_deliveries (receiver_id, organization_id, seq, resource_id)
    select r.id, p_organization_id, v_seq, p_resource_id from event_receivers r where r.organization_id = p_organization_id;
  end loop;
  perform pg_notify('scim_events', p_organization_id::text);
  return v_seq;
end
$$;

-- 5. The one-statement membership PATCH (same contract as 0008's scim_change_group_members,
-- which it replaces for callers), recording the change as one event with the ids actually
-- added and removed (in parts of 1000, see above), collected set-wise from the INSERT and
-- DELETE themselves. See 0008 for
-- why this is a function and not a statement with CTEs.
create function scim_change_group_members_recorded(
  p_organization_id uuid, p_group_id uuid, p_add uuid[], p_remove uuid[], p_if_match integer,
  p_actor_token_id uuid, p_actor_label text, p_request_id text
) returns table (group_exists boolean, version_mismatch boolean, refused_ids uuid[], added_count integer, removed_count integer, group_version integer)
language plpgsql
as $$
declare
  v_version integer;
  v_refused uuid[];
  v_added uuid[] := '{}';
  v_removed uuid[] := '{}';
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
