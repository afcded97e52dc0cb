-- Functions and indexes for SCIM filters compiled to SQL (src/repositories/filter-sql.ts).

-- Lowercased `value` of each element of a multi-valued attribute (a lone object counts as one
-- element, as evaluate.ts `listElements` has it; non-string values are skipped). A GIN index on
-- it answers `emails.value eq "x"` and Entra's `emails[type eq "work"].value eq "x"`; the
-- compiler ANDs the exact check after it.
create function scim_lower_values(elements jsonb) returns text[]
language sql immutable parallel safe
as $$
  select coalesce(array_agg(lower(e.elem ->> 'value')), '{}'::text[])
  from jsonb_array_elements(
    case jsonb_typeof(elements) when 'array' then elements when 'object' then jsonb_build_array(elements) else '[]'::jsonb end
  ) as e(elem)
  where jsonb_typeof(e.elem -> 'value') = 'string'
$$;

create index users__attributes_emails__idx on users using gin (scim_lower_values(attributes -> 'emails'));

-- A dateTime stored in jsonb as the filter evaluator reads it (src/scim/filter/date-time.ts):
-- xsd:dateTime with optional time, fraction truncated to milliseconds, no zone meaning UTC,
-- offsets up to 18 hours; NULL (never an error) for anything else, so stored junk matches
-- nothing instead of failing the query.
create function scim_datetime(text) returns timestamptz
language plpgsql immutable strict parallel safe
as $$
declare
  m text[];
  offset_minutes integer := 0;
  result timestamptz;
begin
  m := regexp_match($1, '^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?)?(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?$');
  if m is null then
    return null;
  end if;
  if m[2]::int not between 1 and 12 or m[3]::int < 1 or coalesce(m[4], '0')::int > 23
    or coalesce(m[5], '0')::int > 59 or coalesce(m[6], '0')::int > 59 then
    return null;
  end if;
  if m[9] is not null then
    offset_minutes := (m[10]::int * 60 + m[11]::int) * (case m[9] when '-' then -1 else 1 end);
    if abs(offset_minutes) > 18 * 60 then
      return null;
    end if;
  end if;
  begin
    -- JavaScript's year 0 is 1 BC, which Postgres calls year -1.
    result := make_timestamptz(
      case m[1]::int when 0 then -1 else m[1]::int end, m[2]::int, m[3]::int,
      coalesce(m[4], '0')::int, coalesce(m[5], '0')::int,
      coalesce(m[6], '0')::int + left(coalesce(m[7], '') || '000', 3)::int / 1000.0, 'UTC');
  exception when others then
    -- 31 February and the like: not a calendar date.
    return null;
  end;
  return result - make_interval(mins => offset_minutes);
end
$$;
