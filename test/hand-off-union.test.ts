/**
 * MySQL/MariaDB hand-off over several keys: one UNION ALL of per-key picks
 * (each with its own lock clause) and one admission, counted back per key
 * by position; a server that refuses the form (parse errors 1064/1221)
 * gets a pick per key from then on, in the same transaction. The real
 * statements run against MariaDB in flow-control.test.ts and
 * flow-processes.test.ts; this drives the fallback, which MariaDB never takes.
 */
import { describe, expect, it } from 'vitest'
import type { Exec } from '../src/lifecycle/connection.js'
import { handOffOn } from '../src/lifecycle/keys.js'

const date = (d: Date) => d

/** Blocked tasks by key; answers the picks and records what ran. */
function fakeMysql(blocked: Record<string, number[]>, refuse: boolean) {
  const ran: string[] = []
  const answer = (sql: string, values: Record<string, unknown>) => {
    const text = sql.replace(/\s+/g, ' ')
    if (text.includes('UNION ALL')) {
      ran.push('union')
      if (refuse)
        throw Object.assign(new Error('You have an error in your SQL syntax'), { errno: 1064 })
      const rows = []
      for (let i = 0; values[`key${i}`] !== undefined; i++) {
        const ids = blocked[values[`key${i}`] as string] ?? []
        for (const id of ids.slice(0, values[`n${i}`] as number))
          rows.push({ id, queue: 'q', pick: i })
      }
      return { rows, affected: 0, insertId: undefined }
    }
    if (text.startsWith('SELECT')) {
      ran.push(`pick ${String(values.key)}`)
      const ids = (blocked[values.key as string] ?? []).slice(0, values.n as number)
      return { rows: ids.map((id) => ({ id, queue: 'q' })), affected: 0, insertId: undefined }
    }
    ran.push(`admit ${(values.ids as number[]).join(',')}`)
    return { rows: [], affected: (values.ids as number[]).length, insertId: undefined }
  }
  const exec: Exec = (sql, values = {}) => {
    try {
      return Promise.resolve(answer(sql, values))
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }
  return { exec, ran }
}

describe('MySQL hand-off over several keys', () => {
  const freed = new Map([
    ['a', { n: 1, lim: 1 }],
    ['b', { n: 2, lim: 2 }],
    ['c', { n: 1, lim: 1 }],
  ])
  const blocked = { a: [1, 2], b: [3], c: [] }

  it('picks every key in one statement and admits in one more', async () => {
    const { exec, ran } = fakeMysql(blocked, false)
    const out = await handOffOn(exec, 'mysql', date, freed)
    expect(ran).toEqual(['union', 'admit 1,3'])
    expect(out.handed.map((t) => t.id)).toEqual([1, 3])
    expect([...out.rest]).toEqual([
      ['b', 1],
      ['c', 1],
    ])
  })

  it('falls back to a pick per key when the server refuses the form, and stays there', async () => {
    const first = fakeMysql(blocked, true)
    const out = await handOffOn(first.exec, 'mysql', date, freed)
    expect(first.ran).toEqual(['union', 'pick a', 'admit 1', 'pick b', 'admit 3', 'pick c'])
    expect(out.handed.map((t) => t.id)).toEqual([1, 3])
    expect([...out.rest]).toEqual([
      ['b', 1],
      ['c', 1],
    ])
    const next = fakeMysql(blocked, false)
    await handOffOn(next.exec, 'mysql', date, freed)
    expect(next.ran[0]).toBe('pick a')
  })
})
