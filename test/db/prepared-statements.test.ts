/**
 * Named statements: which statements become prepared, and that a connection's prepared
 * statements stay bounded whatever shapes clients send (db/prepared-statements.ts).
 */
import pg from 'pg'
import t from 'tap'
import { createPostgresDatabase } from '../../src/db/database.js'
import { PreparedStatements } from '../../src/db/prepared-statements.js'
import { createTestDatabaseUrl, usingEmbedded } from '../helpers/database.js'
import { sql } from 'kysely'

t.test('a statement is named from its second sighting on, under one name on every connection', async t => {
  const statements = new PreparedStatements(10)
  const first = new Set<string>()
  const second = new Set<string>()
  const text = 'select id from users where organization_id = $1 and id = $2'
  t.equal(statements.nameFor(text, first), undefined, 'a one-off shape stays unnamed')
  const name = statements.nameFor(text, first)
  t.type(name, 'string', 'named once seen again')
  t.equal(statements.nameFor(text, first), name, 'the same name on the same connection')
  t.equal(statements.nameFor(text, second), name, 'and on another connection')
  t.same([...first], [name])
  const cte = '  WITH x as (select 1) select * from x'
  t.equal(statements.nameFor(cte, first), undefined)
  t.type(statements.nameFor(cte, first), 'string', 'WITH, any case and leading blanks')
})

t.test('transaction control and settings are never named', async t => {
  const statements = new PreparedStatements(10)
  const connection = new Set<string>()
  for (const text of ['begin', 'commit', 'rollback', 'set transaction isolation level repeatable read', 'listen x', 'selection']) {
    statements.nameFor(text, connection)
    t.equal(statements.nameFor(text, connection), undefined, text)
  }
  t.equal(connection.size, 0)
})

t.test('a connection prepares at most its share; later shapes run unnamed', async t => {
  const statements = new PreparedStatements(3)
  const connection = new Set<string>()
  const names: Array<string | undefined> = []
  for (let i = 0; i < 10; i++) {
    const text = `select ${i} as n`
    statements.nameFor(text, connection)
    names.push(statements.nameFor(text, connection))
  }
  t.equal(names.filter(name => name !== undefined).length, 3)
  t.equal(connection.size, 3)
  t.equal(statements.nameFor('select 0 as n', connection), names[0], 'the prepared ones stay in use')
  const other = new Set<string>()
  t.equal(statements.nameFor('select 9 as n', other), undefined, 'a shape first seen past the share is tracked anew')
})

t.test('on Postgres: the pool prepares hot statements and keeps at most its share per connection', { skip: usingEmbedded() && 'embedded Postgres runs statements in-process, without a connection to prepare on' }, async t => {
  const url = await createTestDatabaseUrl(t)
  const handle = createPostgresDatabase(url, { poolSize: 1, preparedStatements: 5 })
  t.teardown(() => handle.close())
  const db = handle.db
  const prepared = async (): Promise<string[]> =>
    (await sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(db)).rows.map(row => row.statement)

  for (let i = 0; i < 3; i++) await db.selectFrom('users').select('id').where('user_name', '=', `u${i}`).execute()
  t.match(await prepared(), [/from "users" where "user_name" = \$1/], 'the repeated select is prepared once; its parameters vary')
  // 50 distinct shapes, each twice: a client varying its filters cannot grow the cache.
  for (let i = 0; i < 50; i++) {
    for (let k = 0; k < 2; k++) await db.selectFrom('users').select(sql<number>`${sql.lit(i)}`.as('n')).execute()
  }
  t.ok((await prepared()).length <= 5, 'never more than the share on the connection')
  const rows = await db.selectFrom('users').select('id').where('user_name', '=', 'nobody').execute()
  t.same(rows, [], 'prepared statements still answer')
  const direct = new pg.Client({ connectionString: url })
  await direct.connect()
  t.teardown(() => direct.end())
  t.same((await direct.query('select count(*)::int as n from pg_prepared_statements')).rows, [{ n: 0 }], 'prepared statements belong to their connection')
})
