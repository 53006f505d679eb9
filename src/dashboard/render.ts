/**
 * Handlebars, in an environment of our own (a host's helpers and partials
 * cannot leak in), with escaping on: every `{{value}}` is HTML-escaped and
 * no template uses `{{{`. Templates are TypeScript strings so the bundled
 * package carries them (tsup does not copy .hbs files).
 */
import { createRequire } from 'node:module'
import type HandlebarsNs from 'handlebars'
import { chart } from './views/chart.js'
import { confirm } from './views/confirm.js'
import { layout } from './views/layout.js'
import { login } from './views/login.js'
import { overview } from './views/overview.js'
import { problem } from './views/problem.js'
import { schedules } from './views/schedules.js'
import { task } from './views/task.js'
import { tasks } from './views/tasks.js'
import { workers } from './views/workers.js'

/** Every template by name; tests check that none uses a triple-stash. */
export const templates = {
  chart,
  confirm,
  layout,
  login,
  overview,
  problem,
  schedules,
  task,
  tasks,
  workers,
} as const

export type ViewName = Exclude<keyof typeof templates, 'layout' | 'chart'>

// Compiled by the first page served, not at import: a worker process never
// renders, and Handlebars costs it about 8 MB of memory.
let page: HandlebarsNs.TemplateDelegate | undefined
function compiled(): HandlebarsNs.TemplateDelegate {
  if (page) return page
  const Handlebars = createRequire(import.meta.url)('handlebars') as typeof HandlebarsNs
  const env = Handlebars.create()
  for (const [name, source] of Object.entries(templates)) {
    if (name !== 'layout') env.registerPartial(name, source)
  }
  return (page = env.compile(layout, { strict: false }))
}

/** Data shared by every page (navigation, the CSRF token, the mount path). */
export interface Frame {
  base: string
  csrf: string
  showLogout: boolean
  /** Navigation only for those logged in: the login page shows nothing else. */
  showNav: boolean
  path: string
  notice?: string
}

const NAV = [
  { label: 'Overview', path: '/' },
  { label: 'Tasks', path: '/tasks' },
  { label: 'Failed', path: '/tasks?status=failed' },
  { label: 'Recurring', path: '/schedules' },
  { label: 'Workers', path: '/workers' },
]

export function render(view: ViewName, title: string, frame: Frame, data: object): string {
  const nav = (frame.showNav ? NAV : []).map((item) => ({
    label: item.label,
    href: `${frame.base}${item.path}`,
    here: item.path === frame.path,
  }))
  return compiled()({ ...data, ...frame, title, view, nav })
}
