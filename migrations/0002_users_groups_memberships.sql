-- Users, groups and the membership relation, all scoped by organization.

create table users (
  id uuid not null default gen_random_uuid(),
  organization_id uuid not null,
  user_name text not null,
  external_id text,
  display_name text,
  user_type text not null default 'customer',
  active boolean not null default true,
  -- The canonical SCIM resource (core and extension attributes) minus what has its own
  -- column or is computed: id, meta, groups, password.
  attributes jsonb not null default '{}'::jsonb,
  password_hash text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  last_modified timestamptz not null default now(),
  constraint users__pkey primary key (id),
  constraint users__organization_id__fkey foreign key (organization_id)
    references organizations (id) on delete cascade,
  -- Target of the membership foreign key below, which pins the member's user_type.
  constraint users__organization_id_id_user_type__key unique (organization_id, id, user_type)
);

-- userName is unique per organization, case-insensitively (RFC 7643 §4.1: caseExact false,
-- uniqueness server). The database decides, so concurrent creates cannot both succeed.
create unique index users__organization_id_user_name__key on users (organization_id, lower(user_name));
create index users__organization_id_external_id__idx on users (organization_id, external_id);
create index users__organization_id_created_at_id__idx on users (organization_id, created_at, id);

create table groups (
  id uuid not null default gen_random_uuid(),
  organization_id uuid not null,
  display_name text not null,
  external_id text,
  attributes jsonb not null default '{}'::jsonb,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  last_modified timestamptz not null default now(),
  constraint groups__pkey primary key (id),
  constraint groups__organization_id__fkey foreign key (organization_id)
    references organizations (id) on delete cascade,
  constraint groups__organization_id_id__key unique (organization_id, id)
);

create unique index groups__organization_id_display_name__key on groups (organization_id, lower(display_name));
create index groups__organization_id_external_id__idx on groups (organization_id, external_id);
create index groups__organization_id_created_at_id__idx on groups (organization_id, created_at, id);

-- Only customer users can be group members, and the database itself enforces it.
--
-- A membership row carries the member's user_type, fixed to 'customer' by a check
-- constraint, and references (organization_id, id, user_type) of users. So:
--   * a member must be a user of the same organization (the composite key includes
--     organization_id; a group id or unknown id has no matching row);
--   * a member must be a customer at the moment the row is written;
--   * a user who is a member cannot have user_type changed away from customer: that update
--     would orphan the reference and fails with a foreign-key violation (NO ACTION).
-- Foreign-key checks take a KEY SHARE lock on the referenced user row while an UPDATE of
-- user_type (a column of a unique key) needs FOR UPDATE, so "add member" and "change
-- userType" racing in two transactions are serialized by Postgres: one of them fails, and no
-- interleaving can leave a non-customer member. A trigger could do the same but would need
-- its own locking to be race-free; the constraint gets it from the engine.
create table group_members (
  organization_id uuid not null,
  group_id uuid not null,
  user_id uuid not null,
  user_type text not null default 'customer',
  created_at timestamptz not null default now(),
  constraint group_members__pkey primary key (group_id, user_id),
  constraint group_members__user_type__check check (user_type = 'customer'),
  constraint group_members__group_id__fkey foreign key (organization_id, group_id)
    references groups (organization_id, id) on delete cascade,
  constraint group_members__user_id__fkey foreign key (organization_id, user_id, user_type)
    references users (organization_id, id, user_type) on delete cascade
);

-- A user's groups (the `groups` attribute) and the cascade on user delete.
create index group_members__user_id__idx on group_members (user_id, group_id);
