/**
 * The dashboard's login over HTTP: server-side sessions (new id at login,
 * idle and absolute expiry, logout that revokes), failed logins slowed down
 * per client address, and what a trusted proxy may tell (TLS, address).
 * Time moves with a fake Date; the servers and the database are real.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Sequelize } from 'sequelize'
import {
  dashboard,
  type DashboardOptions,
  type SessionRecord,
  type SessionStore,
} from '../src/dashboard/index.js'
import { MemorySessionStore } from '../src/dashboard/session-store.js'
import { throttleKey } from '../src/dashboard/throttle.js'
import { createDb, type TestDb } from './helpers/db.js'
import { defineApp } from './helpers/app.js'
import { Client, serve } from './helpers/dashboard-client.js'

const TOKEN = 'auth-test-token-0123456789'
const MINUTE = 60_000

describe('dashboard login, sessions and failed logins', () => {
  let db: TestDb
  let sequelize: Sequelize
  let app: ReturnType<typeof defineApp>
  const servers: Array<{ close(): Promise<void> }> = []

  beforeAll(async () => {
    db = await createDb('sqlite', 'dashboard_auth')
    sequelize = db.connect()
    app = defineApp(sequelize)
    await app.tasks.migrate()
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  afterAll(async () => {
    for (const server of servers) await server.close()
    await sequelize.close()
    await db.drop()
  })

  async function start(options: DashboardOptions = {}): Promise<string> {
    const server = await serve(
      dashboard(app.tasks, { basePath: '/async', token: TOKEN, ...options }),
    )
    servers.push(server)
    return server.origin
  }

  async function loggedIn(origin: string, headers: Record<string, string> = {}): Promise<Client> {
    const client = new Client(origin, headers)
    const res = await client.submit('/async/login', '/async/login', { token: TOKEN })
    expect(res.status).toBe(303)
    return client
  }

  const fakeClock = (): void => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-03-01T09:00:00Z'))
  }
  const advance = (ms: number): void => {
    vi.setSystemTime(Date.now() + ms)
  }

  it('gives a new session id at login, so a cookie planted before it is worth nothing', async () => {
    const origin = await start()
    const victim = new Client(origin)
    await victim.get('/async/login')
    const planted = victim.cookies.get('async_sid')!
    expect(planted).toMatch(/^[\w-]{24}$/)
    const login = await victim.submit('/async/login', '/async/login', { token: TOKEN })
    expect(login.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^async_sid=[\w-]{24}; Path=\/async; HttpOnly; SameSite=Strict$/),
    ])
    const fresh = victim.cookies.get('async_sid')!
    expect(fresh).not.toBe(planted)
    expect((await victim.get('/async/')).status).toBe(200)

    const attacker = new Client(origin)
    attacker.cookies.set('async_sid', planted)
    expect((await attacker.get('/async/')).status).toBe(401)
  })

  it('ends the session on the server at logout, even for a copied cookie', async () => {
    const origin = await start()
    const user = await loggedIn(origin)
    const copy = new Client(origin)
    copy.cookies.set('async_sid', user.cookies.get('async_sid')!)
    expect((await copy.get('/async/tasks')).status).toBe(200)

    const out = await user.submit('/async/', '/async/logout')
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/async/login')
    expect((await user.get('/async/')).status).toBe(401)
    expect((await copy.get('/async/tasks')).status).toBe(401)
  })

  it('ends a session after 30 idle minutes, and 8 hours after login however busy', async () => {
    fakeClock()
    const origin = await start()
    const idle = await loggedIn(origin)
    const busy = await loggedIn(origin)
    advance(29 * MINUTE)
    expect((await idle.get('/async/')).status).toBe(200) // each use restarts the idle time
    advance(29 * MINUTE)
    expect((await idle.get('/async/')).status).toBe(200)
    advance(31 * MINUTE)
    expect((await idle.get('/async/')).status).toBe(401)

    vi.setSystemTime(new Date('2026-03-01T09:00:00Z'))
    for (let minutes = 20; minutes < 8 * 60; minutes += 20) {
      vi.setSystemTime(new Date('2026-03-01T09:00:00Z').getTime() + minutes * MINUTE)
      expect((await busy.get('/async/')).status, `after ${minutes} min`).toBe(200)
    }
    vi.setSystemTime(new Date('2026-03-01T17:00:00Z'))
    expect((await busy.get('/async/')).status).toBe(401)
  })

  it('takes the session lifetimes and the store from the options', async () => {
    fakeClock()
    const records = new Map<string, SessionRecord>()
    const store: SessionStore = {
      get: (key) => Promise.resolve(records.get(key)),
      set: (key, record) => void records.set(key, record),
      delete: (key) => Promise.resolve(void records.delete(key)),
    }
    const origin = await start({ session: { idleTimeout: 5 * MINUTE, maxAge: 12 * MINUTE, store } })
    const user = await loggedIn(origin)
    expect(records.size).toBe(1)
    // The store holds a hash of the id, never the cookie itself.
    expect([...records.keys()]).not.toContain(user.cookies.get('async_sid'))
    advance(4 * MINUTE)
    expect((await user.get('/async/')).status).toBe(200)
    advance(6 * MINUTE)
    expect((await user.get('/async/')).status).toBe(401)
    expect(records.size).toBe(0)

    const again = await loggedIn(origin)
    for (let i = 0; i < 3; i++) {
      advance(4 * MINUTE)
      expect((await again.get('/async/')).status).toBe(i < 2 ? 200 : 401)
    }
    expect(() => dashboard(app.tasks, { token: TOKEN, session: { idleTimeout: -1 } })).toThrow(
      /session.idleTimeout takes a positive number of ms/,
    )
  })

  it('slows down failed logins per address, exponentially, without locking out others', async () => {
    fakeClock()
    const origin = await start({ trustProxy: true })
    const from7 = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7' }
    const before = await loggedIn(origin, from7)
    const guesser = new Client(origin, from7)
    const guess = (token: string) => guesser.submit('/async/login', '/async/login', { token })
    for (let i = 0; i < 5; i++) expect((await guess(`wrong-${i}`)).status).toBe(401)

    const slowed = await guess(TOKEN)
    expect(slowed.status).toBe(429) // not even compared while it waits
    expect(slowed.headers.get('retry-after')).toBe('1')
    expect(slowed.html).toContain('try again in 1 s')
    // Another client address, and a browser logged in before, go on as usual.
    await loggedIn(origin, { 'X-Forwarded-For': '203.0.113.8' })
    expect((await before.get('/async/')).status).toBe(200)

    advance(1000)
    expect((await guess('wrong-5')).status).toBe(401)
    expect((await guess(TOKEN)).headers.get('retry-after')).toBe('2')
    advance(2000)
    expect((await guess(TOKEN)).status).toBe(303)
    const later = new Client(origin, from7)
    const again = await later.submit('/async/login', '/async/login', { token: 'wrong-again' })
    expect(again.status).toBe(401) // the right token cleared the count
  })

  it('counts wrong bearer tokens too, caps the wait at 5 minutes and forgets after 15', async () => {
    fakeClock()
    const origin = await start()
    const api = (token: string) =>
      fetch(`${origin}/async/tasks`, { headers: { Authorization: `Bearer ${token}` } })
    for (let i = 0; i < 5; i++) expect((await api('nope')).status).toBe(401)
    const blocked = await api(TOKEN)
    expect(blocked.status).toBe(429)
    expect(blocked.headers.get('retry-after')).toBe('1')
    const waits: number[] = []
    for (let i = 0; i < 12; i++) {
      advance(Number((await api('x')).headers.get('retry-after') ?? 0) * 1000)
      expect((await api('nope')).status).toBe(401)
      waits.push(Number((await api(TOKEN)).headers.get('retry-after')))
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300])
    advance(15 * MINUTE)
    expect((await api('nope')).status).toBe(401) // forgotten: a first failure again, no wait
    expect((await api(TOKEN)).status).toBe(200)
  })

  it('believes X-Forwarded-* only with trustProxy: for Secure cookies and client addresses', async () => {
    fakeClock() // the slow-down below must not run out between two requests of a busy machine
    const proxied = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' }
    const direct = await start()
    const trusting = await start({ trustProxy: true })
    const cookieOf = async (origin: string) =>
      (await new Client(origin, proxied).get('/async/login')).headers.getSetCookie().join()
    expect(await cookieOf(direct)).not.toContain('Secure')
    expect(await cookieOf(trusting)).toMatch(/HttpOnly; SameSite=Strict; Secure$/)
    const off = await start({ trustProxy: true, secureCookies: false })
    expect(await cookieOf(off)).not.toContain('Secure')

    // Without trustProxy a forged X-Forwarded-For does not give a fresh address.
    for (let i = 0; i < 5; i++) {
      const forged = new Client(direct, { 'X-Forwarded-For': `192.0.2.${i}` })
      await forged.submit('/async/login', '/async/login', { token: 'wrong' })
    }
    const next = new Client(direct, { 'X-Forwarded-For': '192.0.2.99' })
    expect((await next.submit('/async/login', '/async/login', { token: TOKEN })).status).toBe(429)
  })

  it('counts IPv6 clients by their /64 and keeps the session store bounded', () => {
    expect(throttleKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(throttleKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(throttleKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64')
    expect(throttleKey('::1')).toBe('0:0:0:0::/64')
    const store = new MemorySessionStore(2)
    const record = { createdAt: 0, lastSeenAt: 0 }
    store.set('a', record, MINUTE)
    store.set('b', record, MINUTE)
    store.get('a') // a recent use does not protect it: eviction follows the last set
    store.set('a', record, MINUTE)
    store.set('c', record, MINUTE)
    expect([store.get('a'), store.get('b'), store.get('c')]).toEqual([record, undefined, record])
    expect(store.size).toBe(2)
  })
})
