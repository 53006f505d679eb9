/**
 * The token rules, checked when the host creates the dashboard rather than
 * at the first request: `token: process.env.ASYNC_DASHBOARD_TOKEN` with the
 * variable unset must stop the app at start-up, not serve an open dashboard.
 */
import { AsyncTaskError } from '../errors.js'
import type { DashboardOptions } from './options.js'

/** The dashboard was set up in a way that would leave it open or broken. */
export class DashboardConfigError extends AsyncTaskError {
  override name = 'DashboardConfigError'
}

/** Shorter tokens can be guessed or typed from memory; 16 is the floor of the issue. */
export const MIN_TOKEN_LENGTH = 16

export const TOKEN_ADVICE =
  `set ASYNC_DASHBOARD_TOKEN to a random string of ${MIN_TOKEN_LENGTH}+ characters, ` +
  'e.g. `openssl rand -hex 24`, and pass it as `token: process.env.ASYNC_DASHBOARD_TOKEN`'

const OR_AUTH_FALSE = 'or pass `auth: false` if your app protects this route itself'

/** The token to require, or undefined when the host turned the login off. */
export function resolveToken(options: DashboardOptions): string | undefined {
  const { token, auth = true } = options
  if (typeof auth !== 'boolean') {
    throw new DashboardConfigError(
      `The dashboard option auth takes true or false, not ${typeof auth}.`,
    )
  }
  if (token !== undefined && typeof token !== 'string') {
    throw new DashboardConfigError(`The dashboard token must be a string, not ${typeof token}.`)
  }
  if (!auth) {
    if (token) {
      throw new DashboardConfigError(
        'The dashboard got both a token and auth: false; pass the token to require a login, or auth: false to serve it without one.',
      )
    }
    return undefined
  }
  if (!token) {
    throw new DashboardConfigError(
      `The dashboard has no token (an unset or empty environment variable gives none) and would be open to anyone: ${TOKEN_ADVICE}, ${OR_AUTH_FALSE}.`,
    )
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new DashboardConfigError(
      `The dashboard token is ${token.length} characters, too short to resist guessing: ${TOKEN_ADVICE}.`,
    )
  }
  return token
}

/** A positive number of milliseconds, or a clear error naming the option. */
export function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new DashboardConfigError(`The dashboard option ${name} takes a positive number of ms.`)
  }
  return value
}
