/**
 * Turns rows a raw claim returned (column names; on SQLite, dates as text)
 * into AsyncTask instances, as findAll would have built them. Sequelize's
 * own mapping of raw queries leaves SQLite dates as strings.
 */
import type { Context } from '../context.js'
import type { AsyncTask } from '../task-model.js'

export function hydrate(ctx: Context, rows: Array<Record<string, unknown>>): AsyncTask[] {
  const map = (
    ctx.AsyncTask as unknown as {
      fieldRawAttributesMap: Record<string, { fieldName: string; type: { key: string } }>
    }
  ).fieldRawAttributesMap
  return rows.map((row) => {
    const values: Record<string, unknown> = {}
    for (const [column, value] of Object.entries(row)) {
      const attribute = map[column]
      if (!attribute) continue
      values[attribute.fieldName] =
        attribute.type.key === 'DATE' &&
        value !== null &&
        (typeof value === 'string' || typeof value === 'number')
          ? new Date(value)
          : value
    }
    return ctx.AsyncTask.build(values as never, { isNewRecord: false, raw: true })
  })
}
