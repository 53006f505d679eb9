/**
 * How many rows a raw UPDATE changed. Sequelize reports it per dialect in a
 * different shape (a number, mysql2's affectedRows, sqlite3's changes, pg's
 * rowCount); this is the one place that knows them.
 */
export function affectedRows(meta: unknown): number {
  if (typeof meta === 'number') return meta
  const m = (meta ?? {}) as { affectedRows?: number; changes?: number; rowCount?: number }
  return m.affectedRows ?? m.changes ?? m.rowCount ?? 0
}
