// The machine, servers and package versions a run was measured on.
import os from 'node:os'
import fs from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import mysql from 'mysql2/promise'
import sqlite3 from 'sqlite3'
import { Redis } from 'ioredis'
import { PG, MYSQL, REDIS } from '../databases.js'

// Read package.json files directly: some packages' "exports" hide them.
function versionOf(name) {
  for (const dir of ['../node_modules/', '../../node_modules/']) {
    try {
      return JSON.parse(readFileSync(new URL(`${dir}${name}/package.json`, import.meta.url)))
        .version
    } catch {
      // not installed at this level
    }
  }
  return 'not installed'
}

async function serverVersions() {
  const out = {}
  const client = new pg.Client({ ...PG, database: 'postgres' })
  await client.connect()
  out.postgres = (await client.query('SHOW server_version')).rows[0].server_version
  await client.end()
  const conn = await mysql.createConnection(MYSQL)
  out.mariadb = (await conn.query('SELECT VERSION() AS v'))[0][0].v
  await conn.end()
  out.sqlite = await new Promise((ok, fail) => {
    const db = new sqlite3.Database(':memory:')
    db.get('SELECT sqlite_version() AS v', (e, row) => (e ? fail(e) : db.close(() => ok(row.v))))
  })
  const redis = new Redis(REDIS)
  out.redis = /redis_version:(\S+)/.exec(await redis.info('server'))[1]
  redis.disconnect()
  return out
}

export async function machineInfo() {
  const root = JSON.parse(await fs.readFile(new URL('../../package.json', import.meta.url)))
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    // The 1-minute load average when the run ended: other work on the machine
    // (a test suite, a build) shows up here and in noisy figures.
    loadAverage: os.loadavg()[0],
    servers: await serverVersions(),
    packages: {
      'sequelize-async': root.version,
      sequelize: versionOf('sequelize'),
      sqlite3: versionOf('sqlite3'),
      mysql2: versionOf('mysql2'),
      pg: versionOf('pg'),
      'pg-boss': versionOf('pg-boss'),
      'graphile-worker': versionOf('graphile-worker'),
      bullmq: versionOf('bullmq'),
      ioredis: versionOf('ioredis'),
    },
  }
}
