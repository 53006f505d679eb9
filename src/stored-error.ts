/**
 * How an error is kept on a task: class name, message, stack, and its own
 * enumerable data fields (e.g. `code`), so that `task.result` can be rebuilt
 * as an `Error` that reads like the original.
 */
import { SerializationError } from './errors.js'

export interface StoredError {
  name: string
  message: string
  stack?: string
  code?: string | number
  cause?: StoredError
}

// A Map, not an object literal: a stored name such as "constructor",
// "toString" or "__proto__" must find nothing rather than what every object
// inherits (`new Object.prototype.toString()` throws; `new Object(msg)` is no error).
const BUILTIN = new Map<string, ErrorConstructor>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
])

// Causes kept on store (errorToJSON) go 3 deep; a stored row may claim more.
const MAX_CAUSES = 3

export function errorToJSON(err: Error, depth = 0): StoredError {
  const out: StoredError = {
    name: (typeof err.name === 'string' && err.name) || err.constructor?.name || 'Error',
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

/** Reads a field the stored error itself has (never one every object inherits). */
function own(stored: object, key: keyof StoredError): unknown {
  return Object.hasOwn(stored, key) ? (stored as Record<string, unknown>)[key] : undefined
}

/**
 * Rebuilds an Error from its stored form. The stored form may come from a
 * row anyone with database access wrote, so only its own fields are read
 * and the class is one of JavaScript's error classes (else `Error`), with
 * the stored name set on it.
 */
export function errorFromJSON(stored: StoredError, depth = 0): Error {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) {
    throw new SerializationError('Stored error is not an object with a name and a message.')
  }
  const rawName = own(stored, 'name')
  const name = typeof rawName === 'string' && rawName !== '' ? rawName : 'Error'
  const rawMessage = own(stored, 'message')
  const message = typeof rawMessage === 'string' ? rawMessage : ''
  const err = new (BUILTIN.get(name) ?? Error)(message)
  if (err.name !== name) {
    Object.defineProperty(err, 'name', {
      value: name,
      enumerable: false,
      writable: true,
      configurable: true,
    })
  }
  const stack = own(stored, 'stack')
  err.stack = typeof stack === 'string' ? stack : `${name}: ${message}`
  const code = own(stored, 'code')
  if (typeof code === 'string' || typeof code === 'number') {
    ;(err as { code?: string | number }).code = code
  }
  const cause = own(stored, 'cause')
  if (cause !== undefined && depth < MAX_CAUSES) {
    err.cause = errorFromJSON(cause as StoredError, depth + 1)
  }
  return err
}
