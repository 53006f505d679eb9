/**
 * The Prometheus text exposition format (version 0.0.4), written by hand:
 * five metric families need `# HELP`/`# TYPE` lines, escaped label values
 * and cumulative histogram buckets — about forty lines, against an
 * optional peer (prom-client) that would bring a registry, a dependency on
 * tdigest and @opentelemetry/api, and that the app would have to install
 * before `tasks.metrics()` worked at all.
 */

/** The Content-Type of a scrape response in this format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type Labels = Record<string, string>

export interface Sample {
  /** Appended to the family name: `_bucket`, `_sum`, `_count`. */
  suffix?: string
  labels?: Labels
  value: number
}

export interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  samples: Sample[]
}

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {})
  if (entries.length === 0) return ''
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
}

/** The families as one exposition text, ending with a newline. */
export function exposition(families: Family[]): string {
  const lines: string[] = []
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`)
    lines.push(`# TYPE ${family.name} ${family.type}`)
    for (const s of family.samples) {
      lines.push(`${family.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}`)
    }
  }
  return `${lines.join('\n')}\n`
}
