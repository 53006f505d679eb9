/**
 * One fresh database per test file and dialect: SQLite always, PostgreSQL and
 * MySQL/MariaDB when ASYNC_TEST_POSTGRES_URL / ASYNC_TEST_MYSQL_URL are set.
 * A database whose tests failed is kept for a look (its name is printed).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Sequelize, type Options } from 'sequelize'

export type DialectName = 'sqlite' | 'postgres' | 'mysql'

export interface TestDb {
  dialect: DialectName
  /** Connection options a child process can use (JSON-safe). */
  config: { url?: string; storage?: string }
  connect(options?: Options): Sequelize
  drop(): Promise<void>
}

export const dialects: DialectName[] = [
  'sqlite',
  ...(process.env.ASYNC_TEST_POSTGRES_URL ? (['postgres'] as const) : []),
  ...(process.env.ASYNC_TEST_MYSQL_URL ? (['mysql'] as const) : []),
]

function serverUrl(dialect: 'postgres' | 'mysql'): URL {
  const raw =
    dialect === 'postgres' ? process.env.ASYNC_TEST_POSTGRES_URL : process.env.ASYNC_TEST_MYSQL_URL
  return new URL(raw as string)
}

export function connect(config: TestDb['config'], options: Options = {}): Sequelize {
  const base: Options = { logging: false, ...options }
  if (config.storage) return new Sequelize({ dialect: 'sqlite', storage: config.storage, ...base })
  return new Sequelize(config.url as string, { pool: { max: 10 }, ...base })
}

/** Creates an empty database for `label` on `dialect`. */
export async function createDb(dialect: DialectName, label: string): Promise<TestDb> {
  const name = `sa_${label.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`.toLowerCase()
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `${name}-`))
    const config = { storage: join(dir, 'test.sqlite') }
    return {
      dialect,
      config,
      connect: (options) => connect(config, options),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    }
  }
  const server = serverUrl(dialect)
  const admin = new Sequelize(server.toString(), { logging: false })
  const quote = dialect === 'postgres' ? '"' : '`'
  await admin.query(`CREATE DATABASE ${quote}${name}${quote}`)
  await admin.close()
  const url = new URL(server.toString())
  url.pathname = `/${name}`
  const config = { url: url.toString() }
  return {
    dialect,
    config,
    connect: (options) => connect(config, options),
    async drop() {
      const again = new Sequelize(server.toString(), { logging: false })
      if (dialect === 'postgres') {
        await again.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
        )
      }
      await again.query(`DROP DATABASE IF EXISTS ${quote}${name}${quote}`)
      await again.close()
    },
  }
}
