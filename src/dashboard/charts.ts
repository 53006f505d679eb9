/**
 * Chart geometry for the SVG templates: stacked bars and a line over the
 * hour's buckets. Everything here is a number, so the template never places
 * task data into SVG attributes.
 */
const WIDTH = 640
const HEIGHT = 180
const LEFT = 36
const RIGHT = WIDTH - 8
const TOP = 10
const BOTTOM = HEIGHT - 22

export interface Series {
  name: string
  color: string
  values: number[]
}

interface Bar {
  x: number
  y: number
  w: number
  h: number
  title: string
}

export interface Chart {
  label: string
  width: number
  height: number
  left: number
  right: number
  textX: number
  tickY: number
  gridLines: Array<{ y: number; textY: number; value: number }>
  series: Array<{ name: string; color: string; bars: Bar[]; points: string }>
  ticks: Array<{ x: number; text: string }>
}

const round = (n: number): number => Math.round(n * 10) / 10

/** A "nice" top of the scale, so grid lines fall on round numbers. */
function scaleTop(max: number): number {
  if (max <= 4) return 4
  const magnitude = 10 ** Math.floor(Math.log10(max))
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude * 4 >= max) ?? 10
  return step * magnitude * 4
}

function frame(label: string, labels: string[], max: number) {
  const top = scaleTop(max)
  const slot = (RIGHT - LEFT) / Math.max(labels.length, 1)
  const y = (value: number): number => round(BOTTOM - (value / top) * (BOTTOM - TOP))
  const gridLines = [0, 1, 2, 3, 4].map((k) => {
    const value = (top / 4) * k
    return { y: y(value), textY: y(value) + 3, value }
  })
  const ticks = labels
    .map((text, i) => ({ x: round(LEFT + slot * (i + 0.5)), text }))
    .filter((_, i) => i % 3 === 0)
  const base = { label, width: WIDTH, height: HEIGHT, left: LEFT, right: RIGHT }
  return { ...base, textX: LEFT - 4, tickY: HEIGHT - 6, gridLines, ticks, slot, y }
}

/** Bars stacked per bucket, one colour per series. */
export function barChart(label: string, labels: string[], series: Series[]): Chart {
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0))
  const { slot, y, ...chart } = frame(label, labels, Math.max(0, ...totals))
  const stacked = labels.map(() => 0)
  const out = series.map((s) => ({
    name: s.name,
    color: s.color,
    points: '',
    bars: labels.map((text, i) => {
      const value = s.values[i] ?? 0
      const below = stacked[i] ?? 0
      stacked[i] = below + value
      const top = y(below + value)
      return {
        x: round(LEFT + slot * i + 2),
        y: top,
        w: round(slot - 4),
        h: round(y(below) - top),
        title: `${text}: ${value} ${s.name}`,
      }
    }),
  }))
  return { ...chart, series: out }
}

/** One line per series through the bucket ends. */
export function lineChart(label: string, labels: string[], series: Series[]): Chart {
  const max = Math.max(0, ...series.flatMap((s) => s.values))
  const { slot, y, ...chart } = frame(label, labels, max)
  const out = series.map((s) => ({
    name: s.name,
    color: s.color,
    bars: [],
    points: s.values.map((v, i) => `${round(LEFT + slot * (i + 1))},${y(v)}`).join(' '),
  }))
  return { ...chart, series: out }
}
