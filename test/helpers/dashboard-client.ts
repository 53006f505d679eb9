/**
 * A tiny browser stand-in for the dashboard's HTTP tests: keeps cookies,
 * does not follow redirects (tests look at them), and reads the CSRF token
 * out of a page the way a form would send it.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DashboardHandler } from '../../src/dashboard/index.js'

export interface Page {
  status: number
  headers: Headers
  html: string
}

export class Client {
  readonly cookies = new Map<string, string>()

  /** `headers` go with every request (e.g. the X-Forwarded-For of a proxy). */
  constructor(
    readonly origin: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Page> {
    const headers = new Headers({ ...this.headers, ...(init.headers as Record<string, string>) })
    if (this.cookies.size) {
      headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    const res = await fetch(`${this.origin}${path}`, { ...init, headers, redirect: 'manual' })
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const [name = '', value = ''] = pair.split('=')
      if (/Max-Age=0/.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return { status: res.status, headers: res.headers, html: await res.text() }
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(path, { headers })
  }

  post(path: string, form: Record<string, string>): Promise<Page> {
    return this.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    })
  }

  /** GETs `page` and POSTs to `action` with that page's CSRF token. */
  async submit(page: string, action: string, form: Record<string, string> = {}): Promise<Page> {
    const { html } = await this.get(page)
    return this.post(action, { _csrf: csrfOf(html), ...form })
  }
}

export function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1]
  if (!token) throw new Error('no CSRF token on the page')
  return token
}

/** Serves `handler` on 127.0.0.1 on a free port. */
export async function serve(handler: DashboardHandler | Parameters<typeof createServer>[1]) {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
