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
