// Reads what a chaos run left behind: the task rows, the database's own
// transition log (audit.mjs), each worker's execution file and log.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { readTransitions } from './audit.mjs'

function jsonLines(file) {
  const rows = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue
    try {
      rows.push(JSON.parse(line))
    } catch {
      // the last line of a SIGKILLed worker may be cut short
    }
  }
  return rows
}

// `2026-11-27 22:53:01 ERROR worker chaos-1-123 (retrying in 200 ms): connect ECONNREFUSED …`
// -> `worker: connect ECONNREFUSED …`, so the report can count kinds of errors.
function errorKind(line) {
  return line
    .replace(/^\S+ \S+ (ERROR )?/, '')
    .replace(/chaos-\d+-\d+ /, '')
    .replace(/ \(retrying in \d+ ms\)/, '')
    .replace(/\d+(, \d+)*/g, 'N')
    .slice(0, 100)
}

/** Per worker name: task ids it logged as LOST and as RELEASEd, and its count of ERROR lines. */
function readLogs(procs) {
  const logs = new Map()
  for (const p of procs) {
    const text = readFileSync(p.file, 'utf8')
    const entry = { lost: [], released: [], errors: 0, errorKinds: [], rescues: 0 }
    entry.lines = text.split('\n')
    for (const line of entry.lines) {
      let m
      if ((m = / LOST (\d+): /.exec(line))) entry.lost.push(Number(m[1]))
      else if ((m = / RELEASE .*handed back: ([\d, ]+)/.exec(line)))
        entry.released.push(...m[1].split(', ').map(Number))
      // Stopped while the database was away: handed back by its lease running out.
      else if (
        (m = /the outcome of task (\d+) was not stored before the worker stopped/.exec(line))
      )
        entry.released.push(Number(m[1]))
      else if (/ ERROR |LISTEN connection lost/.test(line)) {
        entry.errors++
        entry.errorKinds.push(errorKind(line))
      } else if (/ RESCUE /.test(line)) entry.rescues++
    }
    logs.set(`chaos-${p.slot}-${p.pid}`, { ...entry, proc: p })
  }
  return logs
}

export async function gather(sequelize, AsyncTask, dir, procs) {
  const tasks = await AsyncTask.findAll({
    attributes: [
      'id',
      'queue',
      'action',
      'status',
      'success',
      'attempts',
      'interruptions',
      'error',
    ],
    raw: true,
  })
  const transitions = await readTransitions(sequelize)
  const executions = readdirSync(dir)
    .filter((f) => f.startsWith('exec-'))
    .flatMap((f) => jsonLines(join(dir, f)))
  return { tasks, transitions, executions, logs: readLogs(procs) }
}
