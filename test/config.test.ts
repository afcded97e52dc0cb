import path from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults', async t => {
  const config = loadConfig({})
  t.match(config, { port: 8080, host: '0.0.0.0', logLevel: 'info', databaseUrl: undefined, migrateOnStart: true, bearerToken: undefined })
  t.equal(config.dataDir, path.resolve('./data'))
  t.ok(Object.isFrozen(config))
})

t.test('values from the environment', async t => {
  const config = loadConfig({
    PORT: '9000', HOST: '127.0.0.1', LOG_LEVEL: 'WARN', DATABASE_URL: 'postgres://u@h/db', DATA_DIR: '/tmp/x',
    MIGRATE_ON_START: 'false', SCIM_BEARER_TOKEN: 'abcdefghijklmnopqrstuvwxyz0123456789', PUBLIC_BASE_URL: 'https://id.example.com/'
  })
  t.match(config, {
    port: 9000, host: '127.0.0.1', logLevel: 'warn', databaseUrl: 'postgres://u@h/db', dataDir: '/tmp/x',
    migrateOnStart: false, bearerToken: 'abcdefghijklmnopqrstuvwxyz0123456789', publicBaseUrl: 'https://id.example.com'
  })
})

t.test('invalid values are refused with the variable named', async t => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), new ConfigError('PORT must be an integer, got "eighty"'))
  t.throws(() => loadConfig({ PORT: '70000' }), /PORT must be between/)
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/)
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/)
  t.throws(() => loadConfig({ MIGRATE_ON_START: 'maybe' }), /MIGRATE_ON_START/)
  t.throws(() => loadConfig({ PUBLIC_BASE_URL: 'ftp://x' }), /PUBLIC_BASE_URL/)
})

t.test('a SCIM_BEARER_TOKEN shorter than 32 characters is refused', async t => {
  t.throws(() => loadConfig({ SCIM_BEARER_TOKEN: 'a' }), new ConfigError('SCIM_BEARER_TOKEN must be at least 32 characters long, got 1'))
  t.throws(() => loadConfig({ SCIM_BEARER_TOKEN: 'x'.repeat(31) }), /at least 32/)
  t.equal(loadConfig({ SCIM_BEARER_TOKEN: 'x'.repeat(32) }).bearerToken, 'x'.repeat(32))
})
