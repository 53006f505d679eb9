/**
 * `GET <mount>/metrics`: the Prometheus exposition of `tasks.metrics()`.
 *
 * Who may scrape: whoever may see the dashboard (a session, or
 * `Authorization: Bearer <token>`; anyone with `auth: false`), and, when the
 * host sets `metricsToken`, a scraper sending `Authorization: Bearer
 * <metricsToken>`. That second token opens this route only, so Prometheus
 * need not hold the dashboard token, which can retry, cancel and delete tasks.
 */
import { METRICS_CONTENT_TYPE } from '../../metrics/index.js'
import { DashboardConfigError, MIN_TOKEN_LENGTH } from '../auth-options.js'
import type { DashboardOptions } from '../options.js'
import type { Page } from '../page.js'
import type { Incoming } from '../request.js'
import type { Reply } from '../response.js'
import { sameSecret } from '../session.js'
import { throttleKey, type LoginThrottle } from '../throttle.js'

export const METRICS_PATH = '/metrics'

/** Checks the `metricsToken` option: undefined, or a string of 16+ characters unlike `token`. */
export function resolveMetricsToken(options: DashboardOptions): string | undefined {
  const { metricsToken, token } = options as { metricsToken: unknown; token: unknown }
  if (metricsToken === undefined) return undefined
  if (options.auth === false) {
    throw new DashboardConfigError(
      'The dashboard option metricsToken protects nothing with auth: false, which serves every page, /metrics too, without a login; protect the route in your app, or pass token and metricsToken.',
    )
  }
  if (typeof metricsToken !== 'string' || metricsToken.length < MIN_TOKEN_LENGTH) {
    throw new DashboardConfigError(
      `The dashboard option metricsToken must be a random string of ${MIN_TOKEN_LENGTH}+ characters (e.g. \`openssl rand -hex 24\`); leave it out to scrape with the dashboard token.`,
    )
  }
  if (metricsToken === token) {
    throw new DashboardConfigError(
      'The dashboard option metricsToken is the dashboard token; give the scraper a token of its own, so it cannot act on tasks.',
    )
  }
  return metricsToken
}

/**
 * Whether the request is a scrape of /metrics with the right metricsToken.
 * An address slowed down after wrong tokens is not even compared.
 */
export function scrapesWithMetricsToken(
  metricsToken: string | undefined,
  throttle: LoginThrottle,
  req: Incoming,
): boolean {
  if (metricsToken === undefined || req.bearer === undefined || req.path !== METRICS_PATH)
    return false
  const address = throttleKey(req.address)
  if (throttle.retryAfter(address) > 0) return false
  if (!sameSecret(metricsToken, req.bearer)) return false
  throttle.succeed(address)
  return true
}

/** A refused scrape: plain text for a scraper, rather than the login page. */
export const scrapeRefused = (): Reply => ({
  status: 401,
  headers: {
    'WWW-Authenticate': 'Bearer realm="sequelize-async"',
    'Content-Type': 'text/plain; charset=utf-8',
  },
  body: 'Log in first: send Authorization: Bearer <token> (the dashboard token or its metricsToken).\n',
})

export async function showMetrics(page: Page): Promise<Reply> {
  return {
    status: 200,
    headers: { 'Content-Type': METRICS_CONTENT_TYPE },
    body: await page.tasks.metrics(),
  }
}
