/**
 * Recorded group conversations of Entra ID and Okta (test/fixtures/replays/*-groups.json),
 * replayed step by step against a fresh tenant each.
 */
import t from 'tap'
import { build } from '../helpers/app.js'
import { loadReplay, runReplay } from '../helpers/replay.js'

for (const file of ['entra-groups.json', 'okta-groups.json']) {
  t.test(`replay ${file}`, async t => {
    const { app, tokenFor } = await build(t)
    const fixture = await loadReplay(new URL(`../fixtures/replays/${file}`, import.meta.url))
    t.ok(fixture.steps.length > 10, 'a real conversation')
    await runReplay(t, app, fixture, { headers: await tokenFor(`replay-${file}`) })
  })
}
