/**
 * `script/async dashboard`: the standalone dashboard server, until
 * SIGTERM/SIGINT, with Prometheus metrics at `/metrics` (scraped with the
 * dashboard token, or with ASYNC_METRICS_TOKEN when set).
 */
import type { AsyncTasks } from '../../install.js'
import { MIN_TOKEN_LENGTH } from '../../dashboard/auth-options.js'
import { startDashboardServer } from '../../dashboard/server.js'
import { closeDatabase } from '../foreground.js'
import { ConfigError } from '../host-config.js'
import type { InspectArgs } from './args.js'

const HOW =
  `set ASYNC_DASHBOARD_TOKEN to a random string of ${MIN_TOKEN_LENGTH}+ characters, e.g.\n` +
  '  export ASYNC_DASHBOARD_TOKEN="$(openssl rand -hex 24)"\n' +
  "(in the app's environment or its .env file), then run `node script/async dashboard` again.\n" +
  '--token=T works too, but other users of the machine see it in `ps`.'

/**
 * The token to serve with: `--token`, else ASYNC_DASHBOARD_TOKEN read now —
 * after config/async.cjs ran, so a token in the app's .env (loaded by
 * dotenv there) counts.
 */
export function dashboardToken(args: InspectArgs, env = process.env): string {
  const token = args.token ?? env.ASYNC_DASHBOARD_TOKEN ?? ''
  if (token === '') {
    throw new ConfigError(`The dashboard needs a token and none is set: ${HOW}`)
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `The dashboard token is ${token.length} characters, too short to resist guessing: ${HOW}`,
    )
  }
  return token
}

export async function serveDashboard(tasks: AsyncTasks, args: InspectArgs): Promise<void> {
  let server
  try {
    server = await startDashboardServer({
      tasks,
      port: args.port,
      host: args.host,
      token: dashboardToken(args),
      // Read after config/async.cjs, like the token; a bearer token for /metrics only.
      metricsToken: process.env.ASYNC_METRICS_TOKEN || undefined,
    })
  } catch (error) {
    // The app's database is open already; left open it keeps the process alive.
    await closeDatabase(tasks)
    throw error
  }
  const stop = (): void => {
    void server.close().then(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
