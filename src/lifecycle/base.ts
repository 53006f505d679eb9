/**
 * What every group of transitions shares: the connections, the dialect's
 * date parameters, and how a statement is run — with `:now` for SQLite's
 * clock, and again after a deadlock or lock timeout (MySQL/MariaDB under
 * many workers, Galera certification, PostgreSQL 40P01/40001: the statement
 * did nothing), a few times after a short random pause.
 */
import type { Sequelize } from 'sequelize'
import type { Logger } from '../logger.js'
import { logLine } from '../logger.js'
import { isTransient } from '../transient.js'
import { Connections } from './connection.js'
import { dateParam, isMysql, type Dialect } from './dialect.js'
import type { Values } from './sql.js'
import { batchSql, byIdSql, oneSql, type SetWhere } from './upkeep.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const TRIES = 5
const UPKEEP_BATCH = 1000

export class LifecycleBase {
  readonly connections: Connections
  /** A Date as a parameter of this dialect. */
  readonly date: (d: Date) => unknown

  constructor(
    sequelize: Sequelize,
    readonly dialect: Dialect,
    protected readonly logger: Logger,
    options: { preparedStatements?: boolean } = {},
  ) {
    this.connections = new Connections(sequelize, dialect, {
      preparedStatements: options.preparedStatements,
      onPreparedOff: (why) =>
        logger.error(
          logLine(
            'PREPARE',
            `named prepared statements refused (${why}), probably by a pooler in transaction mode; ` +
              'running them unnamed from now on. Set installAsync({ preparedStatements: false }) to skip this.',
          ),
        ),
    })
    this.date = dateParam(sequelize, dialect)
  }

  /** Runs `fn` again after a deadlock or lock timeout, a few times. */
  async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        if (attempt >= TRIES || !isTransient(err)) throw err
        await sleep(attempt * (2 + Math.random() * 10))
      }
    }
  }

  protected async ids(sql: string, values: Values): Promise<number[]> {
    const { rows } = await this.retrying(() => this.connections.run(sql, this.clocked(values)))
    return rows.map((row) => Number(row.id))
  }

  protected async write(sql: string, values: Values): Promise<number> {
    const { affected } = await this.retrying(() => this.connections.run(sql, this.clocked(values)))
    return affected
  }

  /** SQLite's clock is this host's: `:now` travels with every statement that reads it. */
  protected clocked(values: Values): Values {
    return 'now' in values ? values : { ...values, now: this.date(new Date()) }
  }

  /**
   * An upkeep transition as one batch; if the database refuses the batch
   * (one row it cannot write), the candidates one by one, logging and
   * skipping the rows that fail, so one bad row never stops the step.
   */
  protected async eachOrAll(step: string, s: SetWhere, values: Values): Promise<number> {
    const all = { ...values, batch: UPKEEP_BATCH, now: this.date(new Date()) }
    try {
      if (isMysql(this.dialect)) {
        const ids = await this.ids(s.pick, all)
        return ids.length === 0 ? 0 : await this.write(byIdSql(s), { ...all, ids })
      }
      return await this.write(batchSql(this.dialect, s), all)
    } catch (err) {
      if (isTransient(err)) throw err
      const ids = await this.ids(s.pick, all)
      let done = 0
      for (const id of ids) {
        try {
          done += await this.write(oneSql(s), { ...all, id })
        } catch (rowErr) {
          this.logger.error(
            logLine('ERROR', `${step}: task ${id} skipped: ${(rowErr as Error).message}`),
          )
        }
      }
      return done
    }
  }
}
