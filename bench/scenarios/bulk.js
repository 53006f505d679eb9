// bulk (issue 12): `count` tasks stored one by one (sequential `enqueue()`,
// as a loop over `order.async()` makes them) against one bulk call
// (`enqueueBatch(count)`: `tasks.enqueueMany()` of the same tasks), on an
// emptied table each, after a warm-up. Only systems with a bulk call run it.
import { now } from '../clock.js'

async function rate(count, fn) {
  const start = now()
  await fn()
  return count / ((now() - start) / 1000)
}

export async function bulk(system, sizes) {
  const count = sizes.bulkCount
  await system.reset()
  const warm = await system.connect()
  try {
    for (let i = 0; i < 50; i++) await warm.enqueue(i)
    await warm.enqueueBatch(1000)
  } finally {
    await warm.close()
  }
  await system.reset()
  let client = await system.connect()
  let single
  try {
    single = await rate(count, async () => {
      for (let i = 0; i < count; i++) await client.enqueue(i)
    })
  } finally {
    await client.close()
  }
  await system.reset()
  client = await system.connect()
  try {
    const many = await rate(count, () => client.enqueueBatch(count))
    return { count, single, bulk: many, ratio: many / single }
  } finally {
    await client.close()
  }
}
