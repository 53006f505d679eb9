/** What every page handler receives, and the reply helpers they share. */
import type { AsyncTasks } from '../install.js'
import type { Incoming } from './request.js'
import { render, type Frame, type ViewName } from './render.js'
import type { Reply } from './response.js'

export interface Page {
  tasks: AsyncTasks
  req: Incoming
  frame: Frame
  pageSize: number
  /** The urlencoded form of a POST (empty for GET). */
  form: URLSearchParams
}

export type Handler = (page: Page, params: string[]) => Promise<Reply>

export const html = (
  page: Page,
  view: ViewName,
  title: string,
  data: object,
  status = 200,
): Reply => ({ status, body: render(view, title, page.frame, data) })

export const problemPage = (page: Page, status: number, heading: string, message: string): Reply =>
  html(page, 'problem', heading, { heading, message }, status)

export const notFound = (page: Page, what = 'This page'): Reply =>
  problemPage(page, 404, 'Not found', `${what} does not exist (any more).`)

/** Fixed notices shown after an action; the query names one, never carries text. */
const NOTICES: Record<string, string> = {
  retried: 'The task will run again as soon as a worker is free.',
  cancelled: 'The task was cancelled.',
  deleted: 'The task was deleted.',
  paused: 'The queue is paused; workers finish what they run and take no more from it.',
  resumed: 'The queue was resumed.',
}

/** The notice a query names; own keys only (`?notice=constructor` is nothing). */
export const noticeOf = (name: string | null): string | undefined =>
  name !== null && Object.hasOwn(NOTICES, name) ? NOTICES[name] : undefined
