// npm run cluster -- --engine=pgbouncer|patroni|galera|hosts [--short]
// Sets the engine up from Debian packages (servers of our own, on their own
// ports and data directories in a temp dir; never the shared 5432/3306),
// runs its checks with the chaos harness's workers and audit, tears
// everything down (also on Ctrl-C) and prints a table. Exits 1 if a check
// failed. See docs/scaling.md.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { cleanup, onCleanup } from './daemons.mjs'
import { ensurePackages } from './packages.mjs'

const ENGINES = ['pgbouncer', 'hosts', 'patroni', 'galera']
const { values } = parseArgs({
  options: {
    engine: { type: 'string' },
    short: { type: 'boolean', default: false },
  },
})
if (!ENGINES.includes(values.engine)) {
  console.error(`usage: npm run cluster -- --engine=${ENGINES.join('|')} [--short]`)
  process.exit(2)
}
if (process.getuid?.() !== 0) {
  console.error(
    'cluster runs start servers as other users and make network namespaces: run as root',
  )
  process.exit(2)
}

// Undo everything on any way out; the workers stop when their IPC channel closes.
process.on('exit', cleanup)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130))
process.on('uncaughtException', (err) => {
  console.error(err)
  process.exit(1) // through the cleanup above
})

// The package under test: a snapshot of dist/, as chaos/run.mjs takes it.
const root = fileURLToPath(new URL('..', import.meta.url))
const cache = join(root, 'node_modules', '.cache')
mkdirSync(cache, { recursive: true })
const snapshot = mkdtempSync(join(cache, 'sequelize-async-cluster-'))
cpSync(join(root, 'dist'), snapshot, { recursive: true })
writeFileSync(join(snapshot, 'package.json'), '{ "type": "module" }\n')
process.env.CHAOS_DIST = join(snapshot, 'index.js')
onCleanup(() => rmSync(snapshot, { recursive: true, force: true }))

const t0 = Date.now()
console.log(
  `cluster --engine=${values.engine}${values.short ? ' --short' : ''}: ${cpus().length} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
)
ensurePackages(values.engine)
const engine = await import(`./${values.engine}.mjs`)
let rows
try {
  rows = await engine.run({ short: values.short })
} catch (err) {
  console.error(`✘ the ${values.engine} run itself failed: ${err.stack}`)
  rows = [{ check: 'engine set up and ran', ok: false, value: err.message.split('\n')[0] }]
}
console.log(
  `\n== ${values.engine} summary (${((Date.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()[0].toFixed(1)})`,
)
for (const r of rows) {
  const mark = r.ok === undefined ? ' ' : r.ok ? '✔' : '✘'
  console.log(`${mark} ${r.check.padEnd(58)} ${r.value}`)
}
const ok = rows.every((r) => r.ok !== false)
console.log(ok ? 'PASS' : 'FAIL')
process.exit(ok ? 0 : 1)
