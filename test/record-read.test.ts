/**
 * MySQL/MariaDB and SQLite, default mode: the records of claimed tasks are
 * read in the claim's transaction, one SELECT per model
 * (src/lifecycle/record-join.ts, readRecordsOn), instead of a findAll per
 * group. The method must see exactly what findByPk returns, types included
 * (MySQL: Sequelize's typeCast on the connection; SQLite: its parsers by
 * declared column type); a record not found that way goes to the ordinary
 * load, which still says RecordNotFoundError when it is gone; a table that
 * changes under the worker turns the reading off, said once. PostgreSQL,
 * whose claim joins the records, is in record-join.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataTypes, Model, type Sequelize } from 'sequelize'
import { installAsync, type AsyncTask } from '../src/index.js'
import { createDb, dialects, type TestDb } from './helpers/db.js'
import { quietLogger } from './helpers/app.js'
import { seenAgainstFresh } from './helpers/record-compare.js'

type Enqueuer = { async(action: string, options?: object): Promise<AsyncTask> }
const on = (record: Model | null | undefined): Enqueuer => record as unknown as Enqueuer

class Widget extends Model {
  declare id: number
  declare label: string
  /** The record as the method saw it, against findByPk now. */
  inspect() {
    return seenAgainstFresh(this, Widget)
  }
  async rename(label: string) {
    this.label = label
    await this.save()
    return this.label
  }
}
class Code extends Model {
  declare code: string
  ping() {
    return `code ${this.code}`
  }
}
class Gone extends Model {
  ping() {
    return 'gone'
  }
}

const others = dialects.filter((d) => d !== 'postgres')

