/**
 * A connection killed in the moment its login completes (a PostgreSQL
 * failover, a MySQL server killing it) must fail the statement that wanted
 * it, not crash the process (src/connection-guard.ts). The bare run is the
 * control: without installAsync, Sequelize itself crashes on the same proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fatalAfterLogin, type FatalProxy } from './helpers/fatal-after-login.js'

const fixture = fileURLToPath(new URL('./fixtures/login-fatal.mjs', import.meta.url))
const servers = [
  ['postgres', process.env.ASYNC_TEST_POSTGRES_URL, /57P01|terminating connection/],
  ['mysql', process.env.ASYNC_TEST_MYSQL_URL, /killed|1927|ER_CONNECTION_KILLED/],
] as const

// Asynchronous: the proxy runs in this process and must answer meanwhile.
function run(url: string, mode: 'guarded' | 'bare') {
  return new Promise<{ status: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [fixture, url, mode], { timeout: 30_000 })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.on('close', (status) => resolve({ status, out, err }))
  })
}

for (const [dialect, serverUrl, fatal] of servers) {
  describe.skipIf(!serverUrl)(`a connection killed as its login ends, ${dialect}`, () => {
    let proxy: FatalProxy
    beforeAll(async () => {
      proxy = await fatalAfterLogin(serverUrl as string)
    })
    afterAll(async () => {
      await proxy?.close()
    })

    it('crashes a bare Sequelize process (the control)', async () => {
      const bare = await run(proxy.url, 'bare')
      expect(bare.status, bare.out + bare.err).not.toBe(0)
      expect(bare.err).toMatch(/Unhandled 'error' event|uncaught/i)
      expect(bare.err).toMatch(fatal)
      expect(bare.out).not.toContain('survived')
    })

    it('fails the statement and keeps the process once installAsync ran', async () => {
      const guarded = await run(proxy.url, 'guarded')
      expect(guarded.status, guarded.out + guarded.err).toBe(0)
      expect(guarded.out).toMatch(/refused: \w*Error/)
      expect(guarded.out).toContain('survived')
    })
  })
}
