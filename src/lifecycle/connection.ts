/**
 * Runs the lifecycle's statements on Sequelize's own connections, through
 * the driver directly: positional parameters, no query building, no
 * replacement escaping, no model. The statements run once or twice per task,
 * and Sequelize's query pipeline cost more CPU than the statements
 * themselves (`node bench/enqueue-paths.js`). Connections still come from
 * (and return to) Sequelize's pool, so the app's pool settings, session
 * time zone and transactions apply.
 *
 * SQLite: every statement of ours runs on one connection of its own
 * (Sequelize's non-transactional queries share a single connection, and a
 * host query must never land inside one of our transactions), one at a time
 * in this process, so our own statements never meet on SQLite's write lock
 * and sleep in its busy handler.
 */
import type { Sequelize, Transaction } from 'sequelize'
import type { Dialect } from './dialect.js'
import { bind, type Values } from './sql.js'

export type Row = Record<string, unknown>

export interface Result {
  rows: Row[]
  /** Rows changed by a write. */
  affected: number
  /** The id a single-row INSERT created (MySQL, SQLite). */
  insertId: number | undefined
}

/** Runs one statement, written with named parameters, on one connection. */
export type Exec = (sql: string, values?: Values) => Promise<Result>

type RawExec = (sql: string, params: unknown[]) => Promise<Result>

interface PgClient {
  query(q: { text: string; values: unknown[] }): Promise<{ rows: Row[]; rowCount: number | null }>
}
interface MysqlConn {
  query(sql: string, values: unknown[], cb: (err: Error | null, result: unknown) => void): void
}
interface SqliteConn {
  all(sql: string, params: unknown[], cb: (err: Error | null, rows: Row[]) => void): void
  run(
    sql: string,
    params: unknown[],
    cb: (this: { changes: number; lastID: number }, err: Error | null) => void,
  ): void
}

const pgExec =
  (conn: PgClient): RawExec =>
  async (text, values) => {
    const r = await conn.query({ text, values })
    return { rows: r.rows, affected: r.rowCount ?? 0, insertId: undefined }
  }

const mysqlExec =
  (conn: MysqlConn): RawExec =>
  (sql, values) =>
    new Promise((resolve, reject) =>
      conn.query(sql, values, (err, result) => {
        if (err) return reject(err)
        if (Array.isArray(result))
          return resolve({ rows: result as Row[], affected: 0, insertId: undefined })
        const header = result as { affectedRows?: number; insertId?: number }
        resolve({ rows: [], affected: header.affectedRows ?? 0, insertId: header.insertId })
      }),
    )

// sqlite3 has two calls: `all` returns rows (SELECT, RETURNING), `run` the
// change count and the last id.
const RETURNS_ROWS = /^\s*(with|select|pragma)\b|\breturning\b/i

const sqliteExec =
  (conn: SqliteConn): RawExec =>
  (sql, params) =>
    new Promise((resolve, reject) => {
      if (RETURNS_ROWS.test(sql)) {
        conn.all(sql, params, (err, rows) =>
          err ? reject(err) : resolve({ rows, affected: rows.length, insertId: undefined }),
        )
      } else {
        conn.run(sql, params, function (err) {
          if (err) reject(err)
          else resolve({ rows: [], affected: this.changes, insertId: this.lastID })
        })
      }
    })

const RAW: Record<Dialect, (conn: never) => RawExec> = {
  postgres: pgExec,
  mysql: mysqlExec,
  mariadb: mysqlExec,
  sqlite: sqliteExec,
}

interface Manager {
  getConnection(options: { type: 'write'; uuid?: string }): Promise<unknown>
  releaseConnection(conn: unknown): void | Promise<void>
}

const BEGIN: Record<Dialect, string[]> = {
  postgres: ['BEGIN'],
  mysql: ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'START TRANSACTION'],
  mariadb: ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'START TRANSACTION'],
  sqlite: ['BEGIN IMMEDIATE'],
}

/** The connection SQLite statements of ours run on (see above). */
const SQLITE_UUID = 'sequelize-async'

/** Sequelize's connections, used without its query layer. */
export class Connections {
  private readonly manager: Manager
  private readonly log: ((sql: string) => void) | undefined
  /** SQLite: the tail of the queue of our statements on our one connection. */
  private queue: Promise<unknown> = Promise.resolve()

  private readonly begin: string[]

  constructor(
    sequelize: Sequelize,
    readonly dialect: Dialect,
  ) {
    this.manager = sequelize.connectionManager
    const { options } = sequelize as unknown as { options: { storage?: string; logging?: unknown } }
    const { storage } = options
    this.begin = BEGIN[dialect]
    if (dialect === 'sqlite' && (!storage || storage === ':memory:')) this.begin = []
    // Hosts that log their SQL still see the task statements.
    const logging = options.logging
    this.log =
      typeof logging === 'function'
        ? (sql) => (logging as (text: string) => void)(`Executing (sequelize-async): ${sql}`)
        : undefined
  }

  /** A connection for the time of `fn` (SQLite: ours, in turn). */
  with<T>(fn: (exec: Exec) => Promise<T>): Promise<T> {
    if (this.dialect !== 'sqlite') return this.pooled(fn)
    const turn = this.queue.then(() => this.pooled(fn, SQLITE_UUID))
    this.queue = turn.catch(() => undefined)
    return turn
  }

  /**
   * `fn` inside one transaction of ours, on one connection; rolled back if
   * it throws. MySQL/MariaDB: READ COMMITTED, which takes no gap locks, so
   * an enqueue never waits on a claim. SQLite: BEGIN IMMEDIATE takes the
   * write lock first, so what the transaction reads cannot change before it
   * writes (an in-memory database, shared with Sequelize's own
   * transactions, runs the statements without one).
   */
  transaction<T>(fn: (exec: Exec) => Promise<T>): Promise<T> {
    const begin = this.begin
    if (begin.length === 0) return this.with(fn)
    return this.with(async (exec) => {
      for (const sql of begin) await exec(sql)
      let result: T
      try {
        result = await fn(exec)
      } catch (err) {
        await exec('ROLLBACK').catch(() => undefined)
        throw err
      }
      await exec('COMMIT')
      return result
    })
  }

  /** One statement: on the transaction's connection if given, else as `with` does. */
  run(sql: string, values: Values, transaction?: Transaction | null): Promise<Result> {
    const txConn = (transaction as { connection?: unknown } | null | undefined)?.connection
    if (txConn) return this.exec(txConn)(sql, values)
    return this.with((exec) => exec(sql, values))
  }

  private async pooled<T>(fn: (exec: Exec) => Promise<T>, uuid?: string): Promise<T> {
    const conn = await this.manager.getConnection({ type: 'write', uuid })
    try {
      return await fn(this.exec(conn))
    } finally {
      await this.manager.releaseConnection(conn)
    }
  }

  private exec(conn: unknown): Exec {
    const raw = RAW[this.dialect](conn as never)
    const { dialect, log } = this
    return (text, values = {}) => {
      const { sql, params } = bind(dialect, text, values)
      log?.(sql)
      return raw(sql, params)
    }
  }
}
