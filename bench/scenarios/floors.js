// floors: what one connection can commit per second on each database, with
// the same durability settings the systems run under: single-row INSERT
// commits and single-row UPDATE commits (autocommit, sequential). Every
// enqueue is at least one INSERT commit and every task completion at least
// one UPDATE commit (or a DELETE, for graphile-worker), so these are the
// physical limits the other figures are read against. Redis has no commit;
// its SET round trip is given for reference.
import pg from 'pg'
import mysql from 'mysql2/promise'
import sqlite3 from 'sqlite3'
import { Redis } from 'ioredis'
import { now } from '../clock.js'
import { latencySummary } from '../stats.js'
import { PG, MYSQL, REDIS, recreatePostgres, recreateMysql, recreateSqlite } from '../databases.js'

const DB = 'bench_floor'

async function time(count, fn) {
  const samples = new Array(count)
  const start = now()
  for (let i = 0; i < count; i++) {
    const t = now()
    await fn(i)
    samples[i] = now() - t
  }
  return { ...latencySummary(samples), perSec: count / ((now() - start) / 1000) }
}

async function insertAndUpdate(count, exec) {
  for (let i = 0; i < 50; i++) await exec.insert() // warm-up
  return { insert: await time(count, exec.insert), update: await time(count, exec.update) }
}

async function postgres(count) {
  await recreatePostgres(DB)
  const client = new pg.Client({ ...PG, database: DB })
  await client.connect()
  await client.query('CREATE TABLE floor (id bigserial PRIMARY KEY, v integer NOT NULL, note text)')
  const result = await insertAndUpdate(count, {
    insert: () => client.query('INSERT INTO floor (v, note) VALUES ($1, $2)', [1, 'x']),
    update: () => client.query('UPDATE floor SET v = v + 1 WHERE id = $1', [1]),
  })
  await client.end()
  return result
}

async function mariadb(count) {
  await recreateMysql(DB)
  const conn = await mysql.createConnection({ ...MYSQL, database: DB })
  await conn.query(
    'CREATE TABLE floor (id bigint AUTO_INCREMENT PRIMARY KEY, v int NOT NULL, note text) ENGINE=InnoDB',
  )
  const result = await insertAndUpdate(count, {
    insert: () => conn.execute('INSERT INTO floor (v, note) VALUES (?, ?)', [1, 'x']),
    update: () => conn.execute('UPDATE floor SET v = v + 1 WHERE id = ?', [1]),
  })
  await conn.end()
  return result
}

async function sqlite(count, pragmas) {
  const file = await recreateSqlite(DB)
  const db = new sqlite3.Database(file)
  const run = (sql, params = []) =>
    new Promise((ok, fail) => db.run(sql, params, (e) => (e ? fail(e) : ok())))
  for (const pragma of pragmas) await run(pragma)
  await run(
    'CREATE TABLE floor (id integer PRIMARY KEY AUTOINCREMENT, v integer NOT NULL, note text)',
  )
  const result = await insertAndUpdate(count, {
    insert: () => run('INSERT INTO floor (v, note) VALUES (?, ?)', [1, 'x']),
    update: () => run('UPDATE floor SET v = v + 1 WHERE id = ?', [1]),
  })
  await new Promise((ok) => db.close(ok))
  return result
}

async function redis(count) {
  const client = new Redis(REDIS)
  const set = await time(count, (i) => client.set('bench:floor', i))
  client.disconnect()
  return { insert: set, update: set }
}

// The pragmas sequelize-async's SQLite connection runs with (src/install.ts);
// synchronous stays at SQLite's default, FULL.
export const SQLITE_PRAGMAS = ['PRAGMA journal_mode = WAL', 'PRAGMA busy_timeout = 10000']

export async function floors(sizes) {
  const count = sizes.floorCount
  return {
    postgres: await postgres(count),
    mariadb: await mariadb(count),
    sqlite: await sqlite(count, SQLITE_PRAGMAS),
    redis: await redis(count),
  }
}
