// The baseline a worker's memory is read against: a Node process holding
// what a Sequelize app's worker cannot do without — Sequelize, the dialect's
// driver and the Order model — and doing the record load each task does
// (`Order.findByPk`) in `concurrency` loops, with no queue at all. It runs in
// the drain scenario at 1 × 10 for as long as the other drains (it has no
// tasks to finish), so its peak RSS compares with our worker's at 1 × 10:
// the difference is what sequelize-async itself costs.
import { ORDER_ID, createOrders, openOrderLoader, recreateDatabase } from './orders.js'

const DB = 'bench_bare'

export function bareSequelize({ dialect }) {
  return {
    store: dialect,
    // The drain has nothing to wait for: it stops at its time cap.
    endless: true,
    async reset() {
      await recreateDatabase(dialect, DB)
      await createOrders(dialect, DB)
    },

    async connect() {
      return {
        async enqueueMany() {},
        remaining: async () => Number.POSITIVE_INFINITY,
        async close() {},
      }
    },

    async prepareWorker({ concurrency, onRun }) {
      // The same pool size as our worker's (concurrency + 2, see sequelize-async.js).
      const orders = await openOrderLoader(dialect, DB, { pool: concurrency + 2 })
      let running = false
      let loops = []
      const loop = async () => {
        while (running) {
          await orders.load(ORDER_ID)
          onRun()
        }
      }
      return {
        async start() {
          running = true
          loops = Array.from({ length: concurrency }, loop)
        },
        async stop() {
          running = false
          await Promise.all(loops)
          await orders.close()
        },
      }
    },
  }
}
