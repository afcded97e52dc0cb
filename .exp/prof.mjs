import fs from 'node:fs'
const p = JSON.parse(fs.readFileSync(process.argv[2]))
const byId = new Map(p.nodes.map(n => [n.id, n]))
const parent = new Map()
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const self = new Map()
const dt = p.timeDeltas; let total = 0
const counts = new Map()
for (let i = 0; i < p.samples.length; i++) { counts.set(p.samples[i], (counts.get(p.samples[i]) ?? 0) + (dt[i] ?? 0)) }
const bySelf = new Map(), byFile = new Map(), incl = new Map()
for (const [id, t] of counts) {
  const n = byId.get(id); total += t
  const cf = n.callFrame
  const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*node_modules\//, 'nm/').replace(/.*\/work\/main\//, '')}:${cf.lineNumber}`
  bySelf.set(key, (bySelf.get(key) ?? 0) + t)
  const f = cf.url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1').replace(/.*\/work\/main\//, '') || cf.functionName
  byFile.set(f, (byFile.get(f) ?? 0) + t)
  // inclusive
  const seen = new Set(); let cur = id
  while (cur !== undefined) { const c = byId.get(cur).callFrame; const k = `${c.functionName || '(anon)'} ${c.url.replace(/.*node_modules\//, 'nm/').replace(/.*\/work\/main\//, '')}:${c.lineNumber}`; if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + t) } cur = parent.get(cur) }
}
const show = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).forEach(([k, v]) => console.log((100 * v / total).toFixed(1).padStart(5), k))
console.log('total ms', (total / 1000).toFixed(0)); console.log('--- by file'); show(byFile, 25); console.log('--- self'); show(bySelf, 30)
if (process.argv[3]) { console.log('--- inclusive'); show(incl, Number(process.argv[3])) }
