/**
 * The standalone dashboard server (`script/async dashboard`): binds 127.0.0.1
 * unless told otherwise and follows the handler's token rules — it refuses to
 * start without a token of 16+ characters (or an explicit `auth: false`).
 * It does not make one up: a generated token printed at start-up ends in log
 * files and changes at every restart.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AsyncTasks } from '../install.js'
import type { Logger } from '../logger.js'
import { createHandler } from './handler.js'
import type { DashboardOptions } from './options.js'

/** Options of startDashboardServer(). */
export interface DashboardServerOptions extends Omit<DashboardOptions, 'basePath'> {
  tasks: AsyncTasks
  /** Default 4400; 0 picks a free port. */
  port?: number
  /** Default 127.0.0.1: reachable from this machine only. */
  host?: string
  /** Where the address is printed (never the token). Default console. */
  logger?: Pick<Logger, 'info'>
}

/** A running dashboard server. */
export interface DashboardServer {
  server: Server
  /** `http://127.0.0.1:4400/` */
  url: string
  /** The token to log in with, as given (undefined with `auth: false`). */
  token: string | undefined
  close(): Promise<void>
}

/**
 * Serves the dashboard of `tasks` on its own port. Rejects with a
 * DashboardConfigError, before listening, when there is no token of 16+
 * characters and no `auth: false`.
 */
export async function startDashboardServer(
  options: DashboardServerOptions,
): Promise<DashboardServer> {
  const { tasks, port = 4400, host = '127.0.0.1', logger = console, ...rest } = options
  const server = createServer(createHandler(tasks, rest))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${shownHost}:${address.port}/`
  logger.info(`sequelize-async dashboard at ${url}`)
  if (rest.auth === false) {
    logger.info('No login (auth: false): whoever reaches this address can use the dashboard.')
  }
  return {
    server,
    url,
    token: rest.token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}
