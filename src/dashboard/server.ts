/**
 * The standalone dashboard server (`script/async dashboard`): binds 127.0.0.1
 * unless told otherwise and never runs without a token — with none given it
 * makes one and prints it, so a dashboard is never open by accident.
 */
import { randomBytes } from 'node:crypto'
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
  /** Where the address and a generated token are printed. Default console. */
  logger?: Pick<Logger, 'info'>
}

/** A running dashboard server. */
export interface DashboardServer {
  server: Server
  /** `http://127.0.0.1:4400/` */
  url: string
  /** The token to log in with (the given one, or the generated one). */
  token: string
  close(): Promise<void>
}

export async function startDashboardServer(
  options: DashboardServerOptions,
): Promise<DashboardServer> {
  const { tasks, port = 4400, host = '127.0.0.1', logger = console, ...rest } = options
  const generated = !rest.token
  const token = rest.token || randomBytes(24).toString('base64url')
  const server = createServer(createHandler(tasks, { ...rest, token }))
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
  if (generated) logger.info(`Log in with the generated token: ${token}`)
  return {
    server,
    url,
    token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}
