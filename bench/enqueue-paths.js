// Where an enqueue's time goes, on one dialect: p50 of 3,000 sequential calls
// (after 200 warm-up calls) of
//   - `order.async('noop')`, as an app calls it;
//   - `AsyncTask.create(...)` of the same row (the model path);
//   - the raw INSERT into async_tasks through sequelize.query;
//   - an INSERT of a tiny row into a table without extra indexes (the floor).
//
//   npm run build && node bench/enqueue-paths.js [sqlite|postgres|mysql]
//
// Databases: see local-app.js (every table of the target database is dropped).
import { QueryTypes } from 'sequelize'
import { openLocalApp } from './local-app.js'

const dialect = process.argv[2] ?? 'sqlite'
const { sequelize, tasks, order } = await openLocalApp(dialect, 'enqueue-paths')

const N = 3000
async function p50(fn) {
  for (let i = 0; i < 200; i++) await fn()
  const ms = []
  for (let i = 0; i < N; i++) {
    const t = performance.now()
    await fn()
    ms.push(performance.now() - t)
  }
  return ms.sort((a, b) => a - b)[N / 2].toFixed(3)
}
const q = dialect === 'mysql' ? '`' : '"'
const row = () => ({
  objectType: 'Order',
  objectId: String(order.id),
  action: 'noop',
  argsJson: '[]',
  queue: 'default',
  priority: 10,
  scheduledAt: new Date(),
  ready: 1,
  maxAttempts: 1,
})
const figures = {
  'order.async': await p50(() => order.async('noop')),
  'AsyncTask.create': await p50(() => tasks.AsyncTask.create(row())),
  'raw INSERT': await p50(() =>
    sequelize.query(
      `INSERT INTO async_tasks (object_type, object_id, action, args, queue, priority,
        scheduled_at, ready, status, attempts, max_attempts, interruptions, created_at, updated_at)
       VALUES ('Order', :id, 'noop', '[]', 'default', 10, :now, 1, 'pending', 0, 1, 0, :now, :now)`,
      { type: QueryTypes.INSERT, replacements: { id: String(order.id), now: new Date() } },
    ),
  ),
  'floor INSERT': await p50(() =>
    sequelize.query(
      `INSERT INTO ${q}Orders${q} (${q}total${q}, ${q}createdAt${q}, ${q}updatedAt${q}) VALUES (1, :now, :now)`,
      { type: QueryTypes.INSERT, replacements: { now: new Date() } },
    ),
  ),
}
console.log(
  `${dialect}: p50 ms — ` +
    Object.entries(figures)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
)
await sequelize.close()
