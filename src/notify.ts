/**
 * PostgreSQL LISTEN for the NOTIFY the insert trigger sends on commit
 * (migrations/0001). One dedicated connection outside Sequelize's pool, so
 * the pool never hands it to a query; it reconnects with backoff, and while
 * it is down the worker probes for work instead.
 *
 * Behind a pooler in transaction mode (PgBouncer's `pool_mode = transaction`)
 * LISTEN succeeds but its session goes back to the pool after the statement:
 * notifications never reach this client. So a LISTEN is trusted only once a
 * NOTIFY sent through Sequelize's pool (another connection) came back on it.
 * If none comes back, or the server refuses LISTEN, the worker says so and
 * probes; `listenUrl` (a direct connection) avoids that.
 */
import type { Sequelize } from 'sequelize'
import { logLine, type Logger } from './logger.js'
import { isOutage } from './transient.js'

interface PgClient {
  connect(): Promise<void>
  query(sql: string): Promise<unknown>
  end(): Promise<void>
  on(event: 'notification', fn: (msg: { payload?: string }) => void): void
  on(event: 'error' | 'end', fn: (err?: Error) => void): void
}

export const CHANNEL = 'sequelize_async'

export interface Listener {
  /** Whether notifications are known to arrive: false before the echo, after a loss, and after a fallback. */
  readonly active: boolean
  close(): Promise<void>
}

export interface ListenOptions {
  /** A direct connection for LISTEN (not through a pooler); default Sequelize's own settings. */
  url?: string
  /** How long to wait for the echo of our own NOTIFY. */
  echoMs?: number
  /** The channel: the insert trigger's by default; `task.wait()` listens on the finished channel. */
  channel?: string
}

function clientConfig(sequelize: Sequelize, url: string | undefined): object {
  const cfg = sequelize.config as unknown as {
    host?: string
    port?: number | string
    username?: string
    password?: string
    database?: string
    dialectOptions?: object
  }
  if (url) return { ...(cfg.dialectOptions ?? {}), connectionString: url }
  return {
    ...(cfg.dialectOptions ?? {}),
    host: cfg.host,
    port: cfg.port === undefined ? undefined : Number(cfg.port),
    user: cfg.username,
    password: cfg.password,
    database: cfg.database,
  }
}

const where = (url: string | undefined): string =>
  url ? `listenUrl ${new URL(url).host}` : 'the Sequelize connection settings'

export function listen(
  sequelize: Sequelize,
  onWake: (payload: string) => void,
  logger: Logger,
  options: ListenOptions = {},
): Listener {
  const channel = options.channel ?? CHANNEL
  const { lib } = sequelize.connectionManager as unknown as {
    lib: { Client: new (config: object) => PgClient }
  }
  const echoMs = options.echoMs ?? 5000
  let client: PgClient | undefined
  let active = false
  let closed = false
  let announced = false
  let retry: NodeJS.Timeout | undefined
  let delay = 500
  let echo: { token: string; arrived: () => void } | undefined

  const fallBack = (why: string): void => {
    closed = true
    active = false
    logger.info(
      logLine(
        'LISTEN',
        `unavailable through ${where(options.url)} (${why}); probing for work instead. ` +
          'Behind a pooler in transaction mode, set installAsync({ listenUrl }) to a direct connection.',
      ),
    )
  }

  const connect = async (): Promise<void> => {
    if (closed) return
    const c = new lib.Client(clientConfig(sequelize, options.url))
    const lost = (err?: Error): void => {
      if (closed || client !== c) return
      client = undefined
      active = false
      logger.error(`LISTEN connection lost (${err?.message ?? 'closed'}); probing until it is back`)
      schedule()
    }
    c.on('notification', (msg) => {
      if (echo && msg.payload === echo.token) echo.arrived()
      else onWake(msg.payload ?? '')
    })
    c.on('error', lost)
    c.on('end', lost)
    client = c
    try {
      await c.connect()
      await c.query(`LISTEN ${channel}`)
    } catch (err) {
      // Refused outright (a proxy or engine without LISTEN), not unreachable.
      if (!isOutage(err) && (err as { code?: unknown }).code !== undefined) {
        client = undefined
        void c.end().catch(() => undefined)
        return fallBack(`LISTEN failed: ${(err as Error).message}`)
      }
      lost(err as Error)
      void c.end().catch(() => undefined)
      return
    }
    if (!(await echoed(c))) return
    delay = 500
    active = true
    if (!announced && channel === CHANNEL) {
      announced = true
      logger.info(logLine('LISTEN', `woken by NOTIFY through ${where(options.url)}`))
    }
    onWake('') // anything that happened while we were away
  }

  /** Sends a NOTIFY through the pool; true once it arrived on `c`. */
  const echoed = async (c: PgClient): Promise<boolean> => {
    const token = `echo:${process.pid}:${Math.random().toString(36).slice(2)}`
    let timer: NodeJS.Timeout | undefined
    const arrived = new Promise<boolean>((resolve) => {
      echo = { token, arrived: () => resolve(true) }
      timer = setTimeout(() => resolve(false), echoMs)
    })
    try {
      await sequelize.query('SELECT pg_notify(:channel, :token)', {
        replacements: { channel, token },
      })
    } catch (err) {
      clearTimeout(timer)
      echo = undefined
      if (client === c) {
        client = undefined
        schedule() // the database is away: try the whole thing again later
      }
      void c.end().catch(() => undefined)
      logger.error(`LISTEN check failed (${(err as Error).message}); probing until it works`)
      return false
    }
    const ok = await arrived
    clearTimeout(timer)
    echo = undefined
    if (ok || closed || client !== c) return ok && client === c && !closed
    client = undefined
    void c.end().catch(() => undefined)
    fallBack(`a NOTIFY sent through the pool did not come back within ${echoMs} ms`)
    return false
  }

  const schedule = (): void => {
    if (closed) return
    retry = setTimeout(() => void connect(), delay)
    delay = Math.min(delay * 2, 30_000)
  }
  void connect()
  return {
    get active() {
      return active
    },
    async close() {
      closed = true
      active = false
      if (retry) clearTimeout(retry)
      echo?.arrived()
      const c = client
      client = undefined
      if (c) await c.end().catch(() => undefined)
    },
  }
}
