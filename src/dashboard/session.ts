/**
 * Sessions without server state, so any number of processes can serve one
 * dashboard: a random session id in a cookie, and two HMACs of it.
 *
 * - CSRF: every form carries HMAC(secret, 'csrf:' + sid). A cross-site page
 *   can make the browser send the cookie (not with SameSite=Strict, but older
 *   browsers ignore it) yet cannot read the page to learn the HMAC.
 * - Login: the auth cookie is HMAC(token, 'auth:' + sid); it proves the token
 *   was typed in this session without storing the token in the browser.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const SID_COOKIE = 'async_sid'
export const AUTH_COOKIE = 'async_auth'

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

export class Sessions {
  readonly #secret: string
  readonly #token: string | undefined

  constructor(token: string | undefined, secret: string | undefined) {
    this.#token = token
    // Derived from the token so that every process started with the same
    // token accepts the others' forms.
    this.#secret =
      secret ?? (token ? hmac(token, 'sequelize-async csrf') : randomBytes(32).toString('hex'))
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

  /** The auth cookie value for a session that presented the right token. */
  authValue(sid: string): string {
    return hmac(this.#token ?? '', `auth:${sid}`)
  }

  checkToken(sent: string | undefined): boolean {
    return this.#token !== undefined && typeof sent === 'string' && sameSecret(this.#token, sent)
  }

  /** Logged in by cookie (bound to this session) or by `Authorization: Bearer`. */
  isAuthenticated(sid: string | undefined, auth: string | undefined, bearer?: string): boolean {
    if (!this.#token) return true
    if (bearer !== undefined) return this.checkToken(bearer)
    return validSessionId(sid) && typeof auth === 'string' && sameSecret(this.authValue(sid), auth)
  }
}
