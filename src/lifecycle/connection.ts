/**
 * Runs the lifecycle's statements on Sequelize's own connections, through
 * the driver directly: positional parameters, no query building, no
 * replacement escaping, no model. The statements run once or twice per task,
 * and Sequelize's query pipeline cost more CPU than the statements
 * themselves (`node bench/enqueue-paths.js`). Connections still come from
 * (and return to) Sequelize's pool, so the app's pool settings, session
 * time zone and transactions apply.
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

/** Runs one statement written with the driver's own placeholders (`$1` or `?`). */
export type Positional = RawExec

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

/** Sequelize's connections, used without its query layer. */
export class Connections {
  private readonly manager: Manager
  private readonly log: ((sql: string) => void) | undefined
  /** SQLite: the tail of the queue of our transactions on the shared connection. */
  private turn: Promise<unknown> = Promise.resolve()

  constructor(
    sequelize: Sequelize,
    readonly dialect: Dialect,
  ) {
    this.manager = sequelize.connectionManager
    const { logging } = (sequelize as unknown as { options: { logging?: unknown } }).options
    // Hosts that log their SQL still see the task statements.
    this.log =
      typeof logging === 'function'
        ? (sql) => (logging as (text: string) => void)(`Executing (sequelize-async): ${sql}`)
        : undefined
  }

  /** A pooled connection for the time of `fn` (SQLite: Sequelize's one shared connection). */
  async with<T>(fn: (exec: Exec) => Promise<T>): Promise<T> {
    const conn = await this.manager.getConnection({ type: 'write' })
    try {
      return await fn(this.exec(conn))
    } finally {
      await this.manager.releaseConnection(conn)
    }
  }

  /**
   * `fn` inside one transaction of ours, on one connection. MySQL/MariaDB:
   * READ COMMITTED, which takes no gap locks, so an enqueue never waits on a
   * claim. PostgreSQL and MySQL/MariaDB roll back if `fn` throws.
   *
   * SQLite is different. Every process should write through one connection:
   * SQLite has one write lock for all, and a second writer in the same
   * process only adds a contender that sleeps in the busy handler (measured:
   * four worker processes drained 5× slower with a connection of our own).
   * So our transactions share Sequelize's connection with the host's
   * non-transactional queries, one of ours at a time. They only group
   * statements that are each atomic into one commit (one WAL sync), and they
   * never roll back: a host statement that ran in between must not be undone,
   * so what succeeded is committed and the error is rethrown. If a
   * transaction cannot be begun there (an in-memory database shares it with
   * Sequelize's own transactions), the statements run one by one.
   */
  transaction<T>(fn: (exec: Exec) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.sqliteTransaction(fn)
    return this.with(async (exec) => {
      for (const sql of BEGIN[this.dialect]) await exec(sql)
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

  private sqliteTransaction<T>(fn: (exec: Exec) => Promise<T>): Promise<T> {
    const run = this.turn.then(() =>
      this.with(async (exec) => {
        const begun = await exec('BEGIN IMMEDIATE').then(
          () => true,
          (err: Error) => {
            if (/within a transaction/i.test(err.message)) return false
            throw err
          },
        )
        try {
          return await fn(exec)
        } finally {
          if (begun) await this.commit(exec)
        }
      }),
    )
    this.turn = run.catch(() => undefined)
    return run
  }

  /**
   * A transaction left open on the shared connection would swallow every
   * later host query: COMMIT is retried, and rolled back only as the last
   * resort.
   */
  private async commit(exec: Exec): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await exec('COMMIT')
        return
      } catch (err) {
        if (attempt >= 3) {
          await exec('ROLLBACK').catch(() => undefined)
          throw err
        }
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt))
      }
    }
  }

  /** One statement: on the transaction's connection if given, else on a pooled one. */
  run(sql: string, values: Values, transaction?: Transaction | null): Promise<Result> {
    if (transaction) return this.within(transaction)(sql, values)
    return this.with((exec) => exec(sql, values))
  }

  /** Statements on the connection of the app's transaction. */
  within(transaction: Transaction): Exec {
    const conn = (transaction as unknown as { connection?: unknown }).connection
    if (!conn) throw new Error('sequelize-async: the transaction has no connection (finished?)')
    return this.exec(conn)
  }

  /**
   * Statements already in the driver's positional form, on the connection of
   * the app's transaction: a bulk insert, whose text is built per call (its
   * length varies with the rows), skips the named-parameter pass.
   */
  positionalWithin(transaction: Transaction): Positional {
    const conn = (transaction as unknown as { connection?: unknown }).connection
    if (!conn) throw new Error('sequelize-async: the transaction has no connection (finished?)')
    const raw = RAW[this.dialect](conn as never)
    return (sql, params) => {
      this.log?.(sql)
      return raw(sql, params)
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
