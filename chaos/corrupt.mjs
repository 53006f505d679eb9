// Corrupt rows, written straight into async_tasks while the workers drain:
// what a bug elsewhere in the app, a bad migration or an attacker with write
// access to the table could leave there. Each must end failed with a reason
// (its error's class), and none may stop a worker: every good task still
// runs exactly once (checks.mjs). Each kind has a queue of its own,
// `corrupt.<n>`, which the workers take with `*`, so the checks find them.

const INT_MAX = 2147483647

/** Kinds of corrupt rows: the columns they override, and the error class they must fail with. */
export const CORRUPT = [
  { what: 'unknown target', row: { object_type: 'NoSuchTarget' }, error: 'UnknownTargetError' },
  { what: 'forbidden method', row: { action: 'constructor' }, error: 'UnknownTargetError' },
  { what: 'inherited method', row: { action: 'hasOwnProperty' }, error: 'UnknownTargetError' },
  { what: 'a record of a plain class', row: { object_id: '7' }, error: 'UnknownTargetError' },
  { what: 'arguments not JSON', row: { args: '{not json' }, error: 'SerializationError' },
  { what: 'arguments not a list', row: { args: '{"a":1}' }, error: 'SerializationError' },
  {
    what: 'unknown type tag',
    row: { args: '[{"$t":"Function","v":"x"}]' },
    error: 'SerializationError',
  },
  {
    what: '__proto__ in arguments',
    row: { args: '[{"__proto__":{"polluted":true}}]' },
    error: 'SerializationError',
  },
  {
    what: 'a record of no model',
    row: { args: '[{"$t":"Record","v":{"model":"SequelizeMeta","id":1}}]' },
    error: 'UnknownTargetError',
  },
  // Runs (and throws): the stored history of earlier attempts cannot be read,
  // and the attempt count is one below the column's largest value.
  {
    what: 'corrupt attempt history, attempts near the integer limit',
    row: {
      action: 'doomed',
      attempt_errors: '{not json',
      attempts: INT_MAX - 1,
      max_attempts: INT_MAX,
    },
    error: 'ChaosError',
  },
]

export const isCorrupt = (queue) => String(queue).startsWith('corrupt.')
export const corruptKind = (queue) => CORRUPT[Number(String(queue).slice('corrupt.'.length))]

/** Inserts the i-th corrupt row (kind i mod kinds), due now, without the package. */
export async function insertCorrupt(sequelize, i) {
  const n = i % CORRUPT.length
  const now = new Date()
  const row = {
    object_type: 'Chaos',
    object_id: null,
    action: 'fast',
    args: '[]',
    queue: `corrupt.${n}`,
    priority: 10,
    scheduled_at: now,
    ready: 1,
    status: 'pending',
    attempts: 0,
    max_attempts: 1,
    interruptions: 0,
    created_at: now,
    updated_at: now,
    ...CORRUPT[n].row,
  }
  await sequelize.getQueryInterface().bulkInsert('async_tasks', [row])
}

/** The check: every corrupt row failed, with the error its kind must fail with. */
export function checkCorrupt(tasks) {
  const rows = tasks.filter((t) => isCorrupt(t.queue))
  const wrong = rows.filter(
    (t) => t.status !== 'failed' || !String(t.error).startsWith(`${corruptKind(t.queue).error}:`),
  )
  return { rows, wrong }
}
