/**
 * How an error is kept on a task: class name, message, stack, and its own
 * enumerable data fields (e.g. `code`), so that `task.result` can be rebuilt
 * as an `Error` that reads like the original.
 */
export interface StoredError {
  name: string
  message: string
  stack?: string
  code?: string | number
  cause?: StoredError
}

const BUILTIN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
}

export function errorToJSON(err: Error, depth = 0): StoredError {
  const out: StoredError = {
    name: err.name || err.constructor?.name || 'Error',
    message: String(err.message),
  }
  if (typeof err.stack === 'string') out.stack = err.stack
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') out.code = code
  if (err.cause instanceof Error && depth < 3) out.cause = errorToJSON(err.cause, depth + 1)
  return out
}

/** Turns anything thrown (even a string) into a StoredError. */
export function thrownToJSON(thrown: unknown): StoredError {
  if (thrown instanceof Error) return errorToJSON(thrown)
  return { name: 'Error', message: `Non-error thrown: ${String(thrown)}` }
}

export function errorFromJSON(stored: StoredError): Error {
  const Ctor = BUILTIN[stored.name] ?? Error
  const err = new Ctor(stored.message)
  if (err.name !== stored.name) {
    Object.defineProperty(err, 'name', {
      value: stored.name,
      enumerable: false,
      writable: true,
      configurable: true,
    })
  }
  err.stack = stored.stack ?? `${stored.name}: ${stored.message}`
  if (stored.code !== undefined) (err as { code?: string | number }).code = stored.code
  if (stored.cause) err.cause = errorFromJSON(stored.cause)
  return err
}
