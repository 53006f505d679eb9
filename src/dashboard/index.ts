/**
 * The web dashboard: server-rendered pages over the AsyncTask table (overview,
 * task list and detail with retry/cancel/delete, recurring tasks, workers).
 *
 * ```ts
 * app.use('/async', tasks.dashboard({ token: process.env.ASYNC_DASHBOARD_TOKEN }))
 * http.createServer(dashboard(tasks, { basePath: '/async' }))
 * ```
 */
import type { AsyncTasks } from '../install.js'
import { createHandler, type DashboardHandler } from './handler.js'
import type { DashboardOptions } from './options.js'

export type { DashboardOptions } from './options.js'
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
 * `basePath`). Every POST needs the page's CSRF token; with `token` every
 * request also needs a login or `Authorization: Bearer <token>`.
 */
export function dashboard(tasks: AsyncTasks, options: DashboardOptions = {}): DashboardHandler {
  return createHandler(tasks, options)
}

/** The same as `dashboard()`, under the name the design notes use. */
export const createDashboard = dashboard
