/**
 * The request handler: session cookie, login, CSRF check on every POST, then
 * the route. Usable as Express middleware (`next` is called for paths outside
 * the mount) or as a plain `(req, res)` handler.
 */
import type { ServerResponse } from 'node:http'
import type { AsyncTasks } from '../install.js'
import type { DashboardOptions } from './options.js'
import { noticeOf, problemPage, type Page } from './page.js'
import { loginPage, safeNext, submitLogin } from './pages/login.js'
import {
  FormTooLarge,
  parseRequest,
  readForm,
  type DashboardRequest,
  type Incoming,
} from './request.js'
import { redirect, send, type Cookie, type Reply } from './response.js'
import { route } from './routes.js'
import { AUTH_COOKIE, newSessionId, SID_COOKIE, Sessions, validSessionId } from './session.js'

/** `(req, res, next?)`: Express middleware and node:http handler in one. */
export type DashboardHandler = (
  req: DashboardRequest,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void

export function createHandler(tasks: AsyncTasks, options: DashboardOptions = {}): DashboardHandler {
  const sessions = new Sessions(options.token, options.secret)
  const pageSize = options.pageSize ?? 50
  return (req, res, next) => {
    const incoming = parseRequest(req, options.basePath)
    if (!incoming) {
      if (next) return next()
      return send(res, { status: 404, body: 'Not found' })
    }
    if (options.secureCookies !== undefined) incoming.secure = options.secureCookies
    serve(tasks, sessions, pageSize, req, incoming)
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

async function serve(
  tasks: AsyncTasks,
  sessions: Sessions,
  pageSize: number,
  req: DashboardRequest,
  incoming: Incoming,
): Promise<Reply> {
  const cookie = (name: string, value: string, maxAge?: number): Cookie => ({
    name,
    value,
    maxAge,
    path: incoming.base || '/',
    secure: incoming.secure,
  })
  const known = incoming.cookies.get(SID_COOKIE)
  const sid = validSessionId(known) ? known : newSessionId()
  const cookies = sid === known ? [] : [cookie(SID_COOKIE, sid)]
  const authCookie = incoming.cookies.get(AUTH_COOKIE)
  const loggedIn = sessions.isAuthenticated(sid, authCookie, incoming.bearer)
  const page: Page = {
    tasks,
    req: incoming,
    pageSize,
    form: incoming.method === 'POST' ? await readForm(req) : new URLSearchParams(),
    frame: {
      base: incoming.base,
      csrf: sessions.csrfToken(sid),
      showLogout: sessions.requiresLogin && loggedIn && incoming.bearer === undefined,
      showNav: loggedIn,
      path: incoming.path,
      notice: noticeOf(incoming.query.get('notice')),
    },
  }
  const reply = await decide(page, sessions, sid, loggedIn)
  if (incoming.path === '/logout' && reply.status === 303) cookies.push(cookie(AUTH_COOKIE, '', 0))
  return { ...reply, cookies: [...cookies, ...(reply.cookies ?? [])] }
}

async function decide(page: Page, sessions: Sessions, sid: string, loggedIn: boolean) {
  const { method, path, query } = page.req
  const base = page.frame.base
  if (method === 'POST' && !sessions.checkCsrf(sid, page.form.get('_csrf') ?? undefined)) {
    // Before the login check too: a forged login or logout is refused as well.
    return problemPage(
      page,
      403,
      'Refused',
      'The form is missing its CSRF token or it expired; reload the page and try again.',
    )
  }
  if (path === '/login') {
    if (method === 'POST') return submitLogin(page, sessions, sid)
    const next = safeNext(base, query.get('next'))
    return loggedIn ? redirect(next) : loginPage(page, next, undefined, 200)
  }
  if (path === '/logout' && method === 'POST') return redirect(`${base}/login`)
  if (!loggedIn) {
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
