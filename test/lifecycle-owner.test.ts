/**
 * One owner of a task's life: no module outside src/lifecycle/ writes the
 * task table or its state columns, in SQL or through the AsyncTask model.
 * A static check of the source, so a new writer fails CI at once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = join(import.meta.dirname, '..', 'src')
const OWNER = join(SRC, 'lifecycle')

const STATE = [
  'status',
  'ready',
  'success',
  'locked_by',
  'locked_until',
  'attempts',
  'max_attempts',
  'interruptions',
  'attempt_errors',
  'result',
  'error',
  'started_at',
  'finished_at',
  'scheduled_at',
]

/** What writes tasks: a write statement on the table, a state column set in SQL, or a model write. */
const WRITERS: Array<[string, RegExp]> = [
  ['SQL write of async_tasks', /\b(update|insert\s+into|delete\s+from)\s+[`"]?async_tasks\b/i],
  [
    'SQL write of the task table by its constant',
    /\b(update|insert\s+into|delete\s+from)\s+\$\{TABLE\}/i,
  ],
  [
    'state column set in SQL',
    // SQL keywords are upper case here; the span stays inside one template literal.
    new RegExp(`\\bSET\\b[^\`;]{0,600}?\\b(${STATE.join('|')})\\s*=(?!=)`),
  ],
  [
    'AsyncTask model write',
    /\bAsyncTask\b[\w.\s)]*\.(update|destroy|create|bulkCreate|upsert|increment|decrement|truncate)\s*\(/,
  ],
  ['instance save of a task', /\btask\.(save|update|destroy|increment|decrement)\s*\(/],
]

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return path === OWNER ? [] : sources(path)
    return /\.(ts|cts|mts|cjs|js)$/.test(name) ? [path] : []
  })
}

/** Findings in one file's text (exported through the test for the self-check below). */
function findings(text: string): string[] {
  return WRITERS.filter(([, re]) => re.test(text)).map(([what]) => what)
}

describe('the lifecycle owns every write of a task row', () => {
  it('finds no writer of the task table or its state columns outside src/lifecycle/', () => {
    const found = sources(SRC).flatMap((path) =>
      findings(readFileSync(path, 'utf8')).map((what) => `${relative(SRC, path)}: ${what}`),
    )
    expect(found).toEqual([])
  })

  it('would notice each kind of writer (the check can fail)', () => {
    expect(findings('sql = `UPDATE async_tasks SET ready = 1 WHERE id = :id`')).toContain(
      'SQL write of async_tasks',
    )
    expect(findings('`INSERT INTO ${TABLE} (name) VALUES (:n)`')).toContain(
      'SQL write of the task table by its constant',
    )
    expect(findings('`UPDATE t SET locked_by = NULL WHERE x`')).toContain('state column set in SQL')
    expect(findings('await ctx.AsyncTask.update({ status: "failed" }, { where })')).toContain(
      'AsyncTask model write',
    )
    expect(findings('await task.update({ priority: 3 })')).toContain('instance save of a task')
    expect(findings('const ok = task.status === "failed"')).toEqual([])
  })
})
