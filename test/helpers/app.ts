/**
 * A small host app for the contract suite: an Order model with slow, failing
 * and argument-taking methods, a LineItem, and a plain Newsletter class.
 */
import { DataTypes, Model, type Sequelize } from 'sequelize'
import { installAsync, type InstallOptions, type Logger } from '../../src/index.js'
import { currentTask } from '../../src/task-context.js'

export const calls: string[] = []

/** Start and end of every run of Order#span, for overlap checks (flow control). */
export const spans: Array<{ key: string; start: number; end: number }> = []

export class Order extends Model {
  declare id: number
  declare total: number
  declare note: string | null

  sendConfirmationEmail(): string {
    calls.push(`email:${this.id}`)
    return `sent to order ${this.id}`
  }

  chargeCreditCard(euro: number, cents: number): { charged: number } {
    calls.push(`charge:${this.id}:${euro}.${cents}`)
    return { charged: euro * 100 + cents }
  }

  async describeItem(item: LineItem): Promise<string> {
    await Promise.resolve()
    return `${this.id}:${item.name}`
  }

  fail(message: string): never {
    throw new RangeError(message)
  }

  echo(value: unknown): unknown {
    return value
  }

  async slow(ms: number): Promise<string> {
    const signal = currentTask()?.signal
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    return signal?.aborted ? 'aborted' : 'done'
  }

  /** Sleeps `ms` and records when it ran, under `key`. */
  async span(key: string, ms: number): Promise<number | undefined> {
    const start = Date.now()
    await new Promise((resolve) => setTimeout(resolve, ms))
    spans.push({ key, start, end: Date.now() })
    return currentTask()?.task.id
  }

  static recalculateTotals(factor: number): number {
    calls.push(`recalc:${factor}`)
    return factor * 2
  }
}

export class LineItem extends Model {
  declare id: number
  declare name: string
}

export const Newsletter = {
  deliverAll(subject: string): string {
    calls.push(`newsletter:${subject}`)
    return `delivered ${subject}`
  },
}

export class Reports {
  static build(kind: string): string {
    return `report ${kind}`
  }
}

export const quietLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = []
  return { lines, info: (m) => lines.push(m), error: (m) => lines.push(m) }
}

export function defineApp(sequelize: Sequelize, options: InstallOptions = {}) {
  class O extends Order {}
  Object.defineProperty(O, 'name', { value: 'Order' })
  O.init({ total: DataTypes.INTEGER, note: DataTypes.STRING }, { sequelize, modelName: 'Order' })
  class L extends LineItem {}
  L.init({ name: DataTypes.STRING }, { sequelize, modelName: 'LineItem' })
  const logger = quietLogger()
  // Behind PgBouncer in transaction mode (npm run cluster -- --engine=pgbouncer).
  const prepared =
    process.env.ASYNC_TEST_PREPARED_STATEMENTS === 'false' ? { preparedStatements: false } : {}
  const tasks = installAsync(sequelize, {
    logger,
    ...prepared,
    ...options,
    classes: { Newsletter, Reports },
  })
  return { Order: O, LineItem: L, tasks, logger }
}
