// examples/shop end to end, as its README runs it: migrate, a script/async
// daemon, POST /orders answering before the slow mail, the mail's result
// stored and shown by GET /orders/:id, the daemon stopped. Uses the built
// dist/ through the repo itself, on the example's "test" SQLite database.
import { spawnSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { REPO } from './helpers/host-app.js'
import { processesIn } from './helpers/host-app-processes.js'

const SHOP = join(REPO, 'examples', 'shop')

describe('examples/shop', () => {
  it('answers POST /orders at once and shows the mail a daemon sent afterwards', () => {
    rmSync(join(SHOP, 'shop-test.sqlite'), { force: true })
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      SHOP_MAIL_MS: '1500',
    }
    delete env.NODE_OPTIONS
    const demo = spawnSync(process.execPath, ['demo.js', '--once'], {
      cwd: SHOP,
      env,
      encoding: 'utf8',
      timeout: 90_000,
    })
    expect(demo.status, demo.stdout + demo.stderr).toBe(0)
    // The POST answer already holds the task, not yet finished: it did not wait
    // for the mail (an idle daemon may have claimed it by the time the answer
    // reads it back, so "running" is as good as "pending").
    expect(demo.stdout).toMatch(
      /POST \/orders answered in \d+ ms: .*"status":"(pending|running)","result":null/,
    )
    expect(demo.stdout).toMatch(
      /"status":"succeeded","result":"confirmation for order 1 sent to ada@example\.com"/,
    )
    expect(demo.stdout).toMatch(/async\.1 stopped/)
    expect(readdirSync(join(SHOP, 'tmp/pids'))).toEqual(['.gitignore'])
    expect(processesIn(SHOP)).toEqual([])
    rmSync(join(SHOP, 'shop-test.sqlite'), { force: true })
  })
})
