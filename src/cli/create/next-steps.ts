import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import type { HostLayout } from './host-layout.js'
import type { TemplateData } from './plan.js'

/** What to do after create-async, for this host's layout and package manager. */
export function nextSteps(layout: HostLayout, data: TemplateData): string {
  const load = layout.importModels
    ? "import { installAsync } from 'sequelize-async'"
    : "const { installAsync } = require('sequelize-async')"
  const exported = layout.importModels ? 'export const tasks =' : 'db.tasks ='
  const install = installed(layout)
    ? [
        `  1. ${layout.modelsEntry} already calls installAsync; config/async.cjs uses its \`tasks\`.`,
      ]
    : [
        `  1. In ${layout.modelsEntry}, once the models are defined, install async and export it:`,
        `       ${load}`,
        `       ${exported} installAsync(sequelize, { classes: { /* plain classes a worker may run */ } })`,
        '     config/async.cjs loads that file and hands its `tasks` to the worker.',
      ]
  const lines = [
    '',
    'Next steps:',
    ...install,
    `  2. Create the tasks table:   ${data.migrateCommand}`,
    "  3. Enqueue from the app:     await order.async('sendConfirmationEmail')",
    '  4. Run workers:              node script/async          (foreground, Ctrl-C stops)',
    '                               node script/async start    (daemon; add --uid=N for more)',
    '                               node script/async stop     (stops them all)',
    `  Production: pm2 start config/async.pm2.config.cjs --env production (${data.workers} workers),`,
    '  or config/systemd/async-worker@.service; deploy tasks are in config/deploy/.',
  ]
  if (layout.typescript && !layout.hasTsx) {
    lines.push('  Your models are TypeScript: the worker loads them with tsx, so add it: npm i tsx')
  }
  return lines.join('\n')
}

/** Whether the models entry already installs async (a re-run, or done by hand). */
function installed(layout: HostLayout): boolean {
  const entry = join(layout.root, layout.modelsEntry)
  return existsSync(entry) && readFileSync(entry, 'utf8').includes('installAsync(')
}
