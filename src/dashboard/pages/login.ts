/**
 * Logging in and out with the token. The form posts it once; a right token
 * starts a new server-side session (new id, new cookie) and is never echoed;
 * wrong ones are counted per client address and slowed down.
 */
import { html, type Page } from '../page.js'
import type { Incoming } from '../request.js'
import { redirect, type Cookie, type Reply } from '../response.js'
import { newSessionId, SID_COOKIE, type Sessions } from '../session.js'
import { throttleKey, type LoginThrottle } from '../throttle.js'

/** What guards the dashboard: its sessions and the failed-login counter. */
export interface Guard {
  sessions: Sessions
  throttle: LoginThrottle
}

/** Where to go after login: only a path inside the dashboard, never another site. */
export function safeNext(base: string, next: string | null | undefined): string {
  const home = `${base}/`
  // Browsers drop tabs and newlines from URLs and read `\` as `/`, so
  // `/\tevil.example` would become `//evil.example`: refuse all of them.
  if (!next || !next.startsWith(`${base}/`) || next.startsWith('//') || /[\s\\]/.test(next)) {
    return home
  }
  return next
}

export function loginPage(page: Page, next: string, problem?: string, status = 401): Reply {
  return html(page, 'login', 'Log in', { next, problem }, status)
}

/** 429 with the wait, for a form or an API client. */
export function tooManyFailures(page: Page, seconds: number, next?: string): Reply {
  const problem = `Too many wrong tokens from your address; try again in ${seconds} s.`
  const reply =
    next === undefined
      ? html(page, 'problem', 'Slow down', { heading: 'Slow down', message: problem }, 429)
      : loginPage(page, next, problem, 429)
  return { ...reply, headers: { ...reply.headers, 'Retry-After': String(seconds) } }
}

/** The session cookie, scoped to the mount path. */
export const sessionCookie = (page: Page, sid: string): Cookie => ({
  name: SID_COOKIE,
  value: sid,
  path: page.frame.base || '/',
  secure: page.req.secure,
})

export async function submitLogin(page: Page, guard: Guard, sid: string): Promise<Reply> {
  const next = safeNext(page.frame.base, page.form.get('next'))
  const address = throttleKey(page.req.address)
  const wait = guard.throttle.retryAfter(address)
  if (wait > 0) return tooManyFailures(page, wait, next)
  if (!guard.sessions.checkToken(page.form.get('token') ?? undefined)) {
    guard.throttle.fail(address)
    return loginPage(page, next, 'That token is not right.')
  }
  guard.throttle.succeed(address)
  const fresh = await guard.sessions.login(sid)
  return { ...redirect(next), cookies: [sessionCookie(page, fresh)] }
}

/** Deletes the session on the server and gives the browser a fresh anonymous id. */
export async function submitLogout(page: Page, guard: Guard, sid: string): Promise<Reply> {
  await guard.sessions.logout(sid)
  return {
    ...redirect(`${page.frame.base}/login`),
    cookies: [sessionCookie(page, newSessionId())],
  }
}

/** Whether a request may see the pages, or must wait after failed logins. */
export type Access = { kind: 'in' } | { kind: 'out' } | { kind: 'wait'; seconds: number }

/**
 * By `Authorization: Bearer <token>` (a wrong one counts as a failed login,
 * and a blocked address is not even compared) or by a live session.
 */
export async function checkAccess(guard: Guard, req: Incoming, sid: string): Promise<Access> {
  if (!guard.sessions.requiresLogin) return { kind: 'in' }
  if (req.bearer === undefined) {
    return (await guard.sessions.isLoggedIn(sid)) ? { kind: 'in' } : { kind: 'out' }
  }
  const address = throttleKey(req.address)
  const seconds = guard.throttle.retryAfter(address)
  if (seconds > 0) return { kind: 'wait', seconds }
  if (guard.sessions.checkToken(req.bearer)) {
    guard.throttle.succeed(address)
    return { kind: 'in' }
  }
  guard.throttle.fail(address)
  return { kind: 'out' }
}
