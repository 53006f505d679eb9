// BullMQ 6 on Redis. Needs ioredis installed next to it (without it BullMQ
// logs a connection error in an endless loop). Workers block on Redis for
// new jobs, so there is no poll interval; completed jobs are kept (its
// default), which is the "finished history" of the depth scenario.
import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { REDIS, flushRedis } from '../databases.js'

const QUEUE = 'bench'
const connection = { ...REDIS, maxRetriesPerRequest: null }

// Writes `count` job hashes and their sorted-set entries in one script call:
// the same keys BullMQ itself writes for a completed or a delayed job.
const POPULATE = `
local prefix, kind, from, count, score, now = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
for i = from, from + count - 1 do
  local id = kind .. i
  if kind == 'c' then
    redis.call('HSET', prefix .. id, 'name', 'noop', 'data', '{}', 'opts', '{}', 'timestamp', now,
      'processedOn', now, 'finishedOn', now, 'returnvalue', 'null', 'atm', '1')
    redis.call('ZADD', prefix .. 'completed', now, id)
  else
    redis.call('HSET', prefix .. id, 'name', 'noop', 'data', '{}', 'opts', '{}', 'timestamp', now, 'delay', '31536000000')
    redis.call('ZADD', prefix .. 'delayed', score, id)
  end
end
return count`

// Copies the hash of one waiting job `count` times under new ids from the
// queue's own counter and pushes them on the wait list, as BullMQ's
// addStandardJob does for a plain job (minus its event-stream entry, which
// nothing here reads), then sets the marker a blocked worker waits on.
// 150,000 jobs take well under a second; `addBulk` takes 10-20 s here.
const COPY = `
local prefix, template, count = KEYS[1], ARGV[1], tonumber(ARGV[2])
local fields = redis.call('HGETALL', prefix .. template)
for i = 1, count do
  local id = redis.call('INCR', prefix .. 'id')
  redis.call('HSET', prefix .. id, unpack(fields))
  redis.call('LPUSH', prefix .. 'wait', id)
end
redis.call('ZADD', prefix .. 'marker', 0, '0')
return count`

export function bullmq() {
  return {
    store: 'redis',
    reset: flushRedis,

    async connect() {
      const queue = new Queue(QUEUE, { connection })
      await queue.waitUntilReady()
      return {
        enqueue: (tag) => queue.add('noop', tag === undefined ? {} : { tag }),
        async enqueueMany(n) {
          const template = await queue.add('noop', {})
          const redis = new Redis(connection)
          try {
            for (let done = 1; done < n; done += 10000) {
              await redis.eval(COPY, 1, `bull:${QUEUE}:`, template.id, Math.min(10000, n - done))
            }
          } finally {
            redis.disconnect()
          }
        },
        async remaining() {
          const counts = await queue.getJobCounts('waiting', 'active', 'prioritized')
          return counts.waiting + counts.active + counts.prioritized
        },
        async populate({ finished, future }) {
          const redis = new Redis(connection)
          const now = Date.now()
          const score = (now + 365 * 86400e3) * 0x1000
          for (const [kind, total] of [
            ['c', finished],
            ['f', future],
          ]) {
            for (let i = 1; i <= total; i += 10000) {
              const count = Math.min(10000, total - i + 1)
              await redis.eval(POPULATE, 1, `bull:${QUEUE}:`, kind, i, count, score, now)
            }
          }
          redis.disconnect()
        },
        close: () => queue.close(),
      }
    },

    async prepareWorker({ concurrency, onRun }) {
      const worker = new Worker(QUEUE, async (job) => onRun(job.data.tag), {
        connection,
        concurrency,
        autorun: false,
      })
      worker.on('error', (err) => console.error('bullmq:', err.message))
      await worker.waitUntilReady()
      return {
        async start() {
          worker.run().catch((err) => console.error('bullmq:', err.message))
        },
        stop: () => worker.close(),
      }
    },
  }
}
