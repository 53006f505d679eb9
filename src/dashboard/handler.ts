/**
 * The request handler: session cookie, login, CSRF check on every POST, then
 * the route. Usable as Express middleware (`next` is called for paths outside
 * the mount) or as a plain `(req, res)` handler.
 */
import type { ServerResponse } from 'node:http'
import type { AsyncTasks } from '../install.js'
import type { DashboardOptions } from './options.js'
import { noticeOf, problemPage, type Page } from './page.js'
import {
  checkAccess,
  loginPage,
  safeNext,
  sessionCookie,
  submitLogin,
  submitLogout,
  tooManyFailures,
  type Access,
  type Guard,
} from './pages/login.js'
import {
  FormTooLarge,
  parseRequest,
  readForm,
  type DashboardRequest,
  type Incoming,
} from './request.js'
import { redirect, send, type Reply } from './response.js'
import { route } from './routes.js'
import { newSessionId, SID_COOKIE, Sessions, validSessionId } from './session.js'
import { LoginThrottle } from './throttle.js'
import {
  METRICS_PATH,
  resolveMetricsToken,
  scrapeRefused,
  scrapesWithMetricsToken,
} from './pages/metrics.js'

/** `(req, res, next?)`: Express middleware and node:http handler in one. */
export type DashboardHandler = (
  req: DashboardRequest,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void

interface Setup extends Guard {
  tasks: AsyncTasks
  pageSize: number
  metricsToken: string | undefined
}

/** Throws DashboardConfigError at once when the options would leave the dashboard open. */
export function createHandler(tasks: AsyncTasks, options: DashboardOptions = {}): DashboardHandler {
  const setup: Setup = {
    tasks,
    sessions: new Sessions(options),
    throttle: new LoginThrottle(),
    pageSize: options.pageSize ?? 50,
    metricsToken: resolveMetricsToken(options),
  }
  return (req, res, next) => {
    const incoming = parseRequest(req, options.basePath, options.trustProxy === true)
    if (!incoming) {
      if (next) return next()
      return send(res, { status: 404, body: 'Not found' })
    }
    if (options.secureCookies !== undefined) incoming.secure = options.secureCookies
    serve(setup, req, incoming)
      .then((reply) => send(res, reply))
      .catch((err: unknown) => {
        if (err instanceof FormTooLarge) send(res, { status: 413, body: err.message })
        else if (next) next(err)
        else {
          // A plain node:http server has no error middleware to hand this to.
          console.error('sequelize-async dashboard:', err)
          send(res, { status: 500, body: 'The dashboard failed; see the server log.' })
        }
      })
  }
}

async function serve(setup: Setup, req: DashboardRequest, incoming: Incoming): Promise<Reply> {
  const known = incoming.cookies.get(SID_COOKIE)
  const sid = validSessionId(known) ? known : newSessionId()
  const access: Access = scrapesWithMetricsToken(setup.metricsToken, setup.throttle, incoming)
    ? { kind: 'in' }
    : await checkAccess(setup, incoming, sid)
  const page: Page = {
    tasks: setup.tasks,
    req: incoming,
    pageSize: setup.pageSize,
    form: incoming.method === 'POST' ? await readForm(req) : new URLSearchParams(),
    frame: {
      base: incoming.base,
      csrf: setup.sessions.csrfToken(sid),
      showLogout:
        setup.sessions.requiresLogin && access.kind === 'in' && incoming.bearer === undefined,
      showNav: access.kind === 'in',
      path: incoming.path,
      notice: noticeOf(incoming.query.get('notice')),
    },
  }
  const reply = await decide(page, setup, sid, access)
  // A reply that starts or ends a session sets the cookie itself.
  const setsSid = reply.cookies?.some((c) => c.name === SID_COOKIE)
  const cookies = sid === known || setsSid ? [] : [sessionCookie(page, sid)]
  return { ...reply, cookies: [...cookies, ...(reply.cookies ?? [])] }
}

async function decide(page: Page, guard: Guard, sid: string, access: Access): Promise<Reply> {
  const { method, path, query } = page.req
  const base = page.frame.base
  if (method === 'POST' && !guard.sessions.checkCsrf(sid, page.form.get('_csrf') ?? undefined)) {
    // Before the login check too: a forged login or logout is refused as well.
    return problemPage(
      page,
      403,
      'Refused',
      'The form is missing its CSRF token or it expired; reload the page and try again.',
    )
  }
  if (access.kind === 'wait') return tooManyFailures(page, access.seconds)
  if (path === '/login') {
    if (method === 'POST') return submitLogin(page, guard, sid)
    const next = safeNext(base, query.get('next'))
    return access.kind === 'in' ? redirect(next) : loginPage(page, next, undefined, 200)
  }
  if (path === '/logout' && method === 'POST') return submitLogout(page, guard, sid)
  if (access.kind !== 'in') {
    if (path === METRICS_PATH) return scrapeRefused()
    const here = `${base}${path}${query.size ? `?${query.toString()}` : ''}`
    const reply = loginPage(page, method === 'GET' ? here : `${base}/`)
    return { ...reply, headers: { 'WWW-Authenticate': 'Bearer realm="sequelize-async"' } }
  }
  const match = route(method, path)
  if (match.kind === 'wrong-method')
    return problemPage(page, 405, 'Not allowed', `${method} is not allowed here.`)
  if (match.kind === 'none') return problemPage(page, 404, 'Not found', 'There is no such page.')
  return match.handler(page, match.params)
}
