// Bulk copies of one async_tasks row in a single INSERT … SELECT, so that
// 20,000 pre-enqueued tasks or 2,000,000 depth rows take seconds, not the
// minutes that many enqueues would. The template row is written by
// `record.async()` itself, so copies hold exactly what the API stores;
// `overrides` replace some columns with SQL expressions (values travel as
// replacements).
import { QueryTypes } from 'sequelize'

const CHUNK = 250_000

function rowSource(dialect, count) {
  // Each dialect's cheapest way to produce `count` rows.
  if (dialect === 'postgres') return { with: '', from: `generate_series(1, ${count}) AS s` }
  if (dialect === 'mysql' || dialect === 'mariadb')
    return { with: '', from: `seq_1_to_${count} AS s` }
  return {
    with: `WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ${count}) `,
    from: 's',
  }
}

export async function copyTaskRows(sequelize, templateId, count, overrides, replacements = {}) {
  const qi = sequelize.getQueryInterface()
  const columns = Object.keys(await qi.describeTable('async_tasks')).filter((c) => c !== 'id')
  const quoted = columns.map((c) => qi.quoteIdentifier(c))
  const select = columns.map((c, i) => overrides[c] ?? `t.${quoted[i]}`)
  for (let done = 0; done < count; done += CHUNK) {
    const size = Math.min(CHUNK, count - done)
    const source = rowSource(sequelize.getDialect(), size)
    await sequelize.query(
      `${source.with}INSERT INTO async_tasks (${quoted.join(', ')})
       SELECT ${select.join(', ')} FROM async_tasks AS t, ${source.from} WHERE t.id = :templateId`,
      { replacements: { ...replacements, templateId }, type: QueryTypes.INSERT },
    )
  }
}
