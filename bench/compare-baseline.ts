/**
 * The bare baseline of `npm run bench:compare`: what this machine can do for each scenario
 * with Fastify 5 and `pg` alone. One statement per request, no authentication (the
 * organization comes in a header), no logging, no validation, the service's own tables and
 * data. Started as a process of its own by bench/compare.ts, next to the service.
 *
 * Each statement returns what the service's answer needs (a user with its groups, a page
 * with its total, a membership change that bumps the group's version under the group row's
 * lock), so the ratio measures the service's overhead, not a different amount of work.
 *
 * Env: DATABASE_URL, PORT, DATABASE_POOL_SIZE (10, as the service's default).
 */
import Fastify from 'fastify'
import pg from 'pg'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) })
pool.on('error', () => {})

const USER = `u.id, u.user_name, u.external_id, u.display_name, u.user_type, u.active, u.attributes, u.version, u.created_at, u.last_modified`
const GROUPS_OF_USER = `coalesce((select jsonb_agg(jsonb_build_object('value', g.id, 'display', g.display_name) order by g.display_name, g.id)
  from group_members gm join groups g on g.id = gm.group_id and g.organization_id = gm.organization_id
  where gm.user_id = u.id and gm.organization_id = u.organization_id), '[]'::jsonb) as groups`

const app = Fastify({ logger: false })

type Req = { headers: Record<string, string | string[] | undefined> }
const org = (request: Req): string => String(request.headers['x-organization'])
const rows = async (text: string, values: unknown[]): Promise<unknown[]> => (await pool.query(text, values)).rows

app.get('/health', async () => ({ status: 'ok' }))

app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
  const [row] = await rows(`select ${USER}, ${GROUPS_OF_USER} from users u where u.organization_id = $1 and u.id = $2`, [org(request), request.params.id])
  return row ?? reply.code(404).send()
})

app.get<{ Querystring: { userName?: string, email?: string, externalId?: string } }>('/users', async request => {
  const { userName, email, externalId } = request.query
  // The same indexes the service's filters use: lower(user_name), the emails GIN, external_id.
  // Entra's filter is emails[type eq "work"].value eq: the GIN finds users with that address,
  // the element test keeps those where it is the work address, so both sides answer the same.
  const [where, value] = userName !== undefined
    ? ['lower(u.user_name) = lower($2)', userName]
    : email !== undefined
      ? ['scim_lower_values(u.attributes -> \'emails\') @> array[lower($2)] and exists (select 1 from jsonb_array_elements(u.attributes -> \'emails\') e where lower(e ->> \'type\') = \'work\' and lower(e ->> \'value\') = lower($2))', email]
      : ['u.external_id = $2', externalId]
  return { Resources: await rows(`select ${USER}, ${GROUPS_OF_USER} from users u where u.organization_id = $1 and ${where}`, [org(request), value]) }
})

/** A page of 100 after a (created_at, id) key, with the organization's total, in one statement. */
app.get<{ Querystring: { createdAt: string, id: string } }>('/users-page', async request => {
  const page = await rows(`select ${USER}, ${GROUPS_OF_USER}, (select count(*) from users c where c.organization_id = $1)::int as total
    from users u where u.organization_id = $1 and (u.created_at, u.id) > ($2::timestamptz, $3::uuid)
    order by u.created_at, u.id limit 100`, [org(request), request.query.createdAt, request.query.id])
  return { Resources: page }
})

app.post<{ Body: Record<string, unknown> }>('/users', async (request, reply) => {
  const body = request.body
  const [row] = await rows(`insert into users (organization_id, user_name, external_id, display_name, user_type, active, attributes)
    values ($1, $2, $3, $4, 'customer', true, $5) returning id, version, created_at, last_modified`,
  [org(request), body.userName, body.externalId ?? null, body.displayName ?? null, JSON.stringify(body)])
  return reply.code(201).send({ ...body, ...(row as object) })
})

/** Entra's `replace active`: the first operation's value, "True"/"False" or a boolean. */
app.patch<{ Params: { id: string }, Body: { Operations: Array<{ value: unknown }> } }>('/users/:id', async (request, reply) => {
  const active = String(request.body.Operations[0]?.value).toLowerCase() === 'true'
  const [row] = await rows(`update users u set active = $3, attributes = jsonb_set(u.attributes, '{active}', to_jsonb($3::boolean)),
    version = u.version + 1, last_modified = clock_timestamp()
    where u.organization_id = $1 and u.id = $2 returning ${USER}`, [org(request), request.params.id, active])
  return row ?? reply.code(404).send()
})

/**
 * A membership change in one statement: the version bump takes the group row's lock (so
 * changes to one group serialize, as they must for ETags) and the insert or delete follows.
 */
app.patch<{ Params: { id: string, op: string }, Body: { value: string } }>('/groups/:id/:op', async (request, reply) => {
  const change = request.params.op === 'add'
    ? 'insert into group_members (organization_id, group_id, user_id) select g.organization_id, g.id, $3 from g on conflict do nothing'
    : 'delete from group_members m using g where m.group_id = g.id and m.user_id = $3'
  await pool.query(`with g as (update groups set version = version + 1, last_modified = clock_timestamp()
    where organization_id = $1 and id = $2 returning organization_id, id) ${change}`, [org(request), request.params.id, request.body.value])
  return reply.code(204).send()
})

/** A page of 100 groups without members, with the organization's total, in one statement. */
app.get('/groups', async request => ({
  Resources: await rows(`select g.id, g.display_name, g.external_id, g.attributes, g.version, g.created_at, g.last_modified,
    (select count(*) from groups c where c.organization_id = $1)::int as total
    from groups g where g.organization_id = $1 order by g.created_at, g.id limit 100`, [org(request)])
}))

const close = (): void => { app.close().then(() => pool.end()).then(() => process.exit(0), () => process.exit(1)) }
process.on('SIGTERM', close)
process.on('SIGINT', close)
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
