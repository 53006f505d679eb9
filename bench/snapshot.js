// The package under test, frozen for the duration of a run: dist/ of the
// repository root is copied into bench/.snapshot/dist, which workers import.
// (A rebuild at the root empties dist/ for a few seconds; a worker process
// starting in that window would fail.) Sequelize and the drivers still
// resolve from the root's node_modules, the same copy dist/ itself uses.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'

const DEFAULT_SOURCE = fileURLToPath(new URL('../dist/', import.meta.url))
const TARGET = fileURLToPath(new URL('./.snapshot/dist/', import.meta.url))
export const SNAPSHOT_ENTRY = new URL('./.snapshot/dist/index.js', import.meta.url)

// `source`: another build's dist/ (e.g. of a clean checkout), from --dist.
export function snapshotPackage(source = DEFAULT_SOURCE) {
  if (!fs.existsSync(`${source}/index.js`)) {
    console.warn(
      'dist/index.js is missing: run "npm run build" at the repository root to benchmark sequelize-async',
    )
    return
  }
  fs.rmSync(TARGET, { recursive: true, force: true })
  fs.cpSync(source, TARGET, { recursive: true })
  console.log(`sequelize-async under test: ${source}`)
}
