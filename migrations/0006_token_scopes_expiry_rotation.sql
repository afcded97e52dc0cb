-- Least-privilege API tokens: scopes, expiry, and rotation with a grace period.
--
-- scopes holds the token's effective scopes, implied ones included (scim:write brings
-- scim:read, events:manage brings events:read), so that a listing shows exactly what a
-- token can do and authentication compares without expanding anything. The check keeps
-- the names to the known set and the implications closed.
--
-- Tokens that exist before this migration keep full access: every scope.
alter table api_tokens
  add column scopes text[] not null default array['scim:read', 'scim:write', 'events:read', 'events:manage']::text[];
-- New tokens always name their scopes: an insert that forgets them fails instead of
-- silently granting everything.
alter table api_tokens alter column scopes drop default;
alter table api_tokens add constraint api_tokens__scopes__check check (
  cardinality(scopes) > 0
  and scopes <@ array['scim:read', 'scim:write', 'events:read', 'events:manage']::text[]
  and (not scopes @> array['scim:write']::text[] or scopes @> array['scim:read']::text[])
  and (not scopes @> array['events:manage']::text[] or scopes @> array['events:read']::text[])
);

-- The instant from which the token is refused (null: it does not expire). Rotation sets it
-- on the old token to the end of the grace period.
alter table api_tokens add column expires_at timestamptz;

-- The token this one replaced by rotation. Unique: a token is rotated at most once, so two
-- concurrent rotations of the same token cannot both succeed.
alter table api_tokens add column rotated_from uuid;
alter table api_tokens add constraint api_tokens__rotated_from__key unique (rotated_from);
alter table api_tokens add constraint api_tokens__rotated_from__fkey foreign key (rotated_from)
  references api_tokens (id) on delete set null;
