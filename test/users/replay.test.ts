import t from 'tap'
import { build } from '../helpers/app.js'
import { loadReplay, runReplay } from '../helpers/replay.js'

// Each conversation on its own organization, so each starts from an empty tenant.
for (const file of ['entra-users.json', 'okta-users.json']) {
  t.test(`replay ${file}`, async t => {
    const { app, tokenFor } = await build(t)
    const fixture = await loadReplay(new URL(`../fixtures/replays/${file}`, import.meta.url))
    t.ok(fixture.steps.length > 5, 'a real conversation')
    await runReplay(t, app, fixture, { headers: await tokenFor(`replay-${file}`) })
  })
}
