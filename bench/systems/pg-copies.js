// Bulk copies of one row of a PostgreSQL peer's own job table in a single
// INSERT … SELECT: the drain's 150,000 tasks in about a second instead of
// the 5–20 s that the peers' batch APIs take (graphile-worker `addJobs`,
// pg-boss `insert`). The template row is written by the peer's own enqueue
// call, so the copies hold exactly what it stores; the id and generated
// columns come from their defaults.

/** `sql`: a pg Pool or Client; `table`: 'schema.table'; copies row `templateId` `count` times. */
export async function copyPgRows(sql, table, templateId, count) {
  if (count <= 0) return
  const [schema, name] = table.split('.')
  const { rows } = await sql.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 AND column_name <> 'id'
       AND is_generated = 'NEVER' AND is_identity = 'NO'
     ORDER BY ordinal_position`,
    [schema, name],
  )
  if (rows.length === 0) throw new Error(`no columns found for ${table}`)
  const columns = rows.map((r) => `"${r.column_name}"`)
  await sql.query(
    `INSERT INTO ${table} (${columns.join(', ')})
     SELECT ${columns.map((c) => `t.${c}`).join(', ')}
     FROM ${table} AS t, generate_series(1, $2::int)
     WHERE t.id = $1`,
    [templateId, count],
  )
}
