/**
 * PostgreSQL LISTEN for the NOTIFY the insert trigger sends on commit
 * (migrations/0001). One dedicated connection outside Sequelize's pool, so
 * the pool never hands it to a query; it reconnects with backoff, and while
 * it is down the worker still polls.
 */
import type { Sequelize } from 'sequelize'
import type { Logger } from './logger.js'

interface PgClient {
  connect(): Promise<void>
  query(sql: string): Promise<unknown>
  end(): Promise<void>
  on(event: 'notification', fn: (message: { channel: string; payload?: string }) => void): void
  on(event: 'error' | 'end', fn: (err?: Error) => void): void
}

export const CHANNEL = 'sequelize_async'

export interface Listener {
  close(): Promise<void>
}

/**
 * LISTENs on `channel` (the insert trigger's by default); `onWake` gets each
 * notification's payload, and an empty one after every (re)connect, since
 * notifications sent while it was away are lost.
 */
export function listen(
  sequelize: Sequelize,
  onWake: (payload: string) => void,
  logger: Logger,
  channel = CHANNEL,
): Listener {
  const manager = sequelize.connectionManager as unknown as {
    lib: { Client: new (config: object) => PgClient }
  }
  const cfg = sequelize.config as unknown as {
    host?: string
    port?: number | string
    username?: string
    password?: string
    database?: string
    dialectOptions?: object
  }
  let client: PgClient | undefined
  let closed = false
  let retry: NodeJS.Timeout | undefined
  let delay = 500

  const connect = async (): Promise<void> => {
    if (closed) return
    const c = new manager.lib.Client({
      ...(cfg.dialectOptions ?? {}),
      host: cfg.host,
      port: cfg.port === undefined ? undefined : Number(cfg.port),
      user: cfg.username,
      password: cfg.password,
      database: cfg.database,
    })
    const lost = (err?: Error): void => {
      if (closed || client !== c) return
      client = undefined
      logger.error(`LISTEN connection lost (${err?.message ?? 'closed'}); polling until it is back`)
      schedule()
    }
    c.on('notification', (message) => onWake(message.payload ?? ''))
    c.on('error', lost)
    c.on('end', lost)
    client = c
    try {
      await c.connect()
      await c.query(`LISTEN ${channel}`)
      delay = 500
      onWake('') // anything that happened while we were away
    } catch (err) {
      lost(err as Error)
      c.end().catch(() => undefined)
    }
  }
  const schedule = (): void => {
    retry = setTimeout(() => void connect(), delay)
    delay = Math.min(delay * 2, 30_000)
  }
  void connect()
  return {
    async close() {
      closed = true
      if (retry) clearTimeout(retry)
      const c = client
      client = undefined
      if (c) await c.end().catch(() => undefined)
    },
  }
}
