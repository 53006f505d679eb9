// Rewrites docs/benchmarks.md from a full run's raw results with some
// scenarios taken from a later run instead: for when one scenario of a full
// run is known bad (the machine's clock was stepped mid-run, say) and is run
// again alone, rather than repeating the whole 40 minutes.
//
//   cp results/latest.json results/full.json            # after npm run bench
//   node run.js --only=<systems>,latency,latency-inproc --no-docs
//   node merge-results.js results/full.json results/latest.json latency
//
// Every record of the full run whose scenario starts with one of the given
// prefixes is dropped and the second run's records of those scenarios take
// their place; the merged raw results go to results/latest.json. The notes
// block of docs/benchmarks.md should say which scenarios were merged.
import fs from 'node:fs/promises'
import { summarize, writeReport } from './report/write.js'
import { targetLines } from './report/targets.js'

const [basePath, extraPath, ...prefixes] = process.argv.slice(2)
if (!basePath || !extraPath || prefixes.length === 0) {
  console.error('usage: node merge-results.js <full.json> <rerun.json> <scenario-prefix>...')
  process.exit(2)
}
const base = JSON.parse(await fs.readFile(basePath, 'utf8'))
const extra = JSON.parse(await fs.readFile(extraPath, 'utf8'))
const replaced = (record) => prefixes.some((p) => record.scenario.startsWith(p))
const records = [...base.records.filter((r) => !replaced(r)), ...extra.records.filter(replaced)]
const run = { ...base, records, merged: { from: extraPath, date: extra.date, scenarios: prefixes } }
await fs.writeFile(new URL('./results/latest.json', import.meta.url), JSON.stringify(run, null, 1))
const summary = summarize(run)
for (const line of targetLines(summary.targets)) console.log(line)
console.log(`\nwrote ${await writeReport(run, summary)}`)
