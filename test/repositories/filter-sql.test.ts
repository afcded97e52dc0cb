/**
 * What the filter compiler emits: parameters for every value, the index-friendly forms the
 * EXPLAIN test relies on, LIKE escaping, the 400s for values SQL cannot see, and sortBy keys.
 */
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import {
  compileGroupFilter, compileUserFilter, groupSortExpression, userSortExpression
} from '../../src/repositories/filter-sql.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { resolveFilter } from '../../src/scim/filter/resolve.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { createTestDatabase } from '../helpers/database.js'
import { expectScimError } from '../scim/expect-scim-error.js'

const userQuery = (db: Db, text: string) => db.selectFrom('users').select('user_name')
  .where(eb => compileUserFilter(eb, resolveFilter(USER_RESOURCE, parseFilter(text))))
const groupQuery = (db: Db, text: string) => db.selectFrom('groups').select('id')
  .where(eb => compileGroupFilter(eb, resolveFilter(GROUP_RESOURCE, parseFilter(text))))

t.test('compiled SQL', async t => {
  const { db } = await createTestDatabase(t)

  t.test('userName eq is the expression of the unique index, the value a parameter', async t => {
    const compiled = userQuery(db, 'userName eq "Bjensen"').compile()
    t.equal(compiled.sql, 'select "user_name" from "users" where (lower("users"."user_name") = lower($1::text))')
    t.same(compiled.parameters, ['Bjensen'])
  })

  t.test('externalId eq is a plain, case-exact comparison of its column', async t => {
    const compiled = userQuery(db, 'externalId eq "A-1"').compile()
    t.equal(compiled.sql, 'select "user_name" from "users" where ("users"."external_id" = $1::text)')
  })

  t.test('emails.value eq and the Entra form put the GIN prefilter in front of the exact check', async t => {
    for (const text of ['emails.value eq "a@b.c"', 'emails[type eq "work"].value eq "a@b.c"', 'emails eq "a@b.c"']) {
      const compiled = userQuery(db, text).compile()
      t.match(compiled.sql, /^select "user_name" from "users" where \(\(scim_lower_values\(users\.attributes -> 'emails'\) @> array\[lower\(\$1::text\)\]\) and exists \(select 1 from jsonb_array_elements\(/, text)
      t.equal(compiled.parameters[0], 'a@b.c')
    }
    t.notMatch(userQuery(db, 'emails[type eq "work" or value eq "a@b.c"]').compile().sql, /scim_lower_values/, 'no prefilter under or')
  })

  t.test('no value is ever inlined, JSON keys included', async t => {
    const hostile = "x'); drop table users; --"
    const texts = [
      `userName co "${hostile}"`, `nickName eq "${hostile}"`, `emails[type eq "${hostile}"]`, `groups.display sw "${hostile}"`,
      `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value ne "${hostile}"`, `id gt "${hostile}"`, `meta.version eq "${hostile}"`
    ]
    for (const text of texts) {
      const compiled = userQuery(db, text).compile()
      t.notMatch(compiled.sql, /drop table|'nickName'|'manager'|'type'|'display'/, text)
      t.ok(compiled.parameters.some(p => typeof p === 'string' && p.includes(hostile)), `${text}: value is a parameter`)
      t.same(await userQuery(db, text).execute(), [], `${text}: runs`)
    }
  })

  t.test('an id that is not a uuid matches nothing instead of failing the cast', async t => {
    t.match(userQuery(db, 'id eq "nope"').compile().sql, /where false$/)
    t.same(await groupQuery(db, 'members.value eq "nope" or id eq "5C1A0010-0000-0000-0000-000000000000"').execute(), [])
  })

  t.test('values that need the base URL are a 400 without it, their presence is true', async t => {
    for (const [text, query] of [['meta.location eq "x"', userQuery], ['groups.$ref co "x"', userQuery], ['members.$ref eq "x"', groupQuery]] as const) {
      expectScimError(t, () => query(db, text).compile(), 'invalidFilter', /not supported/, text)
    }
    t.match(userQuery(db, 'meta.location pr and groups.$ref pr').compile().sql, /where \(true and exists/)
    const withBase = db.selectFrom('users').select('id').where(eb => compileUserFilter(eb, resolveFilter(USER_RESOURCE, parseFilter('meta.location eq "x"')), { baseUrl: 'https://h/scim/v2' })).compile()
    t.equal(withBase.sql, 'select "id" from "users" where (($1::text || "users"."id"::text) = $2::text)')
    t.same(withBase.parameters, ['https://h/scim/v2/Users/', 'x'])
  })
})

t.test('LIKE wildcards in a value are literal characters', async t => {
  const { db } = await createTestDatabase(t)
  const org = (await db.insertInto('organizations').values({ name: 'like' }).returning('id').executeTakeFirstOrThrow()).id
  const names = ['x50%_\\y', '50%_\\', '50ab\\', '5000_\\', '50%x\\', '50%_y', '50%_\\\\']
  await db.insertInto('users').values(names.map(n => ({ organization_id: org, user_name: n, attributes: '{}' }))).execute()
  const found = async (text: string) => (await userQuery(db, text).execute()).map(r => r.user_name).sort()
  t.same(await found('userName co "50%_\\\\"'), ['50%_\\', '50%_\\\\', 'x50%_\\y'].sort())
  t.same(await found('userName sw "50%_\\\\"'), ['50%_\\', '50%_\\\\'].sort())
  t.same(await found('userName ew "%_\\\\"'), ['50%_\\'])
  t.same(userQuery(db, 'userName co "50%_\\\\"').compile().parameters, ['%50\\%\\_\\\\%'])
})

t.test('sortBy keys', async t => {
  const { db } = await createTestDatabase(t)
  const sortSql = (expression: ReturnType<typeof userSortExpression>) =>
    db.selectFrom('users').select('id').orderBy(expression).compile().sql.replace('select "id" from "users" order by ', '')
  t.equal(sortSql(userSortExpression('userName')), 'lower("users"."user_name")', 'the unique index orders userName')
  t.equal(sortSql(userSortExpression('externalId')), '"users"."external_id"')
  t.equal(sortSql(userSortExpression('meta.lastModified')), '"users"."last_modified"')
  t.equal(sortSql(userSortExpression('meta.version')), '"users"."version"', 'ETags sort by number')
  t.equal(sortSql(userSortExpression('meta.location')), '"users"."id"', 'a constant prefix and the id')
  t.equal(sortSql(userSortExpression('name.familyName')), `lower(((("users"."attributes" -> $1::text) -> $2::text) #>> '{}'))`)
  t.equal(sortSql(groupSortExpression('displayName')), 'lower("groups"."display_name")')
  for (const path of ['emails', 'emails.value', 'groups.display', 'password', 'nope']) {
    expectScimError(t, () => userSortExpression(path), 'invalidValue', /cannot be sorted/, path)
  }

  const org = (await db.insertInto('organizations').values({ name: 'sort' }).returning('id').executeTakeFirstOrThrow()).id
  const users = [['b', 'Zeta'], ['C', 'alpha'], ['a', undefined], ['D', 'Beta']] as const
  await db.insertInto('users').values(users.map(([userName, familyName]) => ({
    organization_id: org, user_name: userName, attributes: JSON.stringify(familyName === undefined ? {} : { name: { familyName } })
  }))).execute()
  const order = async (path: string) => (await db.selectFrom('users').select('user_name')
    .orderBy(userSortExpression(path)).orderBy('id').execute()).map(r => r.user_name)
  t.same(await order('userName'), ['a', 'b', 'C', 'D'], 'case-insensitive')
  t.same(await order('name.familyName'), ['C', 'D', 'b', 'a'], 'absent last (Postgres: nulls last ascending)')
})
