// The type tests of decorator hosts (test/types/hosts: sequelize-typescript
// models, the NestJS module) compile: every call the compiler must refuse is
// marked with an expect-error directive, and an unused one fails tsc.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { REPO } from './helpers/host-app.js'

const DIR = join(REPO, 'test/types/hosts')

describe('type tests of decorator hosts', () => {
  it('refuse every marked call and accept the rest', () => {
    const marked = readdirSync(DIR)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => readFileSync(join(DIR, name), 'utf8').match(/@ts-expect-error/g)?.length ?? 0)
    expect(marked.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(11)
    let output = ''
    try {
      execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', DIR], {
        encoding: 'utf8',
      })
    } catch (error) {
      output = (error as { stdout: string }).stdout
    }
    expect(output).toBe('')
  })
})
