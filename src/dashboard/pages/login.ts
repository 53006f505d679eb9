/**
 * Logging in with the token: the form posts it once; the reply sets the auth
 * cookie (an HMAC bound to this session) and never echoes the token.
 */
import { html, type Page } from '../page.js'
import { redirect, type Reply } from '../response.js'
import { AUTH_COOKIE, type Sessions } from '../session.js'

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

export function submitLogin(page: Page, sessions: Sessions, sid: string): Reply {
  const next = safeNext(page.frame.base, page.form.get('next'))
  if (!sessions.checkToken(page.form.get('token') ?? undefined)) {
    return loginPage(page, next, 'That token is not right.')
  }
  return {
    ...redirect(next),
    cookies: [
      {
        name: AUTH_COOKIE,
        value: sessions.authValue(sid),
        path: page.frame.base || '/',
        secure: page.req.secure,
      },
    ],
  }
}
