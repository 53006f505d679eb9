/**
 * Runs the lifecycle's statements on Sequelize's own connections, through
 * the driver directly: positional parameters, no query building, no
 * replacement escaping, no model. The statements run once or twice per task,
 * and Sequelize's query pipeline cost more CPU than the statements
 * themselves (`node bench/enqueue-paths.js`). Connections still come from
 * (and return to) Sequelize's pool, so the app's pool settings, session
 * time zone and transactions apply.
 *
 * On PostgreSQL the statements are named prepared statements: the server
 * parses and plans each text once per connection instead of on every call.
 * The claim-and-complete statement is a long CTE whose parse and plan cost
 * more server time than running it (`node bench/prof-drain.mjs`: 557 → 770
 * tasks/s in-process at concurrency 10, three alternating runs each, on a
 * loaded 2-core machine). A pooler in transaction mode (PgBouncer before
 * 1.21, or without `max_prepared_statements`) hands each statement to any
 * server connection, where the name is unknown (26000) or taken (42P05):
 * the first such error turns them off for the process, says so once in the
 * log, and the statement runs again unnamed when no transaction of it is
 * open. `installAsync({ preparedStatements: false })` avoids that one error.
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
  query(q: {
    name?: string
    text: string
    values: unknown[]
  }): Promise<{ rows: Row[]; rowCount: number | null }>
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

/** PostgreSQL statement names, one per text, for the process's Connections of one Sequelize. */
export class Prepared {
  /** Texts get a name up to this many; later texts (a bulk insert's per size) run unnamed. */
  static readonly MAX = 100
  private readonly names = new Map<string, string>()
  /** Bumped when the table changed under the prepared statements: every text gets a new name. */
  private generation = 1

  constructor(
    public enabled: boolean,
    private readonly turnedOff: (why: string) => void,
  ) {}

  name(text: string): string | undefined {
    if (!this.enabled) return undefined
    let name = this.names.get(text)
    if (name === undefined && this.names.size < Prepared.MAX) {
      const n = this.names.size + 1
      name =
        this.generation === 1 ? `sequelize_async_${n}` : `sequelize_async_g${this.generation}_${n}`
      this.names.set(text, name)
    }
    return name
  }

  /** True when `err` is a pooler's answer to a named statement; turns them off. */
  refused(err: unknown): boolean {
    const code = (err as { code?: unknown }).code
    if (code !== '26000' && code !== '42P05') return false
    if (this.enabled) {
      this.enabled = false
      this.turnedOff((err as Error).message)
    }
    return true
  }

  /**
   * True when `err` says the table's columns changed since a statement was
   * prepared (a migration ran while this process kept its connections): a
   * statement returning `t.*` then fails on every call on every connection.
   * The texts get new names, which each connection prepares afresh; the old
   * ones stay on the server until their connection closes.
   */
  stale(err: unknown): boolean {
    const { code, message } = err as { code?: unknown; message?: unknown }
    if (code !== '0A000' || !/cached plan must not change result type/.test(String(message)))
      return false
    this.names.clear()
    this.generation += 1
    return true
  }
}

const pgExec =
  (conn: PgClient, prepared?: Prepared, inTransaction = false): RawExec =>
  async (text, values) => {
    const name = values.length > 0 ? prepared?.name(text) : undefined
    let r
    try {
      r = await conn.query(name === undefined ? { text, values } : { name, text, values })
    } catch (err) {
      if (name === undefined || !prepared) throw err
      // Either way the statement did nothing; outside a transaction it runs again.
      if (!(prepared.refused(err) || prepared.stale(err)) || inTransaction) throw err
      r = await conn.query({ text, values })
    }
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

const RAW: Record<Dialect, (conn: never, prepared?: Prepared, inTransaction?: boolean) => RawExec> =
  {
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

  /** PostgreSQL: names of the prepared statements (undefined on the other dialects). */
  readonly prepared: Prepared | undefined

  constructor(
    sequelize: Sequelize,
    readonly dialect: Dialect,
    options: { preparedStatements?: boolean; onPreparedOff?: (why: string) => void } = {},
  ) {
    this.manager = sequelize.connectionManager
    const { logging } = (sequelize as unknown as { options: { logging?: unknown } }).options
    // Hosts that log their SQL still see the task statements.
    this.log =
      typeof logging === 'function'
        ? (sql) => (logging as (text: string) => void)(`Executing (sequelize-async): ${sql}`)
        : undefined
    this.prepared =
      dialect === 'postgres'
        ? new Prepared(options.preparedStatements !== false, options.onPreparedOff ?? (() => {}))
        : undefined
  }

  /** A pooled connection for the time of `fn` (SQLite: Sequelize's one shared connection). */
  with<T>(fn: (exec: Exec) => Promise<T>): Promise<T> {
    return this.holding((conn) => fn(this.exec(conn, false)))
  }

  private async holding<T>(fn: (conn: unknown) => Promise<T>): Promise<T> {
    const conn = await this.manager.getConnection({ type: 'write' })
    try {
      return await fn(conn)
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
    return this.holding(async (conn) => {
      const exec = this.exec(conn, true)
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
    return this.exec(conn, true)
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

  private exec(conn: unknown, inTransaction: boolean): Exec {
    const raw = RAW[this.dialect](conn as never, this.prepared, inTransaction)
    const { dialect, log } = this
    return (text, values = {}) => {
      const { sql, params } = bind(dialect, text, values)
      log?.(sql)
      return raw(sql, params)
    }
  }
}
