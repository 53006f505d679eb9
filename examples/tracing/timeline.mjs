// Draws the spans of one trace as a timeline (the view a trace UI such as
// Jaeger shows): one row per span, nested under its parent, a bar from its
// start to its end on a shared time axis, coloured by the process that made
// it, red when it failed; a dashed line from the PRODUCER span to each
// CONSUMER span marks the time the task waited in its queue. timelineSvg()
// returns an SVG; screenshot() saves it as a PNG through headless Chromium.
const KIND = ['internal', 'server', 'client', 'producer', 'consumer']
const COLOURS = { web: '#4e79a7', worker: '#59a14f' }
const ERROR = '#e15759'
const ROW = 30
const LABELS = 390
const WIDTH = 1180
const TOP = 74

const escape = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  )

/** Spans in tree order (parents first, siblings by start), each with its depth. */
function inTreeOrder(spans) {
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map()
  for (const span of spans) {
    const parent = ids.has(span.parentSpanId) ? span.parentSpanId : null
    if (!children.has(parent)) children.set(parent, [])
    children.get(parent).push(span)
  }
  const rows = []
  const visit = (parent, depth) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      rows.push({ span, depth })
      visit(span.spanId, depth + 1)
    }
  }
  visit(null, 0)
  return rows
}

/** A tick step of 1, 2 or 5 × 10ⁿ ms giving about eight ticks. */
function tickStep(totalMs) {
  const rough = totalMs / 8
  const power = 10 ** Math.floor(Math.log10(rough))
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough)
}

function axis(t0, total, x, height) {
  const parts = []
  const step = tickStep(total)
  for (let t = 0; t <= total; t += step) {
    const at = x(t0 + t)
    parts.push(
      `<line x1="${at}" y1="${TOP - 8}" x2="${at}" y2="${height - 46}" stroke="#e3e3e3"/>`,
      `<text x="${at}" y="${TOP - 14}" text-anchor="middle" class="tick">${t} ms</text>`,
    )
  }
  return parts.join('')
}

function spanRow({ span, depth }, i, x) {
  const y = TOP + i * ROW
  const failed = span.status?.code === 2
  const colour = failed ? ERROR : (COLOURS[span.service] ?? '#9c755f')
  const left = x(span.startMs)
  const width = Math.max(2, x(span.endMs) - left)
  const ms = (span.endMs - span.startMs).toFixed(1)
  const attempt = span.attributes['sequelize_async.task.attempt']
  const note = [
    `${ms} ms`,
    attempt ? `attempt ${attempt}` : '',
    failed ? `✕ ${span.status.message ?? 'error'}` : '',
  ]
    .filter(Boolean)
    .join(' · ')
  const noteX = left + width + 6 > WIDTH - 260 ? left - 6 : left + width + 6
  const anchor = noteX < left ? 'end' : 'start'
  return [
    i % 2 ? `<rect x="0" y="${y}" width="${WIDTH}" height="${ROW}" fill="#fafafa"/>` : '',
    `<text x="${12 + depth * 18}" y="${y + 19}" class="name">${escape(span.name)}`,
    `<tspan class="meta"> ${escape(span.service)} · ${KIND[span.kind] ?? ''}</tspan></text>`,
    `<rect x="${left}" y="${y + 7}" width="${width}" height="${ROW - 14}" rx="3" fill="${colour}"/>`,
    `<text x="${noteX}" y="${y + 19}" text-anchor="${anchor}" class="${failed ? 'error' : 'meta'}">${escape(note)}</text>`,
  ].join('')
}

/** Dashed lines from each PRODUCER span's end to the start of its CONSUMER spans. */
function queueWaits(rows, x) {
  const rowOf = new Map(rows.map(({ span }, i) => [span.spanId, i]))
  return rows
    .filter(({ span }) => span.kind === 4 && rowOf.has(span.parentSpanId))
    .map(({ span }) => {
      const producer = rows[rowOf.get(span.parentSpanId)].span
      // Along the bottom of the producer's row, clear of its text.
      const y1 = TOP + rowOf.get(producer.spanId) * ROW + ROW - 3
      const y2 = TOP + rowOf.get(span.spanId) * ROW + ROW / 2
      return `<path d="M${x(producer.endMs)},${y1} H${x(span.startMs) - 4} V${y2}" fill="none" stroke="#888" stroke-dasharray="4 3"/>`
    })
    .join('')
}

function legend(y) {
  const item = (x, swatch, text) =>
    `${swatch(x)}<text x="${x + 22}" y="${y + 12}" class="meta">${text}</text>`
  const box = (colour) => (x) =>
    `<rect x="${x}" y="${y + 2}" width="14" height="12" rx="2" fill="${colour}"/>`
  const dash = (x) =>
    `<line x1="${x}" y1="${y + 8}" x2="${x + 14}" y2="${y + 8}" stroke="#888" stroke-dasharray="4 3"/>`
  return [
    item(12, box(COLOURS.web), 'web process (HTTP request, enqueue)'),
    item(300, box(COLOURS.worker), 'worker process (task runs)'),
    item(520, box(ERROR), 'failed (error recorded on the span)'),
    item(780, dash, 'waiting in the queue (PRODUCER → CONSUMER)'),
  ].join('')
}

/** The spans of one trace as an SVG document. */
export function timelineSvg(spans) {
  const rows = inTreeOrder(spans)
  const t0 = Math.min(...spans.map((s) => s.startMs))
  const total = Math.max(...spans.map((s) => s.endMs)) - t0
  const x = (ms) => LABELS + ((ms - t0) / total) * (WIDTH - LABELS - 210)
  const height = TOP + rows.length * ROW + 56
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">
<style>
  text { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 13px; fill: #222 }
  .title { font-size: 15px; font-weight: bold } .tick { font-size: 11px; fill: #777 }
  .meta { font-size: 11px; fill: #666 } .error { font-size: 11px; fill: ${ERROR} }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="26" class="title">Trace ${escape(spans[0].traceId)}: POST /orders → order.async('sendConfirmationEmail') → worker</text>
${axis(t0, total, x, height)}
${rows.map((row, i) => spanRow(row, i, x)).join('')}
${queueWaits(rows, x)}
${legend(height - 34)}
</svg>`
}

/** Saves `svg` as a PNG at twice its size, through Debian's Chromium (playwright-core). */
export async function screenshot(svg, png, executablePath = '/usr/bin/chromium') {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--headless'],
  })
  try {
    const page = await browser.newPage({ deviceScaleFactor: 2 })
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`)
    await page.locator('svg').screenshot({ path: png })
  } finally {
    await browser.close()
  }
}
