/**
 * PostgreSQL, default mode: the claim reads each claimed task's record
 * (src/lifecycle/record-join.ts) instead of a findAll per group. The method
 * must see exactly what findByPk returns; a missing record is still
 * RecordNotFoundError; models whose findByPk is more than a SELECT (scopes,
 * paranoid, find hooks) keep the ordinary load; a corrupt object_id or a
 * table that changes under the worker fails only the task concerned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataTypes, Model, type Sequelize } from 'sequelize'
import { installAsync, type AsyncTask } from '../src/index.js'
import { createDb, type TestDb } from './helpers/db.js'
import { quietLogger } from './helpers/app.js'
import { seenAgainstFresh } from './helpers/record-compare.js'

const pg = process.env.ASYNC_TEST_POSTGRES_URL

type Enqueuer = { async(action: string, options?: { args?: unknown[] }): Promise<AsyncTask> }
/** `record.async(…)` (the mixin's method, untyped on these test models). */
const on = (record: Model | null | undefined): Enqueuer => record as unknown as Enqueuer

class Gadget extends Model {
  declare id: string
  declare label: string
  /** The record as the method saw it, against findByPk now. */
  inspect() {
    return seenAgainstFresh(this, Gadget)
  }
  async rename(label: string) {
    this.label = label
    await this.save()
    return this.label
  }
}
class Sku extends Model {
  declare code: string
  ping() {
    return `sku ${this.code}`
  }
}
class Doc extends Model {
  declare id: string
  ping() {
    return `doc ${this.id}`
  }
}
class Soft extends Model {
  ping() {
    return 'soft'
  }
}
class Scoped extends Model {
  declare id: number
  ping() {
    return 'scoped'
  }
}
class Hooked extends Model {
  declare seen: number
  ping() {
    return this.seen
  }
}

