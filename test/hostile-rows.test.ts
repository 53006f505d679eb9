/**
 * Whoever can write a row into async_tasks (an SQL injection elsewhere in the
 * host app, a shared database) gets no more than "call one of the methods the
 * app itself declared, with JSON-ish arguments". Every case is checked twice:
 * `async()` refuses it, and a row written by SQL fails without running.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { QueryTypes, type Sequelize } from 'sequelize'
import { EnqueueError, type AsyncTask } from '../src/index.js'
import { createDb, dialects, type TestDb } from './helpers/db.js'
import { defineAssociationApp, ran } from './helpers/association-app.js'

type App = ReturnType<typeof defineAssociationApp>

interface Row {
  objectType: string
  objectId: string | null
  action: string
  args?: string
}

// The columns enqueue writes, in plain SQL: what an attacker with write access would do.
const INSERT = `INSERT INTO async_tasks
  (object_type, object_id, action, args, queue, priority, scheduled_at, ready, status,
   attempts, max_attempts, interruptions, created_at, updated_at)
  VALUES (:objectType, :objectId, :action, :args, 'default', 10, :at, 1, 'pending', 0, 1, 0, :at, :at)`

async function writeRows(sequelize: Sequelize, app: App, rows: Row[]): Promise<AsyncTask[]> {
  const before = (await app.tasks.AsyncTask.max<number, AsyncTask>('id')) ?? 0
  const at = new Date(Date.now() - 60_000)
  for (const row of rows) {
    await sequelize.query(INSERT, {
      type: QueryTypes.INSERT,
      replacements: { ...row, args: row.args ?? '[]', at },
    })
  }
  const written = await app.tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
  return written.filter((task) => task.id > before)
}

/** Runs every due task; expects each hostile row failed with `error`. */
async function expectAllFailed(app: App, tasks: AsyncTask[], error: RegExp): Promise<void> {
  await app.tasks.createWorker({ concurrency: 2 }).workOff()
  for (const task of tasks) {
    await task.reload()
    expect([task.status, task.error], task.label).toEqual(['failed', expect.stringMatching(error)])
  }
}

