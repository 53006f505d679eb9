/**
 * Loads `@opentelemetry/api`, an optional peer, only when the app asked for
 * tracing (`installAsync(sequelize, { tracing: true })`). Nothing in the
 * package imports it statically, so an app without it neither installs nor
 * loads it, and an app that has it (often as a dependency of something
 * else) pays nothing until it opts in.
 */
import { createRequire } from 'node:module'
import type * as OpenTelemetry from '@opentelemetry/api'
import { AsyncTaskError } from '../errors.js'

export type OtelApi = typeof OpenTelemetry

const HOW =
  'npm install @opentelemetry/api, and register a tracer provider with an OpenTelemetry SDK before installAsync() (docs/observability.md)'

/** Checks the `tracing` option; resolves to the API when tracing is on, null when off. */
export function loadOtelApi(option: unknown): OtelApi | null {
  if (option === undefined || option === false) return null
  if (option !== true) {
    throw new AsyncTaskError(
      `installAsync option tracing takes true or false; got ${typeof option}.`,
    )
  }
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as OtelApi
  } catch (err) {
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND') {
      throw new AsyncTaskError(`tracing: true needs the package @opentelemetry/api: ${HOW}.`)
    }
    throw err
  }
}