describe.skipIf(!pg)('records read with the claim (postgres)', () => {
  let db: TestDb
  let sequelize: Sequelize
  let tasks: ReturnType<typeof installAsync>
  const loads: string[] = []
  const reads: string[] = []
  const logger = quietLogger()
  let hooked = 0

  beforeAll(async () => {
    db = await createDb('postgres', 'recordjoin')
    sequelize = db.connect({
      // Every record load: Sequelize's findAll ("Orders" AS "Order"), or a
      // group's own SELECT by primary key (sequelize-async's statements are
      // logged too); the claim's joins are neither.
      logging: (sql: string) => {
        const m = /^Executing \(\w+\): SELECT .* FROM "(\w+)" AS/.exec(sql)
        if (m) loads.push(m[1] as string)
        const own = /^Executing \(sequelize-async\): SELECT .* FROM "(\w+)" WHERE/.exec(sql)
        if (own) reads.push(own[1] as string)
      },
    })
    Gadget.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        label: DataTypes.STRING,
        price: DataTypes.DECIMAL(10, 2),
        payload: DataTypes.JSONB,
        active: DataTypes.BOOLEAN,
        madeAt: { type: DataTypes.DATE, field: 'made_at' },
        day: DataTypes.DATEONLY,
        tags: DataTypes.ARRAY(DataTypes.STRING),
        full: {
          type: DataTypes.VIRTUAL,
          get(this: Gadget) {
            return `${this.label} #${this.id}`
          },
        },
      },
      { sequelize, modelName: 'Gadget' },
    )
    Sku.init(
      { code: { type: DataTypes.STRING, primaryKey: true } },
      { sequelize, modelName: 'Sku' },
    )
    Doc.init(
      { id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 } },
      { sequelize, modelName: 'Doc' },
    )
    Soft.init({ name: DataTypes.STRING }, { sequelize, modelName: 'Soft', paranoid: true })
    Scoped.init(
      { active: DataTypes.BOOLEAN },
      { sequelize, modelName: 'Scoped', defaultScope: { where: { active: true } } },
    )
    Hooked.init(
      { seen: DataTypes.INTEGER },
      {
        sequelize,
        modelName: 'Hooked',
        hooks: {
          afterFind: (found: unknown) => {
            hooked += 1
            for (const r of [found].flat() as Hooked[]) if (r) r.seen = hooked
          },
        },
      },
    )
    tasks = installAsync(sequelize, { logger })
    await tasks.migrate()
    await sequelize.sync()
    worker = tasks.createWorker({ concurrency: 1, pollInterval: 50 })
  })
  afterAll(async () => {
    await sequelize?.close()
    await db?.drop()
  })

  // One worker for the file: a worker joins a model from its second claim of it on.
  let worker: ReturnType<typeof tasks.createWorker>
  const drain = () => worker.workOff()
  const reloaded = async (list: AsyncTask[]) => {
    for (const t of list) await t.reload()
    return list
  }

  it('hands the method the record findByPk returns, and loads it no more after the first task', async () => {
    const gadgets = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        Gadget.create({
          label: `g${i}`,
          price: '12.50',
          payload: { deep: { n: i, list: [1, 'two', null] } },
          active: i % 2 === 0,
          madeAt: new Date(Date.UTC(2026, 0, i, 10, 30, 15, 123)),
          day: '2026-03-0' + i,
          tags: ['a', `t${i}`],
        }),
      ),
    )
    loads.length = 0
    reads.length = 0
    const list: AsyncTask[] = []
    for (const g of gadgets) list.push(await on(g).async('inspect'))
    await drain()
    await reloaded(list)
    expect(list.map((t) => t.status)).toEqual(Array(5).fill('succeeded'))
    for (const [i, t] of list.entries()) {
      expect(t.result).toEqual({
        same: true,
        types: [],
        isNewRecord: false,
        changed: false,
        full: `g${i + 1} #${gadgets[i]?.id}`,
      })
    }
    // The first task's record was loaded by its group (one SELECT, not
    // findAll); the claim read the rest.
    expect(reads.filter((m) => m === 'Gadgets')).toHaveLength(1)
    expect(loads.filter((m) => m === 'Gadgets')).toEqual([])

    // An instance built from the claim's row saves as a loaded one does.
    const renamed = await on(gadgets[0]).async('rename', { args: ['renamed'] })
    await drain()
    await renamed.reload()
    expect(renamed.status).toBe('succeeded')
    expect(((await Gadget.findByPk(gadgets[0]?.id)) as Gadget).label).toBe('renamed')
  })

  it('keyed tasks, whose outcomes settle their key in a transaction, read their records with the claim too', async () => {
    const gadgets = await Promise.all([1, 2, 3, 4].map((i) => Gadget.create({ label: `k${i}` })))
    const keyed = () =>
      Promise.all(
        gadgets.map((g) =>
          (g as unknown as { async: (a: string, o: object) => Promise<AsyncTask> }).async(
            'inspect',
            { concurrencyKey: true },
          ),
        ),
      )
    await keyed()
    await drain()
    loads.length = 0
    const list = await keyed()
    await drain()
    await reloaded(list)
    expect(list.map((t) => t.status)).toEqual(Array(4).fill('succeeded'))
    expect(list.every((t) => (t.result as { same: boolean }).same)).toBe(true)
    expect(loads.filter((m) => m === 'Gadgets')).toEqual([])
  })

  it('a record deleted (outside Sequelize) before its task starts fails that task with RecordNotFoundError', async () => {
    const [keep, gone] = await Promise.all([
      Gadget.create({ label: 'keep' }),
      Gadget.create({ label: 'gone' }),
    ])
    const a = await on(keep).async('inspect')
    const b = await on(gone).async('inspect')
    // destroy() would cancel its tasks (destroy-hooks.ts); a DELETE from elsewhere does not.
    await sequelize.query('DELETE FROM "Gadgets" WHERE id = :id', {
      replacements: { id: gone?.id },
    })
    loads.length = 0
    await drain()
    await reloaded([a, b])
    expect(a.status).toBe('succeeded')
    expect(b.status).toBe('failed')
    expect(b.error).toMatch(/RecordNotFoundError: Gadget with id \d+ no longer exists/)
    expect(loads.filter((m) => m === 'Gadgets')).toEqual([])
  })

  it('joins string and UUID keys too', async () => {
    const sku = await Sku.create({ code: "A-1 'x'" })
    const doc = await Doc.create({})
    loads.length = 0
    reads.length = 0
    const run = async () => {
      const t1 = await on(sku).async('ping')
      const t2 = await on(doc).async('ping')
      await drain()
      return reloaded([t1, t2])
    }
    await run()
    const [s, d] = await run()
    expect(s?.result).toBe(`sku A-1 'x'`)
    expect(d?.result).toBe(`doc ${doc.id}`)
    expect(reads.filter((m) => m === 'Skus' || m === 'Docs').sort()).toEqual(['Docs', 'Skus'])
    expect(loads.filter((m) => m === 'Skus' || m === 'Docs')).toEqual([])
  })

  it('keeps the ordinary load where findByPk does more than a SELECT: paranoid, default scope, find hooks', async () => {
    const soft = await Soft.create({ name: 's' })
    const deleted = await Soft.create({ name: 'd' })
    const live = await Scoped.create({ active: true })
    const off = await Scoped.create({ active: false })
    const h = await Hooked.create({ seen: 0 })
    const round = async () => {
      const list = [
        await on(soft).async('ping'),
        await on(deleted).async('ping'),
        await on(live).async('ping'),
        await on(off).async('ping'),
        await on(h).async('ping'),
      ]
      await drain()
      return reloaded(list)
    }
    await deleted.destroy() // soft: the row stays
    await Scoped.unscoped().update({ active: false }, { where: { id: off.id } })
    await round()
    loads.length = 0
    const before = hooked
    const second = await round()
    expect(second.map((t) => t.status)).toEqual([
      'succeeded',
      'failed',
      'succeeded',
      'failed',
      'succeeded',
    ])
    expect(second[1]?.error).toMatch(/RecordNotFoundError/)
    expect(second[3]?.error).toMatch(/RecordNotFoundError/)
    expect(second[4]?.result).toBe(hooked)
    expect(hooked).toBeGreaterThan(before)
    // Each of them loaded the ordinary way, every time.
    expect(loads.filter((m) => m === 'Softs').length).toBeGreaterThanOrEqual(2)
    expect(loads.filter((m) => m === 'Scopeds').length).toBeGreaterThanOrEqual(2)
    expect(loads.filter((m) => m === 'Hookeds').length).toBeGreaterThanOrEqual(1)
  })

  it('a corrupt object_id fails only its own task, and the claim goes on', async () => {
    const g = await Gadget.create({ label: 'fine' })
    const good = await on(g).async('inspect')
    const ids: number[] = []
    for (const objectId of ['abc', '99999999999999999999', "1'; DROP TABLE x; --"]) {
      const [rows] = await sequelize.query(
        `INSERT INTO async_tasks (object_type, object_id, action, args, priority, scheduled_at, status, queue, ready, created_at, updated_at)
         VALUES ('Gadget', :objectId, 'inspect', '[]', 0, now(), 'pending', 'default', 1, now(), now()) RETURNING id`,
        { replacements: { objectId } },
      )
      ids.push((rows[0] as { id: number }).id)
    }
    const after = await on(g).async('inspect')
    await drain()
    await reloaded([good, after])
    expect([good.status, after.status]).toEqual(['succeeded', 'succeeded'])
    const corrupt = await tasks.AsyncTask.findAll({ where: { id: ids } })
    expect(corrupt.map((t) => t.status)).toEqual(['failed', 'failed', 'failed'])
  })

  it('a table renamed while the worker runs: the claim runs again without joins, said once, only that task fails', async () => {
    const g = await Gadget.create({ label: 'before' })
    const warm = await on(g).async('inspect')
    const worker = tasks.createWorker({ concurrency: 1, pollInterval: 50 })
    await worker.start()
    try {
      await expect
        .poll(async () => (await warm.reload()).status, { timeout: 10_000 })
        .toBe('succeeded')
      await sequelize.query('ALTER TABLE "Gadgets" RENAME TO "Gadgets_moved"')
      const lost = await on(g).async('inspect')
      await expect
        .poll(async () => (await lost.reload()).status, { timeout: 10_000 })
        .toBe('failed')
      expect(lost.error).toMatch(/Gadgets/)
      await sequelize.query('ALTER TABLE "Gadgets_moved" RENAME TO "Gadgets"')
      const back = await on(g).async('inspect')
      await expect
        .poll(async () => (await back.reload()).status, { timeout: 10_000 })
        .toBe('succeeded')
    } finally {
      await worker.stop()
    }
    const said = logger.lines.filter((line) => /Reading records with the claim failed/.test(line))
    expect(said).toHaveLength(1)
  })
})
