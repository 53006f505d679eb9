/**
 * The web dashboard: server-rendered pages over the AsyncTask table (overview,
 * task list and detail with retry/cancel/delete, recurring tasks, workers).
 *
 * ```ts
 * app.use('/async', tasks.dashboard({ token: process.env.ASYNC_DASHBOARD_TOKEN }))
 * app.use('/admin/async', requireAdmin, tasks.dashboard({ auth: false }))
 * http.createServer(dashboard(tasks, { basePath: '/async', token }))
 * ```
 */
import type { AsyncTasks } from '../install.js'
import { createHandler, type DashboardHandler } from './handler.js'
import type { DashboardOptions } from './options.js'

export type { DashboardOptions, SessionOptions } from './options.js'
export type { SessionRecord, SessionStore } from './session-store.js'
export { DashboardConfigError } from './auth-options.js'
export type { DashboardHandler } from './handler.js'
export type { DashboardRequest } from './request.js'
export {
  startDashboardServer,
  type DashboardServer,
  type DashboardServerOptions,
} from './server.js'

/**
 * A request handler serving the dashboard of `tasks`: Express middleware
 * (`app.use('/async', …)`) or a plain `http.createServer` handler (give
 * `basePath`). Every request needs a login with `token` or
 * `Authorization: Bearer <token>`, unless `auth: false`; every POST needs the
 * page's CSRF token. Throws DashboardConfigError when there is neither a
 * token of 16+ characters nor `auth: false`.
 */
export function dashboard(tasks: AsyncTasks, options: DashboardOptions = {}): DashboardHandler {
  return createHandler(tasks, options)
}

/** The same as `dashboard()`, under the name the design notes use. */
export const createDashboard = dashboard
