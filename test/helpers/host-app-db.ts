// One database per host app, so the e2e tests never share tables with each
// other or with the runtime's own test files on the same servers.
import { Sequelize } from 'sequelize'

/** A dialect the e2e tests run on, with the server URL it needs. */
export interface Dialect {
  name: 'sqlite' | 'postgres' | 'mysql'
  serverUrl?: string
}

/** SQLite always; PostgreSQL and MySQL/MariaDB when their URLs are set. */
export function dialects(): Dialect[] {
  const list: Dialect[] = [{ name: 'sqlite' }]
  const pg = process.env.ASYNC_TEST_POSTGRES_URL
  const my = process.env.ASYNC_TEST_MYSQL_URL
  if (pg) list.push({ name: 'postgres', serverUrl: pg })
  if (my) list.push({ name: 'mysql', serverUrl: my })
  return list
}

/** A fresh database named `name` on the dialect's server; resolves to its URL. */
export async function createDatabase(dialect: Dialect, name: string): Promise<string | undefined> {
  if (!dialect.serverUrl) return undefined // SQLite: the host app gets a file of its own
  await onServer(dialect.serverUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`)
    await admin.query(`CREATE DATABASE ${name}`)
  })
  const url = new URL(dialect.serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Drops the database `createDatabase` made. */
export async function dropDatabase(dialect: Dialect, name: string): Promise<void> {
  if (!dialect.serverUrl) return
  await onServer(dialect.serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name}`))
}

async function onServer(serverUrl: string, work: (admin: Sequelize) => Promise<unknown>) {
  const admin = new Sequelize(serverUrl, { logging: false })
  try {
    await work(admin)
  } finally {
    await admin.close()
  }
}

/** A database name unique to this test run: letters, digits and _ only. */
export function databaseName(label: string): string {
  return `async_${label}_${process.pid}_${Date.now() % 1e6}`.replace(/[^a-z0-9_]/gi, '_')
}

/**
 * The status of every task, read straight from the table: cheaper to poll
 * than a host script (the TypeScript host pays for tsx on every start).
 */
export async function taskStatuses(databaseUrl: string): Promise<string[]> {
  const db = new Sequelize(databaseUrl, { logging: false })
  try {
    const [rows] = await db.query('SELECT status FROM async_tasks ORDER BY id')
    return (rows as { status: string }[]).map((row) => row.status)
  } finally {
    await db.close()
  }
}
