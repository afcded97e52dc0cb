-- Wake-ups leave the writers' transactions. 0007's scim_record_event notified `scim_events`
-- in the transaction that recorded the event. Postgres commits every transaction that has
-- notified one at a time, whatever database, table or organization it wrote (it holds a lock
-- on its notification queue through the commit), so every write of every organization
-- queued behind every other's commit. Measured with pgbench, 32 clients, one insert per
-- transaction on this machine: 8 026 commits/s without a notification, 1 147 with one.
--
-- The event, its deliveries and the counter stay in the writer's transaction, unchanged. The
-- wake-up is sent by the instance after the request that wrote has finished
-- (src/services/event-announcer.ts), coalesced per organization; it was only ever a signal
-- (readers read the table; polling every EVENTS_POLL_INTERVAL_MS covers a lost one), so
-- nothing can be missed by sending it after the commit instead of with it.

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
  return v_seq;
end
$$;
