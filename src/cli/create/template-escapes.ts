/**
 * One escape per language the templates write. Handlebars' `{{value}}`
 * escapes for HTML (`'` becomes `&#x27;`), which is wrong in every file
 * create-async writes, so each substitution names its language instead:
 * `{{js value}}`, `{{unit value}}`, `{{exec value}}`, `{{text value}}`
 * (test/scaffold-escaping.test.ts checks that no template uses a bare one).
 */
import Handlebars from 'handlebars'
import type { NodePlopAPI } from 'node-plop'

/** A value that cannot be written into a generated file at all. */
export class TemplateValueError extends Error {
  override name = 'TemplateValueError'
}

// Control characters end a comment line, a unit line or a shell word; no
// path or name the scaffolder writes needs one, so they are refused upstream
// (options.ts) and here again, should a computed value carry one.
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/

function plain(value: unknown, where: string): string {
  const text = String(value)
  if (CONTROL.test(text)) {
    throw new TemplateValueError(
      `${JSON.stringify(text)} holds a control character (a line break?) and cannot go into ${where}`,
    )
  }
  return text
}

/**
 * A JavaScript literal: a single-quoted string (JSON's escapes, then `'`),
 * a number or boolean as is; an array as its items, comma-separated (the
 * template writes the brackets).
 */
export function jsLiteral(value: unknown): string {
  if (Array.isArray(value)) return value.map(jsLiteral).join(', ')
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  const body = JSON.stringify(String(value))
    .slice(1, -1)
    .replace(/\\"/g, '"')
    .replace(/'/g, "\\'")
    // Line terminators in JavaScript source, though JSON leaves them raw.
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
  return `'${body}'`
}

/**
 * The value of a systemd unit setting taken literally (WorkingDirectory=,
 * Description=, MemoryMax=): one line, `%` doubled so no specifier expands,
 * no trailing backslash (it would join the next line), no edge spaces (trimmed).
 */
export function unitValue(value: unknown): string {
  const text = plain(value, 'a systemd unit')
  if (/\\$/.test(text) || text !== text.trim()) {
    throw new TemplateValueError(
      `${JSON.stringify(text)} cannot be a systemd setting: it ends in a backslash or space`,
    )
  }
  return text.replace(/%/g, '%%')
}

/**
 * One argument of a systemd Exec line: double-quoted with C escapes, `%`
 * doubled (specifiers) and `$` doubled (environment variables), so the
 * command gets exactly this string.
 */
export function execArgument(value: unknown): string {
  const text = plain(value, 'a systemd Exec line')
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/%/g, '%%')
    .replace(/\$/g, '$$$$')
  return `"${escaped}"`
}

/** Text inside a `#` or `//` comment line: anything but a line break. */
export function commentText(value: unknown): string {
  return plain(value, 'a comment line')
}

// A helper's result is HTML-escaped too unless it is a SafeString.
const helper =
  (escape: (value: unknown) => string) =>
  (value: unknown): Handlebars.SafeString =>
    new Handlebars.SafeString(escape(value))

/** Registers the helpers on the generator's Handlebars. */
export function registerEscapes(plop: Pick<NodePlopAPI, 'setHelper'>): void {
  plop.setHelper('js', helper(jsLiteral))
  plop.setHelper('unit', helper(unitValue))
  plop.setHelper('exec', helper(execArgument))
  plop.setHelper('text', helper(commentText))
}
