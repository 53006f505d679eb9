/** Which handler serves which method and path (below the mount path). */
import type { Handler } from './page.js'
import { listSchedules } from './pages/schedules.js'
import { confirmAction, showTask } from './pages/task-detail.js'
import { runAction } from './pages/task-actions.js'
import { listTasks } from './pages/task-list.js'
import { setQueuePaused, showOverview } from './pages/overview.js'
import { listWorkers } from './pages/workers.js'
import { showMetrics } from './pages/metrics.js'

interface Route {
  method: 'GET' | 'POST'
  pattern: RegExp
  handler: Handler
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/$/, handler: showOverview },
  { method: 'GET', pattern: /^\/tasks$/, handler: listTasks },
  { method: 'GET', pattern: /^\/tasks\/(\d+)$/, handler: showTask },
  { method: 'GET', pattern: /^\/tasks\/(\d+)\/confirm$/, handler: confirmAction },
  { method: 'POST', pattern: /^\/tasks\/(\d+)\/(retry|cancel|delete)$/, handler: runAction },
  { method: 'POST', pattern: /^\/queues\/([^/]+)\/(pause|resume)$/, handler: setQueuePaused },
  { method: 'GET', pattern: /^\/schedules$/, handler: listSchedules },
  { method: 'GET', pattern: /^\/workers$/, handler: listWorkers },
  { method: 'GET', pattern: /^\/metrics$/, handler: showMetrics },
]

export type Match =
  | { kind: 'found'; handler: Handler; params: string[] }
  | { kind: 'wrong-method' }
  | { kind: 'none' }

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

export function route(method: string, path: string): Match {
  let wrongMethod = false
  for (const candidate of ROUTES) {
    const match = candidate.pattern.exec(path)
    if (!match) continue
    if (candidate.method !== (method === 'HEAD' ? 'GET' : method)) {
      wrongMethod = true
      continue
    }
    const params = match.slice(1).map(decode)
    if (params.some((p) => p === undefined)) return { kind: 'none' }
    return { kind: 'found', handler: candidate.handler, params: params as string[] }
  }
  return wrongMethod ? { kind: 'wrong-method' } : { kind: 'none' }
}
