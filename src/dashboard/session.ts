/**
 * Sessions and CSRF tokens. Every browser gets a random session id in the
 * `async_sid` cookie; what it may do depends on the server-side store:
 *
 * - An id the store does not know is anonymous: it may see the login form
 *   and post it. Nothing is stored for it, so visitors cannot fill memory.
 * - Logging in stores a *new* id (a cookie planted before the login is worth
 *   nothing after it: no session fixation), which ends after `idleTimeout`
 *   unused or `maxAge` after the login, and which logout deletes at once.
 *
 * CSRF: every form carries HMAC(secret, 'csrf:' + sid). A cross-site page can
 * make the browser send the cookie (not with SameSite=Strict, but older
 * browsers ignore it) yet cannot read a page to learn the HMAC.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { duration, resolveToken } from './auth-options.js'
import type { DashboardOptions } from './options.js'
import { MemorySessionStore, type SessionStore } from './session-store.js'

export const SID_COOKIE = 'async_sid'

const MINUTE = 60_000
const DEFAULT_IDLE = 30 * MINUTE
const DEFAULT_MAX_AGE = 8 * 60 * MINUTE

const hmac = (key: string, text: string): string =>
  createHmac('sha256', key).update(text).digest('base64url')

/** Compares in constant time; hashing first makes the lengths equal. */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(a), digest(b))
}

export const newSessionId = (): string => randomBytes(18).toString('base64url')

/** A session id as we issue them; anything else is ignored and replaced. */
export const validSessionId = (sid: string | undefined): sid is string =>
  typeof sid === 'string' && /^[\w-]{24}$/.test(sid)

/** The store sees a hash of the id, never the id a cookie carries. */
const storeKey = (sid: string): string => createHash('sha256').update(sid).digest('base64url')

export class Sessions {
  readonly #secret: string
  readonly #token: string | undefined
  readonly #idle: number
  readonly #maxAge: number
  readonly #store: SessionStore

  /** Throws DashboardConfigError when the options would leave the dashboard open. */
  constructor(options: DashboardOptions) {
    const token = resolveToken(options)
    this.#token = token
    this.#idle = duration('session.idleTimeout', options.session?.idleTimeout, DEFAULT_IDLE)
    this.#maxAge = duration('session.maxAge', options.session?.maxAge, DEFAULT_MAX_AGE)
    this.#store = options.session?.store ?? new MemorySessionStore()
    // Derived from the token so that every process started with the same
    // token accepts the others' forms.
    this.#secret =
      options.secret ??
      (token ? hmac(token, 'sequelize-async csrf') : randomBytes(32).toString('hex'))
  }

  get requiresLogin(): boolean {
    return this.#token !== undefined
  }

  csrfToken(sid: string): string {
    return hmac(this.#secret, `csrf:${sid}`)
  }

  checkCsrf(sid: string | undefined, sent: string | undefined): boolean {
    return validSessionId(sid) && typeof sent === 'string' && sameSecret(this.csrfToken(sid), sent)
  }

  checkToken(sent: string | undefined): boolean {
    return this.#token !== undefined && typeof sent === 'string' && sameSecret(this.#token, sent)
  }

  /** Whether `sid` is a live login; extends its idle time, deletes it once expired. */
  async isLoggedIn(sid: string): Promise<boolean> {
    if (!this.#token) return true
    const key = storeKey(sid)
    const record = await this.#store.get(key)
    if (!record) return false
    const now = Date.now()
    const left = Math.min(record.lastSeenAt + this.#idle, record.createdAt + this.#maxAge) - now
    if (left <= 0) {
      await this.#store.delete(key)
      return false
    }
    const remaining = record.createdAt + this.#maxAge - now
    await this.#store.set(key, { ...record, lastSeenAt: now }, Math.min(this.#idle, remaining))
    return true
  }

  /** A new logged-in session id; the one the browser had before is dropped. */
  async login(previous: string | undefined): Promise<string> {
    if (validSessionId(previous)) await this.#store.delete(storeKey(previous))
    const sid = newSessionId()
    const now = Date.now()
    await this.#store.set(
      storeKey(sid),
      { createdAt: now, lastSeenAt: now },
      Math.min(this.#idle, this.#maxAge),
    )
    return sid
  }

  /** Ends the session on the server: its cookie, if kept or copied, no longer logs in. */
  async logout(sid: string): Promise<void> {
    await this.#store.delete(storeKey(sid))
  }
}
