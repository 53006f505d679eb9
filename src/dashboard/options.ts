/**
 * Options of the dashboard handler, shared by the mountable handler and the
 * standalone server.
 */
import type { SessionStore } from './session-store.js'

/** Options of `dashboard(tasks, options)`. */
export interface DashboardOptions {
  /**
   * The token to log in with (login form or `Authorization: Bearer`): a
   * random string of at least 16 characters, e.g. `openssl rand -hex 24`.
   * Required unless `auth` is `false`: the dashboard refuses to start without.
   */
  token?: string
  /**
   * `false` serves the dashboard without a login, for a route the host app
   * protects itself (e.g. `app.use('/async', requireAdmin, tasks.dashboard({ auth: false }))`).
   * Default `true`: a `token` is required.
   */
  auth?: boolean
  /**
   * Where the handler is mounted when used as a plain `(req, res)` handler of
   * `http.createServer`, e.g. `'/async'`. Express sets `req.baseUrl` itself.
   */
  basePath?: string
  /**
   * Key of the CSRF tokens. Default: derived from `token`, else random per
   * process; set it when several processes serve one dashboard without a token.
   */
  secret?: string
  /**
   * Mark the cookies `Secure`. Default: when the request came over TLS, or
   * with `trustProxy` when the proxy says so (`X-Forwarded-Proto: https`).
   */
  secureCookies?: boolean
  /**
   * The dashboard sits behind one reverse proxy that sets `X-Forwarded-Proto`
   * and `X-Forwarded-For`: believe those headers (for `Secure` cookies and for
   * the client address that failed logins are counted by). Default `false`:
   * a client could forge them.
   */
  trustProxy?: boolean
  /** How long a login lasts; where sessions are kept. */
  session?: SessionOptions
  /** Rows per page of the task list. Default 50. */
  pageSize?: number
  /**
   * A second bearer token, of 16+ characters, that opens only `GET /metrics`:
   * give it to Prometheus instead of `token`, which can act on tasks.
   * Default: none (scrape with `token`, or freely with `auth: false`).
   */
  metricsToken?: string
}

/** Lifetime and storage of the logins of a dashboard with a token. */
export interface SessionOptions {
  /** A session unused this long (ms) ends. Default 30 minutes. */
  idleTimeout?: number
  /** A session ends this long (ms) after its login, used or not. Default 8 hours. */
  maxAge?: number
  /**
   * Where sessions are kept. Default: in this process's memory (a restart
   * logs everyone out). Give a shared store when several processes serve one
   * dashboard without sticky sessions.
   */
  store?: SessionStore
}
