/**
 * Writing responses: every one carries the security headers, whatever its
 * status, so an error page cannot be framed or run a script either.
 */
import type { ServerResponse } from 'node:http'

const SECURITY_HEADERS: Record<string, string> = {
  // No script at all: the pages work with plain forms and links.
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  // Pages show live task data and CSRF tokens: never from a cache.
  'Cache-Control': 'no-store',
}

export interface Cookie {
  name: string
  value: string
  path: string
  secure: boolean
  /** Seconds; 0 deletes the cookie. Default: a session cookie. */
  maxAge?: number
}

export function serializeCookie(cookie: Cookie): string {
  const parts = [
    `${cookie.name}=${encodeURIComponent(cookie.value)}`,
    `Path=${cookie.path || '/'}`,
    'HttpOnly',
    'SameSite=Strict',
  ]
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`)
  if (cookie.secure) parts.push('Secure')
  return parts.join('; ')
}

export interface Reply {
  status: number
  headers?: Record<string, string>
  body?: string
  cookies?: Cookie[]
}

export function send(res: ServerResponse, reply: Reply): void {
  const body = reply.body ?? ''
  res.statusCode = reply.status
  for (const [name, value] of Object.entries({ ...SECURITY_HEADERS, ...reply.headers })) {
    res.setHeader(name, value)
  }
  if (reply.cookies?.length) res.setHeader('Set-Cookie', reply.cookies.map(serializeCookie))
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'text/html; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.end(body)
}

/** 303 so the browser follows a POST with a GET (reloading does not repeat the action). */
export const redirect = (location: string): Reply => ({
  status: 303,
  headers: { Location: location },
})
