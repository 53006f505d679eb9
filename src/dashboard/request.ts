/**
 * What the dashboard needs from a request, whether it came from Express
 * (mount path already stripped into `req.baseUrl`, maybe a parsed `req.body`)
 * or straight from `http.createServer` (mount path given as `basePath`).
 */
import type { IncomingMessage } from 'node:http'

/** A request as Express or node:http hands it over. */
export type DashboardRequest = IncomingMessage & { baseUrl?: string; body?: unknown }

export interface Incoming {
  method: string
  /** Mount path without a trailing slash ('' at the root); links start with it. */
  base: string
  /** Path below the mount path, always starting with '/'. */
  path: string
  query: URLSearchParams
  cookies: Map<string, string>
  bearer: string | undefined
  /** Came over TLS (to us, or to the trusted proxy in front). */
  secure: boolean
  /** The client's address: the socket's, or with trustProxy what the proxy says. */
  address: string
}

/** A POST body larger than any dashboard form. */
export class FormTooLarge extends Error {
  override name = 'FormTooLarge'
}

/** Forms are a few fields; anything bigger is not ours. */
const MAX_BODY = 16 * 1024

const trimSlash = (path: string): string => path.replace(/\/+$/, '')

/**
 * The last value of a header a proxy appends to (`X-Forwarded-For: a, b`):
 * the one our proxy added. Earlier values came from the client and prove nothing.
 */
function lastForwarded(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value
  const last = joined?.split(',').pop()?.trim()
  return last || undefined
}

/** Parses the request line; undefined when it is outside `basePath`. */
export function parseRequest(
  req: DashboardRequest,
  basePath = '',
  trustProxy = false,
): Incoming | undefined {
  const url = new URL(req.url ?? '/', 'http://dashboard.invalid')
  let base: string
  let path = url.pathname
  if (typeof req.baseUrl === 'string') {
    base = trimSlash(req.baseUrl)
  } else {
    base = trimSlash(basePath)
    if (path !== base && !path.startsWith(`${base}/`)) return undefined
    path = path.slice(base.length)
  }
  const authorization = req.headers.authorization
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim()
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    base,
    path: path === '' ? '/' : path,
    query: url.searchParams,
    cookies: parseCookies(req.headers.cookie),
    bearer,
    ...origin(req, trustProxy),
  }
}

function origin(req: DashboardRequest, trustProxy: boolean): Pick<Incoming, 'secure' | 'address'> {
  const socket = req.socket as { encrypted?: boolean; remoteAddress?: string } | undefined
  const direct = { secure: Boolean(socket?.encrypted), address: socket?.remoteAddress ?? 'unknown' }
  if (!trustProxy) return direct
  const proto = lastForwarded(req.headers['x-forwarded-proto'])
  return {
    secure: direct.secure || proto?.toLowerCase() === 'https',
    address: lastForwarded(req.headers['x-forwarded-for']) ?? direct.address,
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    // First one wins, as browsers send the most specific path first.
    if (!cookies.has(name)) cookies.set(name, safeDecode(part.slice(eq + 1).trim()))
  }
  return cookies
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** The urlencoded form fields; reuses a body an Express middleware parsed already. */
export async function readForm(req: DashboardRequest): Promise<URLSearchParams> {
  if (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
    const form = new URLSearchParams()
    for (const [key, value] of Object.entries(req.body as Record<string, unknown>)) {
      if (typeof value === 'string') form.set(key, value)
    }
    return form
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) throw new FormTooLarge(`A dashboard form is at most ${MAX_BODY} bytes.`)
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}
