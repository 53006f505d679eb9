/**
 * Options of the dashboard handler, shared by the mountable handler and the
 * standalone server.
 */

/** Options of `dashboard(tasks, options)`. */
export interface DashboardOptions {
  /**
   * Require this token (login form or `Authorization: Bearer`). Without it the
   * handler trusts whoever reaches its mount path: protect that path in the
   * host app as you would any admin page.
   */
  token?: string
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
  /** Mark the cookies `Secure` (serve over HTTPS). Default: when the request came over TLS. */
  secureCookies?: boolean
  /** Rows per page of the task list. Default 50. */
  pageSize?: number
}
