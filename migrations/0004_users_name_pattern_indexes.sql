-- Indexes for user filters beyond the exact userName/externalId/emails lookups
-- (bench/results/users.md showed them as sequential scans over all users of an organization).
--
-- filter-sql.ts compiles the caseExact=false attributes as lower(column) compared with
-- lower($value): `eq` as =, `sw` as LIKE 'prefix%'. text_pattern_ops makes one btree serve
-- both, whatever the database collation (a default-opclass index answers LIKE prefixes only
-- under the C collation).
--   displayName eq / sw: nothing indexed it before.
--   userName sw: the unique index (organization_id, lower(user_name)) answers eq, not prefixes.
create index users__organization_id_lower_display_name__idx
  on users (organization_id, lower(display_name) text_pattern_ops);
create index users__organization_id_lower_user_name_pattern__idx
  on users (organization_id, lower(user_name) text_pattern_ops);
