/** `script/async dashboard`: the standalone dashboard server, until SIGTERM/SIGINT. */
import type { AsyncTasks } from '../../install.js'
import { startDashboardServer } from '../../dashboard/server.js'
import type { InspectArgs } from './args.js'

export async function serveDashboard(tasks: AsyncTasks, args: InspectArgs): Promise<void> {
  const server = await startDashboardServer({
    tasks,
    port: args.port,
    host: args.host,
    token: args.token,
  })
  const stop = (): void => {
    void server.close().then(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
