-- Organizations (tenants) and the API tokens that authenticate them.
-- Constraint names follow table__columns__kind so that errors map to API errors by name.

create table organizations (
  id uuid not null default gen_random_uuid(),
  name text not null,
  created_at timestamptz not null default now(),
  constraint organizations__pkey primary key (id),
  constraint organizations__name__key unique (name)
);

-- Only a SHA-256 hash of each token is stored: a database dump does not reveal usable
-- credentials. Tokens are 256-bit random values, so a fast hash is sufficient (no salt or
-- slow KDF needed, unlike passwords).
create table api_tokens (
  id uuid not null default gen_random_uuid(),
  organization_id uuid not null,
  token_hash text not null,
  label text,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  constraint api_tokens__pkey primary key (id),
  constraint api_tokens__token_hash__key unique (token_hash),
  constraint api_tokens__organization_id__fkey foreign key (organization_id)
    references organizations (id) on delete cascade
);

create index api_tokens__organization_id__idx on api_tokens (organization_id);
