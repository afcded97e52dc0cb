-- Trigram indexes for the substring filters an admin console searches with (`co`, and the
-- `sw`/`ew` it offers next to it) on userName, displayName, emails.value and group
-- displayName. filter-sql.ts compiles these caseExact=false comparisons as
-- lower(column) LIKE lower($pattern), which a GIN gin_trgm_ops index on lower(column)
-- answers directly (the btree indexes of 0002/0004 only serve `eq` and prefixes).
--
-- pg_trgm is a trusted extension (Postgres 13+): a database owner may create it without
-- superuser rights. Embedded Postgres loads it as a PGlite extension (src/db/database.ts).
create extension if not exists pg_trgm;

create index users__lower_user_name_trgm__idx on users using gin (lower(user_name) gin_trgm_ops);
create index users__lower_display_name_trgm__idx on users using gin (lower(display_name) gin_trgm_ops);
create index groups__lower_display_name_trgm__idx on groups using gin (lower(display_name) gin_trgm_ops);

-- The lowercased `value`s of a multi-valued attribute as one text, one value per line (the
-- values scim_lower_values of 0003 gives; its body is repeated rather than called because
-- Postgres 17, which embedded Postgres runs, evaluates index expressions during ANALYZE and
-- REINDEX with only pg_catalog on the search_path). If some element's value contains x, so
-- does this text: `emails.value co/sw/ew "x"` ANDs `scim_lower_values_text(…) LIKE '%x%'` in
-- front of the exact per-element check, and the trigram index answers that part.
create function scim_lower_values_text(elements jsonb) returns text
language sql immutable parallel safe
as $$
  select coalesce(string_agg(lower(e.elem ->> 'value'), E'\n'), '')
  from jsonb_array_elements(
    case jsonb_typeof(elements) when 'array' then elements when 'object' then jsonb_build_array(elements) else '[]'::jsonb end
  ) as e(elem)
  where jsonb_typeof(e.elem -> 'value') = 'string'
$$;

create index users__emails_values_trgm__idx on users using gin (scim_lower_values_text(attributes -> 'emails') gin_trgm_ops);