describe.each(dialects)('hostile rows on %s', (dialect) => {
  let db: TestDb, sequelize: Sequelize, app: App
  beforeAll(async () => {
    db = await createDb(dialect, 'hostile_rows')
    sequelize = db.connect()
    app = defineAssociationApp(sequelize)
    await app.tasks.migrate()
    await sequelize.sync()
  })
  beforeEach(() => {
    ran.length = 0
  })
  afterAll(async () => {
    await sequelize?.close()
    await db?.drop()
  })

  it('async() refuses every association accessor, of every kind, with an EnqueueError', async () => {
    const { User } = app.models
    const user = await User.create({ name: 'ann' })
    // The app's own methods, accessor-like names included, stay enqueueable.
    await user.async('getDisplayName')
    await User.async('countActive')
    await app.addLateAssociation() // after installAsync() and after the first enqueue
    const accessors = app.accessors()
    expect(accessors).toEqual(
      expect.arrayContaining(['setTeam', 'createProfile', 'addArticles', 'setRoles', 'setBadges']),
    )
    const before = await app.tasks.AsyncTask.count()
    for (const name of [...accessors, '_isAttribute']) {
      await expect(user.async(name as never), name).rejects.toThrow(EnqueueError)
    }
    await expect(User.async('_isPrimaryKey' as never)).rejects.toThrow(EnqueueError)
    expect(await app.tasks.AsyncTask.count()).toBe(before)
  })

  it('a row naming an association accessor fails with UnknownTargetError and changes nothing', async () => {
    const { User, Team, Role, Profile, Post, Badge } = app.models
    await app.addLateAssociation()
    const user = await User.create({ name: 'bob' })
    const [team, role, profile, post, badge] = await Promise.all([
      Team.create({ name: 'red' }),
      Role.create({ name: 'admin' }),
      Profile.create({ bio: 'x' }),
      Post.create({ title: 'p' }),
      Badge.create({ label: 'b' }),
    ])
    const id = String(user.id)
    const calls: Array<[string, unknown[]]> = [
      ['setTeam', [team.get('id')]],
      ['createTeam', [{ name: 'blue' }]],
      ['setProfile', [profile.get('id')]],
      ['createProfile', [{ bio: 'pwned' }]],
      ['setArticles', [[post.get('id')]]],
      ['addArticle', [post.get('id')]],
      ['createArticle', [{ title: 'pwned' }]],
      ['setRoles', [[role.get('id')]]],
      ['addRole', [role.get('id')]],
      ['createRole', [{ name: 'root' }]],
      ['setBadges', [[badge.get('id')]]],
      ['getRoles', []],
      ['_isAttribute', ['name']],
    ]
    const rows: Row[] = calls.map(([action, args]) => ({
      objectType: 'User',
      objectId: id,
      action,
      args: JSON.stringify(args),
    }))
    rows.push({ objectType: 'User', objectId: null, action: '_isPrimaryKey', args: '["id"]' })
    const tasks = await writeRows(sequelize, app, rows)
    await expectAllFailed(app, tasks, /^UnknownTargetError: /)
    await user.reload()
    expect(user.TeamId).toBeNull()
    const owned = { where: { UserId: user.id } }
    expect(await Profile.count(owned)).toBe(0)
    expect(await Post.count(owned)).toBe(0)
    expect(await Badge.count(owned)).toBe(0)
    expect(await sequelize.models.UserRoles!.count(owned)).toBe(0)
    expect([await Team.count(), await Role.count()]).toEqual([1, 1])
  })

  it('the AsyncTask model is not a target: no call or row cancels or retries a task', async () => {
    const user = await app.models.User.create({ name: 'cy' })
    const later = await user.async('getDisplayName', { scheduledAt: new Date(Date.now() + 3.6e6) })
    await expect(later.async('cancel' as never)).rejects.toThrow(EnqueueError)
    await expect(app.tasks.AsyncTask.async('sync' as never)).rejects.toThrow(EnqueueError)
    const failed = await user.async('failAs', { args: ['Error'] })
    await app.tasks.createWorker().workOff()
    const rows = await writeRows(sequelize, app, [
      { objectType: 'AsyncTask', objectId: String(later.id), action: 'cancel' },
      { objectType: 'AsyncTask', objectId: String(failed.id), action: 'retry' },
      { objectType: 'AsyncTask', objectId: null, action: 'sync' },
    ])
    await expectAllFailed(app, rows, /^UnknownTargetError: /)
    await later.reload()
    await failed.reload()
    expect([later.status, failed.status]).toEqual(['pending', 'failed'])
  })

  it('a registered EventEmitter runs its own and its app base class methods, never inherited ones', async () => {
    const { mailer } = app
    let heard = 0
    const listener = (): void => void heard++
    mailer.on('sent', listener)
    await mailer.async('deliver', { args: ['ann@example.com'] })
    await mailer.async('notify', { args: ['hello'] })
    for (const name of ['emit', 'removeAllListeners', 'on', 'setMaxListeners']) {
      await expect(mailer.async(name as never), name).rejects.toThrow(EnqueueError)
    }
    const rows = await writeRows(sequelize, app, [
      { objectType: 'Mailer', objectId: null, action: 'removeAllListeners' },
      { objectType: 'Mailer', objectId: null, action: 'emit', args: '["sent"]' },
      { objectType: 'Mailer', objectId: null, action: 'setMaxListeners', args: '[1]' },
    ])
    await expectAllFailed(app, rows, /^UnknownTargetError: /)
    expect(ran.sort()).toEqual(['deliver:ann@example.com', 'notify:hello'])
    expect([mailer.listenerCount('sent'), heard, mailer.getMaxListeners()]).toEqual([1, 0, 10])
    mailer.off('sent', listener)
  })

  it('stored args with a __proto__ key fail the task with a SerializationError before it runs', async () => {
    const user = await app.models.User.create({ name: 'dee' })
    const id = String(user.id)
    const rows = await writeRows(
      sequelize,
      app,
      [
        '[{"__proto__":{"admin":true}}]',
        '[{"a":[{"__proto__":[]}]}]',
        '[{"$t":"Object","v":{"$t":1,"__proto__":{"admin":true}}}]',
      ].map((args) => ({ objectType: 'User', objectId: id, action: 'note', args })),
    )
    await expectAllFailed(app, rows, /^SerializationError: .*__proto__/)
    expect(ran).toEqual([])
  })

  it('a task error named like an Object.prototype member is stored and read back as that error', async () => {
    const user = await app.models.User.create({ name: 'eve' })
    const names = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']
    const tasks = await Promise.all(names.map((name) => user.async('failAs', { args: [name] })))
    const counts = await app.tasks.createWorker().workOff()
    expect(counts.failed).toBe(names.length)
    for (const [i, task] of tasks.entries()) {
      await task.reload()
      const result = task.result as Error
      expect(task.status).toBe('failed')
      expect(task.error).toBe(`${names[i]}: failed as ${names[i]}`)
      expect(result).toBeInstanceOf(Error)
      expect([result.name, result.message]).toEqual([names[i], `failed as ${names[i]}`])
    }
  })
})
