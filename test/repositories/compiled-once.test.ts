/**
 * compiledOnce (src/repositories/compiled-once.ts): a query built once runs with each call's
 * values, in the right order, on a real database; constants of the builder stay; misuse that
 * would change the SQL text with the values fails at the first call.
 */
import t from 'tap'
import { sql } from 'kysely'
import { compiledOnce } from '../../src/repositories/compiled-once.js'
import { createTestDatabase } from '../helpers/database.js'

t.test('compiledOnce', async t => {
  const { db } = await createTestDatabase(t)

  t.test('each call binds its own values, in the order the SQL needs them', async t => {
    let builds = 0
    const query = compiledOnce<{ a: number, b: string, list: number[] }, { a: number, b: string, n: number, constant: string }>((_db, param) => {
      builds++
      // b before a in the text, a constant between them, an array parameter last.
      return sql`select ${param('b')}::text as b, ${'fixed'}::text as constant, ${param('a')}::int as a,
        cardinality(${param('list')}::int[]) as n`
    })
    const first = await query(db, { a: 1, b: 'one', list: [1, 2, 3] })
    const second = await query(db, { a: 2, b: 'two', list: [] })
    t.same(first.rows, [{ b: 'one', constant: 'fixed', a: 1, n: 3 }])
    t.same(second.rows, [{ b: 'two', constant: 'fixed', a: 2, n: 0 }])
    t.equal(builds, 1, 'built and compiled once')
  })

  t.test('a query builder, compiled once, gives what the same query built per call gives', async t => {
    await db.insertInto('organizations').values({ name: 'compiled-once' }).execute()
    const built = (name: string) => db.selectFrom('organizations').select(['id', 'name']).where('name', '=', name)
    const once = compiledOnce<{ name: string }, { id: string, name: string }>((d, param) => d.selectFrom('organizations').select(['id', 'name']).where('name', '=', param('name')))
    for (const name of ['compiled-once', 'nobody']) {
      t.same((await once(db, { name })).rows, await built(name).execute(), name)
    }
    t.equal((await once(db, { name: 'x' }).then(() => once(db, { name: 'compiled-once' }))).rows.length, 1)
  })

  t.test('runs in a transaction it is given', async t => {
    const count = compiledOnce<{ name: string }, { count: number }>((d, param) => d.selectFrom('organizations')
      .select(sql<number>`count(*)::int`.as('count')).where('name', '=', param('name')))
    const rollback = new Error('roll back')
    await t.rejects(db.transaction().execute(async trx => {
      await trx.insertInto('organizations').values({ name: 'inside' }).execute()
      t.same((await count(trx, { name: 'inside' })).rows, [{ count: 1 }], 'sees the transaction\'s own row')
      throw rollback
    }), rollback)
    t.same((await count(db, { name: 'inside' })).rows, [{ count: 0 }], 'the row went with the rollback')
  })

  t.test('a value that did not become a bind parameter fails the first call', async t => {
    const wrapped = compiledOnce<{ ids: string[] }, unknown>((_db, param) => sql`select ${[param('ids')]}::text[]`)
    await t.rejects(wrapped(db, { ids: ['a'] }), /ids did not become bind parameters/)
  })

  t.test('a missing value fails the call instead of sending undefined', async t => {
    const query = compiledOnce<{ a: number }, unknown>((_db, param) => sql`select ${param('a')}::int`)
    await t.rejects(query(db, {} as unknown as { a: number }), /no value for a/)
  })
})
