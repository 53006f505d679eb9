// The pieces of script/async that need no host app: command-line parsing and
// pidfile ownership (exclusive claim, stale detection).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { parseCommandLine, UsageError } from '../src/cli/args.js'
import { claimPidfile, knownUids, pidfilePath, readPidState } from '../src/cli/pidfile.js'

describe('parseCommandLine', () => {
  it('reads a foreground worker with its worker flags', () => {
    expect(parseCommandLine(['--sleep=0.5', '--concurrency=4', '--queues=mail,default'])).toEqual({
      command: 'run',
      uid: undefined,
      flags: { sleep: 0.5, concurrency: 4, queues: ['mail', 'default'] },
    })
  })

  it('reads a daemon command with its uid', () => {
    expect(parseCommandLine(['stop', '--uid=2'])).toMatchObject({ command: 'stop', uid: 2 })
    expect(parseCommandLine(['work-off'])).toMatchObject({ command: 'work-off' })
  })

  it('refuses unknown commands and bad numbers with a usage error', () => {
    expect(() => parseCommandLine(['launch'])).toThrow(UsageError)
    expect(() => parseCommandLine(['start', '--uid=0'])).toThrow(/--uid must be a positive integer/)
    expect(() => parseCommandLine(['--sleep=soon'])).toThrow(/--sleep must be a number/)
    expect(() => parseCommandLine(['--bogus'])).toThrow(UsageError)
  })
})

describe('pidfiles', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'async-pids-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('claims a uid once: a second claim of the same uid fails while it is starting', () => {
    expect(claimPidfile(dir, 1)).toBe(true)
    expect(readPidState(dir, 1)).toEqual({ kind: 'starting' })
    expect(claimPidfile(dir, 1)).toBe(false)
    expect(knownUids(dir)).toEqual([1])
  })

  it('sees a live worker as running and does not take its uid', async () => {
    // A process titled like our daemons, so the pid check recognises it.
    const title =
      "process.title = 'sequelize-async.5'; console.log('titled'); setInterval(() => {}, 1000)"
    const child = spawn(process.execPath, ['-e', title])
    try {
      await new Promise((resolve) => child.stdout.once('data', resolve))
      writeFileSync(pidfilePath(dir, 5), `${child.pid}\n`)
      expect(readPidState(dir, 5)).toEqual({ kind: 'running', pid: child.pid })
      expect(claimPidfile(dir, 5)).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('replaces the pidfile of a dead process, of an unrelated process, or of a start that crashed', () => {
    writeFileSync(pidfilePath(dir, 2), '999999\n')
    expect(readPidState(dir, 2)).toEqual({ kind: 'stale', pid: 999999 })
    expect(claimPidfile(dir, 2)).toBe(true)

    writeFileSync(pidfilePath(dir, 3), `${process.pid}\n`) // alive, but not a worker
    expect(readPidState(dir, 3)).toEqual({ kind: 'stale', pid: process.pid })

    writeFileSync(pidfilePath(dir, 4), '')
    const old = new Date(Date.now() - 120_000)
    utimesSync(pidfilePath(dir, 4), old, old)
    expect(readPidState(dir, 4)).toEqual({ kind: 'stale', pid: null })
    expect(claimPidfile(dir, 4)).toBe(true)
    expect(readFileSync(pidfilePath(dir, 4), 'utf8')).toBe('')
  })
})
