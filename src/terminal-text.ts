/**
 * Text from task rows on a terminal. Anyone who can write a row (an app bug,
 * a compromised process sharing the database, a task's own error message)
 * chooses its label, queue, error and stack; printed raw, an ESC or CSI
 * sequence in them could recolour, hide or rewrite what the operator sees,
 * set the window title, or on some terminals answer back as typed input.
 * So every row-derived string is printed with control characters escaped:
 * C0 (including ESC and CR), DEL, C1 (including the one-byte CSI U+009B),
 * and the Unicode controls that reorder text (bidi overrides, as in
 * "Trojan Source", and the line/paragraph separators).
 */

/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g
// As above, minus newline and tab.
const CONTROL_BUT_LAYOUT =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g
/* eslint-enable no-control-regex */
// What JSON.stringify leaves raw (it escapes only U+0000 to U+001F).
const CONTROL_ABOVE_ASCII = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function visible(char: string): string {
  const named = NAMED[char]
  if (named) return named
  const code = char.charCodeAt(0)
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`
}

/** One line of text (a table cell): every control character escaped, newlines too. */
export function escapeLine(value: string | number | null | undefined): string {
  return String(value ?? '').replace(CONTROL, visible)
}

/** Text meant to span lines (a stack, a message): newlines and tabs kept, the rest escaped. */
export function escapeBlock(value: string | number | null | undefined): string {
  return String(value ?? '').replace(CONTROL_BUT_LAYOUT, visible)
}

/**
 * JSON for `--json`: JSON.stringify escapes C0 itself; the characters it
 * leaves raw can only be inside strings, where `\uXXXX` means the same, so
 * the result is the same JSON, safe to print.
 */
export function terminalJson(
  value: unknown,
  indent: number | undefined = 2,
  replacer?: (key: string, value: unknown) => unknown,
): string {
  const json = JSON.stringify(value, replacer, indent) ?? 'undefined'
  return json.replace(
    CONTROL_ABOVE_ASCII,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** An error on its way to stderr, with its message and stack escaped the same way. */
export function escapeError(error: unknown): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? escapeBlock(error) : error
  try {
    error.message = escapeBlock(error.message)
    if (error.stack) error.stack = escapeBlock(error.stack)
  } catch {
    // A frozen error is printed as it is: rare, and the class must survive.
  }
  return error
}
