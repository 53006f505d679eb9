// create-async writes answers into JavaScript, shell commands and a systemd
// unit: each file escapes them for its own language (never HTML), and an
// answer no file can hold (a line break, a relative path) is refused with a
// message that says what to give instead.
import { spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'

import { beforeAll, describe, expect, it } from 'vitest'

import { execArgument, jsLiteral, unitValue } from '../src/cli/create/template-escapes.js'
import { REPO, type HostApp } from './helpers/host-app.js'
import { createAsync, read, useScaffoldApps } from './helpers/scaffold-apps.js'
import { fakeShipit } from './helpers/host-app-shipit.js'

const HOSTILE = "/srv/app'; rm -rf ~; '"
const requireIn = (app: HostApp, path: string) =>
  createRequire(join(app.root, 'x.js'))(`./${path}`) as (shipit: unknown) => void
/** The exports of a generated file, loaded by a fresh node (no require cache). */
const loadIn = (app: HostApp, path: string) =>
  JSON.parse(app.node(['-e', `console.log(JSON.stringify(require('./${path}')))`])) as Record<
    string,
    Record<string, unknown>
  >

describe('the templates', () => {
  it('write every value through the escape of their language, never a bare {{value}}', () => {
    const dir = join(REPO, 'templates')
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.hbs'),
    )
    expect(files.length).toBeGreaterThan(5)
    const bare: string[] = []
    for (const file of files) {
      for (const [mustache] of readFileSync(join(dir, file), 'utf8').matchAll(/{{[^}]*}}}?/g)) {
        if (!/^{{(#|\/|else}}|(js|unit|exec|text) [\w.]+}}$)/.test(mustache)) {
          bare.push(`${file}: ${mustache}`)
        }
      }
    }
    expect(bare).toEqual([])
  })

  it('escape strings so each language reads back exactly the value', () => {
    const values = [HOSTILE, 'a "b" \\c', 'it\u2028s', '${x} `y`', '100% $HOME']
    for (const value of values) {
      expect(runInNewContext(jsLiteral(value))).toBe(value)
    }
    expect(unitValue('/srv/100%')).toBe('/srv/100%%')
    expect(execArgument('/srv/a "b" $HOME 5%\\')).toBe('"/srv/a \\"b\\" $$HOME 5%%\\\\"')
    expect(() => unitValue('/srv/a\nExecStartPre=/bin/rm')).toThrow(/control character/)
    expect(() => unitValue('/srv/a\\')).toThrow(/backslash/)
  })
})

describe('create-async with a hostile --deploy-to', () => {
  const { newApp } = useScaffoldApps()
  let app: HostApp
  beforeAll(() => {
    app = newApp('cjs-js')
  })

  it('writes it as data in the PM2 deploy file, the systemd unit and the comments', () => {
    const result = createAsync(app, `--deploy-to=${HOSTILE}`)
    expect(result.status, result.stderr).toBe(0)
    const deploy = loadIn(app, 'config/deploy/pm2-deploy.cjs')
    expect(deploy.production?.path).toBe(HOSTILE)
    expect(deploy['production-pm2']?.path).toBe(HOSTILE)
    const unit = read(app, 'config/systemd/async-worker@.service')
    expect(unit).toContain(`\nWorkingDirectory=${HOSTILE}/current\n`)
    expect(unit).toContain(`\nExecStart=/usr/bin/env node "${HOSTILE}/current/script/async"\n`)
    expect(unit).toContain(`# EnvironmentFile=-${HOSTILE}/shared/.env\n`)
    for (const file of ['config/deploy/pm2-deploy.cjs', 'config/systemd/async-worker@.service']) {
      expect(read(app, file)).not.toMatch(/&#x27;|&amp;|&quot;|&#x3D;/)
    }
  })

  it('doubles % and $ in the systemd unit, and systemd-analyze accepts it', () => {
    const path = '/srv/100% "$HOME" it\'s'
    const result = createAsync(app, '--force', `--deploy-to=${path}`)
    expect(result.status, result.stderr).toBe(0)
    const unit = read(app, 'config/systemd/async-worker@.service')
    expect(unit).toContain(`\nWorkingDirectory=/srv/100%% "$HOME" it's/current\n`)
    expect(unit).toContain(
      `\nExecStart=/usr/bin/env node "/srv/100%% \\"$$HOME\\" it's/current/script/async"\n`,
    )
    expect(loadIn(app, 'config/deploy/pm2-deploy.cjs').production?.path).toBe(path)
    const analyze = spawnSync('systemd-analyze', ['--version'])
    if (analyze.status !== 0) return // not every machine has systemd's tools
    const dir = mkdtempSync(join(tmpdir(), 'async-unit-'))
    try {
      copyFileSync(
        join(app.root, 'config/systemd/async-worker@.service'),
        join(dir, 'async-worker@.service'),
      )
      const verified = spawnSync('systemd-analyze', ['verify', './async-worker@1.service'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
      })
      expect(verified.stderr).not.toMatch(/async-worker@/)
      expect(verified.status, verified.stderr).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a path with a line break, a relative one and an unnormalized one, writing nothing', () => {
    const fresh = newApp('cjs-js')
    for (const [value, reason] of [
      ['/srv/app\nExecStartPre=/bin/sh -c "rm -rf /"', /control character \(a line break\?\)/],
      ['srv/app', /is not absolute: give the full path, e.g\. \/var\/www\/shop/],
      ['/srv/../etc', /is not normalized: use \/etc/],
      ['C:\\apps\\shop', /is not absolute/],
    ] as const) {
      const result = createAsync(fresh, `--deploy-to=${value}`)
      expect(result.status).toBe(64)
      expect(result.stderr).toMatch(/^--deploy-to /)
      expect(result.stderr).toMatch(reason)
    }
    expect(existsSync(join(fresh.root, 'config/async.cjs'))).toBe(false)
    expect(existsSync(join(fresh.root, 'script'))).toBe(false)
  })

  it('quotes the release path in the shell commands of the shipit tasks', () => {
    const release = join(tmpdir(), `async-release-${process.pid}-it's "here"`)
    mkdirSync(release, { recursive: true })
    try {
      const shipit = fakeShipit(release)
      requireIn(app, 'config/deploy/shipit-async.cjs')(shipit)
      const [command] = shipit.run('async:start')
      expect(command).toMatch(/ && NODE_ENV=production node script\/async start$/)
      // The shell reaches exactly that directory.
      const cd = command!.replace(/ && .*$/, ' && pwd')
      const shell = spawnSync('sh', ['-c', cd], { encoding: 'utf8' })
      expect(shell.stdout.trim()).toBe(release)
    } finally {
      rmSync(release, { recursive: true, force: true })
    }
  })
})

describe('create-async with a --models path holding quotes and spaces', () => {
  const { newApp } = useScaffoldApps()

  it('writes it as a JavaScript string that config/async.cjs loads', () => {
    const app = newApp('cjs-js')
    const dir = join(app.root, 'lib/o\'neil "models"')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'index.js'), read(app, 'models/index.js'))
    const result = createAsync(app, `--models=lib/o'neil "models"/index.js`)
    expect(result.status, result.stderr).toBe(0)
    expect(read(app, 'config/async.cjs')).toContain(
      `path.join(__dirname, '..', 'lib/o\\'neil "models"/index.js')`,
    )
    const loaded = app.node([
      '-e',
      `require('./config/async.cjs').load().then(async (t) => { console.log(typeof t.createWorker); await t.sequelize.close() })`,
    ])
    expect(loaded.trim()).toBe('function')
  })
})
