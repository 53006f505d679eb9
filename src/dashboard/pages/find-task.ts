/** The task a URL names, or null for a missing or malformed id. */
import type { AsyncTask } from '../../task-model.js'
import type { Page } from '../page.js'

export async function findTask(page: Page, id: string | undefined): Promise<AsyncTask | null> {
  const n = Number(id)
  return Number.isSafeInteger(n) && n > 0 ? page.tasks.AsyncTask.findByPk(n) : null
}
