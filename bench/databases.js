// Connection details of the local servers, and drop/recreate of each
// benchmarked system's own database so rounds never see each other's rows.
import fs from 'node:fs/promises'
import path from 'node:path'
import os from 'node:os'
// Drivers load on first use: worker processes import this file for the
// connection details only, and must not carry drivers they do not use.
const pgDriver = async () => (await import('pg')).default
const mysqlDriver = async () => (await import('mysql2/promise')).default
const redisDriver = async () => (await import('ioredis')).Redis

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' }
export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' }
export const REDIS = { host: '127.0.0.1', port: 6379, db: 0 }
export const SQLITE_DIR = path.join(os.tmpdir(), 'sequelize-async-bench')

export const pgUrl = (db) => `postgres://${PG.user}@${PG.host}:${PG.port}/${db}`
export const mysqlUrl = (db) => `mysql://${MYSQL.user}@${MYSQL.host}:${MYSQL.port}/${db}`
export const sqliteFile = (name) => path.join(SQLITE_DIR, `${name}.sqlite`)

export async function recreatePostgres(db) {
  const pg = await pgDriver()
  const client = new pg.Client({ ...PG, database: 'postgres' })
  await client.connect()
  try {
    await client.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${db}`)
  } finally {
    await client.end()
  }
}

export async function recreateMysql(db) {
  const mysql = await mysqlDriver()
  const conn = await mysql.createConnection(MYSQL)
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${db}`)
    await conn.query(`CREATE DATABASE ${db}`)
  } finally {
    await conn.end()
  }
}

export async function recreateSqlite(name) {
  await fs.mkdir(SQLITE_DIR, { recursive: true })
  const file = sqliteFile(name)
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    await fs.rm(file + suffix, { force: true })
  }
  return file
}

export async function flushRedis() {
  const Redis = await redisDriver()
  const redis = new Redis({ ...REDIS, maxRetriesPerRequest: null })
  try {
    await redis.flushdb()
  } finally {
    redis.disconnect()
  }
}

// After a bulk load the server is still writing it out (PostgreSQL's next
// checkpoint, InnoDB's dirty pages, SQLite's WAL), which would slow whatever
// is measured next for reasons that are not the next step's. The depth
// scenario settles the store after populating, the same way for every system.

/** PostgreSQL: a CHECKPOINT writes every dirty buffer now (cluster-wide). */
export async function settlePostgres() {
  const pg = await pgDriver()
  const client = new pg.Client({ ...PG, database: 'postgres' })
  await client.connect()
  try {
    await client.query('CHECKPOINT')
  } finally {
    await client.end()
  }
}

/** MariaDB: flush InnoDB's dirty pages (at most 30 s), then restore the setting. */
export async function settleMysql() {
  const mysql = await mysqlDriver()
  const conn = await mysql.createConnection(MYSQL)
  const value = async (sql) => Number((await conn.query(sql))[0][0].Value)
  try {
    const pct = await value("SHOW GLOBAL VARIABLES LIKE 'innodb_max_dirty_pages_pct'")
    await conn.query('SET GLOBAL innodb_max_dirty_pages_pct = 0')
    try {
      const until = Date.now() + 30_000
      while (Date.now() < until) {
        if ((await value("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")) < 100) break
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    } finally {
      await conn.query(`SET GLOBAL innodb_max_dirty_pages_pct = ${pct}`)
    }
  } finally {
    await conn.end()
  }
}
