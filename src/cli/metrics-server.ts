/**
 * `script/async run|start --metrics-port=P`: a worker process that serves its
 * own Prometheus metrics at `/metrics`. The finished-task counters and the
 * run-time histogram live in the process that runs the tasks, so a daemon
 * worker is the only place they can be read; the database gauges come along.
 *
 * Loopback only unless ASYNC_METRICS_TOKEN is set (the same variable
 * `script/async dashboard` reads): then every scrape must send it as a
 * bearer token. Daemon `--uid=N` listens on P + N − 1, so one flag serves
 * a host's whole set of daemons.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { MIN_TOKEN_LENGTH } from '../dashboard/auth-options.js'
import { METRICS_CONTENT_TYPE } from '../metrics/exposition.js'
import { ConfigError } from './host-config.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

export interface MetricsEndpoint {
  host: string
  port: number
  token: string | undefined
}

/** Where this worker serves its metrics, checked before anything runs; undefined: not asked for. */
export function metricsEndpoint(
  flags: { metricsPort?: number; metricsHost?: string },
  uid: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
): MetricsEndpoint | undefined {
  if (flags.metricsPort === undefined) {
    if (flags.metricsHost !== undefined)
      throw new ConfigError('--metrics-host needs --metrics-port=P as well.')
    return undefined
  }
  const host = flags.metricsHost ?? '127.0.0.1'
  const port = flags.metricsPort + (uid ?? 1) - 1
  if (port > 65535)
    throw new ConfigError(
      `--metrics-port=${flags.metricsPort} puts daemon ${uid} on port ${port}, past 65535: choose a lower port.`,
    )
  const token = env.ASYNC_METRICS_TOKEN || undefined
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
    throw new ConfigError(
      `ASYNC_METRICS_TOKEN is ${token.length} characters, too short to resist guessing: ` +
        `use a random string of ${MIN_TOKEN_LENGTH}+ characters, e.g. "$(openssl rand -hex 24)".`,
    )
  if (token === undefined && !LOOPBACK.has(host))
    throw new ConfigError(
      `--metrics-host=${host} lets other machines read this worker's metrics: set ASYNC_METRICS_TOKEN ` +
        `to a random string of ${MIN_TOKEN_LENGTH}+ characters (Prometheus sends it as a bearer token), ` +
        'or leave --metrics-host out to serve on 127.0.0.1 only.',
    )
  return { host, port, token }
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

function authorized(request: IncomingMessage, expected: Buffer | undefined): boolean {
  if (expected === undefined) return true
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return match !== null && timingSafeEqual(digest(match[1]!), expected)
}

/** Listens on the endpoint; rejects if the port is taken, before the worker claims anything. */
export function serveMetrics(
  endpoint: MetricsEndpoint,
  collect: () => Promise<string>,
): Promise<Server> {
  const expected = endpoint.token === undefined ? undefined : digest(endpoint.token)
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    const text = (status: number, body: string, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers })
      response.end(body)
    }
    if (path !== '/metrics') return text(404, 'Not found: this worker serves /metrics only.\n')
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return text(405, 'Use GET.\n', { allow: 'GET, HEAD' })
    if (!authorized(request, expected))
      return text(401, 'This worker wants its ASYNC_METRICS_TOKEN as a bearer token.\n', {
        'www-authenticate': 'Bearer realm="sequelize-async metrics"',
      })
    collect().then(
      (body) => {
        response.writeHead(200, {
          'content-type': METRICS_CONTENT_TYPE,
          'cache-control': 'no-store',
        })
        response.end(request.method === 'HEAD' ? undefined : body)
      },
      (error: unknown) => text(500, `# metrics failed: ${(error as Error).message}\n`),
    )
  })
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(
              `Metrics port ${endpoint.host}:${endpoint.port} is taken (another worker, or another program): ` +
                'give this worker another --metrics-port.',
            )
          : error,
      ),
    )
    server.listen(endpoint.port, endpoint.host, () => resolve(server))
  })
}
