/**
 * 0005: `trace_context`, the W3C trace context of the span that enqueued a
 * task (`traceparent`, then a space and `tracestate` when there is one), so
 * the worker that executes it continues the same trace — possibly in
 * another process, hours later. Written only when tracing is on
 * (docs/observability.md); NULL otherwise.
 *
 * 600 characters: a traceparent (55), a space and the 512 characters of
 * tracestate that W3C asks every vendor to propagate; longer tracestate is
 * dropped at enqueue. A nullable column without a default is added without
 * rewriting the table on every dialect (PostgreSQL 11+, MySQL 8 and MariaDB
 * 10.3+ add it in place; SQLite only edits the schema).
 */
import type { QueryInterface } from 'sequelize'
import type { SequelizeStatic } from './step.js'
import { addColumnOnce, dropColumn } from './step.js'
import { TABLE } from './0001-create-async-tasks.js'

export const name = '0005-trace-context'

export const COLUMN = 'trace_context'
export const TRACE_CONTEXT_LENGTH = 600

export async function up(qi: QueryInterface, S: SequelizeStatic): Promise<void> {
  await addColumnOnce(qi, TABLE, COLUMN, {
    type: S.DataTypes.STRING(TRACE_CONTEXT_LENGTH),
    allowNull: true,
  })
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropColumn(qi, TABLE, COLUMN)
}