describe.each(others)('records read with the claim on %s', (dialect) => {
  let db: TestDb
  let sequelize: Sequelize
  let tasks: ReturnType<typeof installAsync>
  const loads: string[] = []
  const logger = quietLogger()
  let worker: ReturnType<typeof tasks.createWorker>
  const drain = () => worker.workOff()
  const reloaded = async (list: AsyncTask[]) => {
    for (const t of list) await t.reload()
    return list
  }
  const q = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`)

  beforeAll(async () => {
    db = await createDb(dialect, 'recordread')
    sequelize = db.connect({
      // Statements through Sequelize; the worker's own reads do not pass here.
      logging: (sql: string) => {
        const m = /^Executing \(\w+\): SELECT .* FROM [`"](\w+)[`"] AS/.exec(sql)
        if (m) loads.push(m[1] as string)
      },
    })
    Widget.init(
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        label: DataTypes.STRING,
        price: DataTypes.DECIMAL(10, 2),
        ratio: DataTypes.FLOAT,
        payload: DataTypes.JSON,
        active: DataTypes.BOOLEAN,
        madeAt: { type: DataTypes.DATE, field: 'made_at' },
        day: DataTypes.DATEONLY,
        big: DataTypes.BIGINT,
        full: {
          type: DataTypes.VIRTUAL,
          get(this: Widget) {
            return `${this.label} #${this.id}`
          },
        },
      },
      { sequelize, modelName: 'Widget' },
    )
    Code.init(
      { code: { type: DataTypes.STRING, primaryKey: true } },
      { sequelize, modelName: 'Code' },
    )
    Gone.init({ name: DataTypes.STRING }, { sequelize, modelName: 'Gone' })
    tasks = installAsync(sequelize, { logger })
    await tasks.migrate()
    await sequelize.sync()
    worker = tasks.createWorker({ concurrency: 3, pollInterval: 50 })
  })
  afterAll(async () => {
    await sequelize?.close()
    await db?.drop()
  })

  it('hands the method the record findByPk returns, types included, and loads it no more after the first task', async () => {
    const widgets = []
    for (const i of [1, 2, 3, 4, 5]) {
      widgets.push(
        await Widget.create({
          label: `w${i}`,
          price: '12.50',
          ratio: 0.25 * i,
          payload: { deep: { n: i, list: [1, 'two', null] } },
          active: i % 2 === 0,
          madeAt: new Date(Date.UTC(2026, 0, i, 10, 30, 15, 123)),
          day: `2026-03-0${i}`,
          big: 9_000_000_000 + i,
        }),
      )
    }
    widgets.push(await Widget.create({ label: 'nulls' }))
    loads.length = 0
    const list: AsyncTask[] = []
    for (const w of widgets) list.push(await on(w).async('inspect'))
    await drain()
    await reloaded(list)
    expect(list.map((t) => t.status)).toEqual(Array(6).fill('succeeded'))
    for (const [i, t] of list.entries()) {
      expect(t.result).toEqual({
        same: true,
        types: [],
        isNewRecord: false,
        changed: false,
        full: `${widgets[i]?.label} #${widgets[i]?.id}`,
      })
    }
    // The first group's records were loaded the ordinary way; the claims read the rest.
    expect(loads.filter((m) => m === 'Widgets').length).toBeLessThanOrEqual(1)

    // An instance built from the read row saves as a loaded one does.
    const renamed = await on(widgets[0]).async('rename', { args: ['renamed'] })
    await drain()
    await renamed.reload()
    expect(renamed.status).toBe('succeeded')
    expect(((await Widget.findByPk(widgets[0]?.id)) as Widget).label).toBe('renamed')
  })

  it('a record deleted (outside Sequelize) before its task starts fails that task with RecordNotFoundError', async () => {
    const keep = await Widget.create({ label: 'keep' })
    const gone = await Widget.create({ label: 'gone' })
    const a = await on(keep).async('inspect')
    const b = await on(gone).async('inspect')
    await sequelize.query(`DELETE FROM ${q('Widgets')} WHERE id = ${gone.id}`)
    await drain()
    await reloaded([a, b])
    expect(a.status).toBe('succeeded')
    expect(b.status).toBe('failed')
    expect(b.error).toMatch(/RecordNotFoundError: Widget with id \d+ no longer exists/)
  })

  it('string keys, a key stored under another spelling, corrupt ids: each task as findByPk would', async () => {
    const code = await Code.create({ code: "A-1 'x'" })
    await on(code).async('ping')
    await drain()
    const w = await Widget.create({ label: 'zeros' })
    const t1 = await on(code).async('ping')
    // Written by hand: keys under another spelling (another case, which a
    // MySQL collation would match; leading zeros of an integer key), and
    // ids no record can have.
    const written = async (type: string, id: string, action: string) => {
      await sequelize.query(
        `INSERT INTO async_tasks (object_type, object_id, action, args, priority, scheduled_at, status, queue, ready, created_at, updated_at)
         VALUES (:type, :id, :action, '[]', 0, :now, 'pending', 'default', 1, :now, :now)`,
        { replacements: { type, id, action, now: new Date() } },
      )
      const [rows] = await sequelize.query('SELECT MAX(id) AS id FROM async_tasks')
      return Number((rows[0] as { id: unknown }).id)
    }
    const otherCase = await written('Code', "a-1 'X'", 'ping')
    const zeros = await written('Widget', `000${w.id}`, 'inspect')
    const tooLong = await written('Widget', '99999999999999999999', 'inspect')
    const hostile = await written('Widget', "1'; DROP TABLE x; --", 'inspect')
    const after = await on(w).async('inspect')
    await drain()
    await reloaded([t1, after])
    expect(t1.result).toBe(`code A-1 'x'`)
    expect(after.status).toBe('succeeded')
    const status = async (id: number) => (await tasks.AsyncTask.findByPk(id))?.status
    // The ordinary load matches keys exactly too, whatever the collation.
    expect(await status(otherCase)).toBe('failed')
    expect(await status(zeros)).toBe('succeeded')
    expect(await status(tooLong)).toBe('failed')
    // Whatever findByPk makes of it (MySQL casts it to 1): it ends, and the worker goes on.
    expect(['succeeded', 'failed']).toContain(await status(hostile))
  })

  it('a table renamed while the worker runs: said once, only that task fails, and the worker goes on', async () => {
    const g = await Gone.create({ name: 'before' })
    const warm = [await on(g).async('ping'), await on(g).async('ping')]
    const running = tasks.createWorker({ concurrency: 1, pollInterval: 50 })
    await running.start()
    try {
      await expect
        .poll(async () => (await reloaded(warm)).map((t) => t.status), { timeout: 10_000 })
        .toEqual(['succeeded', 'succeeded'])
      await sequelize.query(`ALTER TABLE ${q('Gones')} RENAME TO ${q('Gones_moved')}`)
      const lost = await on(g).async('ping')
      await expect
        .poll(async () => (await lost.reload()).status, { timeout: 10_000 })
        .toBe('failed')
      expect(lost.error).toMatch(/Gones/)
      await sequelize.query(`ALTER TABLE ${q('Gones_moved')} RENAME TO ${q('Gones')}`)
      const back = await on(g).async('ping')
      await expect
        .poll(async () => (await back.reload()).status, { timeout: 10_000 })
        .toBe('succeeded')
    } finally {
      await running.stop()
    }
    const said = logger.lines.filter((line) => /Reading records with the claim failed/.test(line))
    expect(said).toHaveLength(1)
  })
})
