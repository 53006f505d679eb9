// A hand-written SVG bar chart: tasks/s (or enqueues/s) per system, grouped
// by scenario, on a log scale (the systems differ by three orders of
// magnitude). No browser or canvas needed. Systems without a colour here
// are drawn grey.

const COLORS = {
  'sa-sqlite': '#1b9e77',
  'sa-postgres': '#0b6e4f',
  'sa-mariadb': '#66c2a5',
  'sa-sqlite-batched': '#a6dba0',
  'sa-postgres-batched': '#5aae61',
  'sa-mariadb-batched': '#d9f0d3',
  'pg-boss': '#d95f02',
  'pg-boss-same': '#fdb863',
  graphile: '#7570b3',
  'graphile-same': '#54278f',
  'graphile-batched': '#b3b0e0',
  bullmq: '#e7298a',
}
const W = 960
const H = 520
const M = { left: 70, right: 20, top: 40, bottom: 170 }

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (v) =>
  v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v >= 10 ? Math.round(v) : v.toFixed(1)

// groups: [{ label, values: { system: number|null } }]; labels: { system: label }
export function barChart({ title, groups, labels }) {
  const systems = Object.keys(labels).filter((s) => groups.some((g) => g.values[s] != null))
  const all = groups
    .flatMap((g) => systems.map((s) => g.values[s]))
    .filter((v) => v != null && v > 0)
  const top = Math.max(1, Math.ceil(Math.log10(Math.max(10, ...all))))
  const plotW = W - M.left - M.right
  const plotH = H - M.top - M.bottom
  const y = (v) => M.top + plotH - (Math.log10(Math.max(1, v)) / top) * plotH
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ]
  for (let p = 0; p <= top; p++) {
    const yy = y(10 ** p)
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`)
    parts.push(`<text x="${M.left - 8}" y="${yy + 4}" text-anchor="end">${fmt(10 ** p)}</text>`)
  }
  parts.push(
    `<text transform="translate(18 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">per second (log scale)</text>`,
  )
  const groupW = plotW / groups.length
  const barW = (groupW * 0.84) / systems.length
  groups.forEach((g, gi) => {
    const x0 = M.left + gi * groupW + groupW * 0.08
    systems.forEach((s, si) => {
      const v = g.values[s]
      if (v == null) return
      const x = x0 + si * barW
      const yy = y(v)
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(M.top + plotH - yy).toFixed(1)}" fill="${COLORS[s] ?? '#999'}"><title>${esc(labels[s])}: ${fmt(v)}/s</title></rect>`,
      )
      parts.push(
        `<text transform="translate(${(x + barW / 2 + 3).toFixed(1)} ${(yy - 4).toFixed(1)}) rotate(-90)" font-size="10">${fmt(v)}</text>`,
      )
    })
    parts.push(
      `<text x="${(M.left + gi * groupW + groupW / 2).toFixed(1)}" y="${M.top + plotH + 18}" text-anchor="middle">${esc(g.label)}</text>`,
    )
  })
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#333"/>`,
  )
  systems.forEach((s, i) => {
    const col = i % 2
    const rowY = M.top + plotH + 45 + Math.floor(i / 2) * 20
    const x = M.left + col * 420
    parts.push(
      `<rect x="${x}" y="${rowY - 10}" width="12" height="12" fill="${COLORS[s] ?? '#999'}"/>`,
    )
    parts.push(`<text x="${x + 18}" y="${rowY}">${esc(labels[s])}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
