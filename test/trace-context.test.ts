/** The trace context stored on a task row: written as W3C text, read strictly. */
import { describe, expect, it } from 'vitest'
import { formatTraceContext, parseTraceContext } from '../src/tracing/trace-context.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

describe('the stored trace context', () => {
  it('is a traceparent, then a space and the tracestate when there is one', () => {
    expect(formatTraceContext({ traceId: TRACE, spanId: SPAN, traceFlags: 1 })).toBe(
      `00-${TRACE}-${SPAN}-01`,
    )
    const withState = formatTraceContext({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 0,
      traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    })
    expect(withState).toBe(`00-${TRACE}-${SPAN}-00 congo=t61rcWkgMzE,rojo=00f067aa0ba902b7`)
    expect(parseTraceContext(withState)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 0,
      traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    })
  })

  it('drops a tracestate too long to store rather than the trace', () => {
    const text = formatTraceContext({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 1,
      traceState: `a=${'x'.repeat(600)}`,
    })
    expect(text).toBe(`00-${TRACE}-${SPAN}-01`)
  })

  it('reads nothing from text that is not a valid context', () => {
    for (const text of [
      null,
      '',
      'garbage',
      `01-${TRACE}-${SPAN}-01`, // a version we do not know
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`, // all-zero ids are invalid
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE}-${SPAN}-01 ${'x'.repeat(600)}`,
    ]) {
      expect(parseTraceContext(text), String(text)).toBeUndefined()
    }
    // A tracestate with control characters is dropped; the parent still counts.
    expect(parseTraceContext(`00-${TRACE}-${SPAN}-01 a=\u001b[2J`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 1,
    })
  })
})
