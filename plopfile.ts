// The create-async generator. bin/create-async.js runs it through node-plop
// with the host app as destination; tsup builds it to dist/plopfile.js.
import type { NodePlopAPI } from 'node-plop'

import { appName } from './src/cli/create/host-layout.js'
import { plopFileAction } from './src/cli/create/file-action.js'
import type { MigrationPlan } from './src/cli/create/migration-plan.js'
import { registerEscapes } from './src/cli/create/template-escapes.js'
import { plannedFiles } from './src/cli/create/plan.js'
import { defaultAnswers, promptQuestions } from './src/cli/create/prompts.js'

export { runCreateAsync } from './src/cli/create/run.js'

/** Registers the `async` generator and the `async-file` action it uses. */
export default function plopfile(plop: NodePlopAPI): void {
  registerEscapes(plop)
  plop.setActionType('async-file', plopFileAction)
  plop.setGenerator('async', {
    description: 'background tasks for this Sequelize app (migration, script/async, configs)',
    prompts: promptQuestions(defaultAnswers(appName(plop.getDestBasePath()))),
    actions: (data) => {
      const { migration, esm, nestModule } = data as {
        migration: MigrationPlan | null
        esm: boolean
        nestModule: string | null
      }
      return plannedFiles(migration, esm, nestModule !== null)
    },
  })
}
