/**
 * The one rule for what a task may call (registry.ts lookUpMethod), checked
 * on the objects themselves: what Sequelize, Node and packages put beside the
 * app's methods is refused; what the app wrote, base classes included, is not.
 * (hostile-rows.test.ts checks the same through enqueue and the worker.)
 */
import { EventEmitter } from 'node:events'
import { Transform } from 'node:stream'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DataTypes, Model, Sequelize, type ModelStatic } from 'sequelize'
import { UnknownTargetError } from '../src/index.js'
import { lookUpMethod, ownMethod, Registry } from '../src/registry.js'
import { defineAssociationApp, Mailer, User } from './helpers/association-app.js'

// pg's Client, loaded the way most hosts load it: CommonJS, from node_modules.
const pg = createRequire(import.meta.url)('pg') as { Client: new () => EventEmitter }

/** The function a class body defined, for comparing with what the registry returns. */
const defined = (level: object, name: string): unknown =>
  Object.getOwnPropertyDescriptor(level, name)?.value

const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false })
const app = defineAssociationApp(sequelize)
afterAll(() => sequelize.close())

/** Every function-valued own property of a class or prototype. */
function functionsOn(level: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(level))
    .filter(([, desc]) => typeof desc.value === 'function')
    .map(([name]) => name)
}

describe('registry: what a task may call', () => {
  it('refuses every function Sequelize put on a model, for each kind of association and option', async () => {
    await app.addLateAssociation()
    // A model with every option that makes Sequelize define something.
    class Rich extends Model {}
    Rich.init(
      {
        title: { type: DataTypes.STRING, validate: { len: [1, 9] }, get: () => 'x', set: () => {} },
        virtual: { type: DataTypes.VIRTUAL, get: () => 1 },
        doc: DataTypes.JSON,
      },
      {
        sequelize,
        paranoid: true,
        version: true,
        getterMethods: { shout: () => 'X' },
        setterMethods: { shout: () => {} },
        validate: { check: () => {} },
        hooks: { beforeSave: () => {} },
        scopes: { short: { where: {} } },
        indexes: [{ fields: ['title'] }],
      },
    )
    Rich.belongsTo(app.models.Team)
    Rich.belongsToMany(app.models.Role, { through: 'RichRoles', as: 'labels' })
    const { User: U } = app.models
    // U is `class extends User {}`: every function on it or its prototype is Sequelize's.
    const cases: Array<[object, string[]]> = [
      [U.build({ id: 1 }), functionsOn(U.prototype)],
      [U, functionsOn(U)],
      [Rich.build({ id: 1 }), functionsOn(Rich.prototype)],
      [Rich, functionsOn(Rich)],
    ]
    expect(cases[0]![1]).toEqual(
      expect.arrayContaining(['_isAttribute', 'setTeam', 'createProfile', 'setRoles', 'setBadges']),
    )
    expect(cases[3]![1]).toContain('_isPrimaryKey')
    for (const [target, names] of cases) {
      for (const name of names) expect(ownMethod(target, name), name).toBeUndefined()
    }
  })

  it("runs the app's methods on models, accessor-like names and app base classes included", () => {
    const { User: U } = app.models
    const user = U.build({ id: 1 })
    for (const name of ['getDisplayName', 'note', 'failAs']) {
      expect(ownMethod(user, name), name).toBe(defined(User.prototype, name))
    }
    expect(ownMethod(U, 'countActive')).toBe(defined(User, 'countActive'))
  })

  it('refuses a method the app wrote under an association accessor name, saying why', () => {
    class Member extends Model {
      getTeam(): string {
        return 'mine'
      }
    }
    Member.init({}, { sequelize })
    Member.belongsTo(app.models.Team)
    expect(lookUpMethod(Member.build(), 'getTeam')).toEqual({
      refused: expect.stringMatching(/accessor Sequelize made for the Member\.Team association/),
    })
  })

  it("stops at Node's classes, keeping the app's own and its base classes' methods", () => {
    const mailer = new Mailer()
    expect(ownMethod(mailer, 'deliver')).toBe(defined(Mailer.prototype, 'deliver'))
    expect(ownMethod(mailer, 'notify')).toBeTypeOf('function')
    for (const name of ['emit', 'on', 'removeAllListeners', 'setMaxListeners', 'listeners']) {
      expect(lookUpMethod(mailer, name), name).toEqual({
        refused: `${name} is inherited from EventEmitter, not a method the app wrote`,
      })
    }
    class Upcase extends Transform {
      static build(): Upcase {
        return new Upcase()
      }
      override _transform(chunk: Buffer, _: string, done: () => void): void {
        done()
      }
    }
    expect(ownMethod(Upcase, 'build')).toBe(defined(Upcase, 'build'))
    expect(ownMethod(new Upcase(), '_transform')).toBeTypeOf('function')
    for (const name of ['from', 'once', 'on']) expect(ownMethod(Upcase, name), name).toBeUndefined()
    for (const name of ['push', 'pipe', 'destroy', 'end', '_write']) {
      expect(ownMethod(new Upcase(), name), name).toBeUndefined()
    }
    class Counter extends Map<string, number> {
      bump(key: string): void {
        this.set(key, (this.get(key) ?? 0) + 1)
      }
    }
    expect(ownMethod(new Counter(), 'bump')).toBe(defined(Counter.prototype, 'bump'))
    expect(ownMethod(new Counter(), 'clear')).toBeUndefined()
    class Bus extends EventTarget {}
    expect(ownMethod(new Bus(), 'dispatchEvent')).toBeUndefined()
  })

  it("stops at a package's classes (pg's Client here), loaded from node_modules", () => {
    class Warehouse extends pg.Client {
      restock(): string {
        return 'ok'
      }
    }
    const warehouse = new Warehouse()
    expect(ownMethod(warehouse, 'restock')).toBe(defined(Warehouse.prototype, 'restock'))
    for (const name of ['query', 'connect', 'end', 'emit']) {
      expect(lookUpMethod(warehouse, name), name).toEqual({
        refused: expect.stringMatching(
          new RegExp(`^${name} is inherited from (Client|EventEmitter)`),
        ),
      })
    }
  })

  it("stops at any package's classes, but a model initialised by the app is the app's", () => {
    // A package in node_modules: a client class, a base model and a whole model.
    const root = mkdtempSync(join(tmpdir(), 'sa-registry-'))
    const dir = join(root, 'node_modules', 'shared-lib')
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, 'index.js'),
      `const { Model } = require(${JSON.stringify(createRequire(import.meta.url).resolve('sequelize'))})
      exports.Client = class Client { flushall() {} }
      exports.BaseModel = class BaseModel extends Model { purgeAll() {} }
      exports.Account = class Account extends Model { close() {} }`,
    )
    const lib = createRequire(import.meta.url)(join(dir, 'index.js')) as {
      Client: new () => object
      BaseModel: typeof Model
      Account: ModelStatic<Model>
    }
    rmSync(root, { recursive: true, force: true })
    class Cache extends lib.Client {
      warm(): void {}
    }
    expect(ownMethod(new Cache(), 'warm')).toBeTypeOf('function')
    expect(lookUpMethod(new Cache(), 'flushall')).toEqual({
      refused: 'flushall is inherited from Client, not a method the app wrote',
    })
    class Doc extends lib.BaseModel {
      publish(): void {}
    }
    Doc.init({}, { sequelize })
    expect(ownMethod(Doc.build(), 'publish')).toBeTypeOf('function')
    expect(ownMethod(Doc.build(), 'purgeAll')).toBeUndefined()
    lib.Account.init({}, { sequelize })
    expect(ownMethod(lib.Account.build(), 'close')).toBeTypeOf('function')
  })

  it('refuses to register what belongs to JavaScript, Node or a package', () => {
    const registry = new Registry(sequelize)
    const platform: Array<[string, object]> = [
      ['Global', globalThis],
      ['Proc', process],
      ['Obj', Object],
      ['Emitter', EventEmitter],
      ['Fs', fs],
      ['Pg', pg.Client],
      ['Sequelize', Sequelize],
    ]
    for (const [name, target] of platform) {
      expect(() => registry.register(name, target), name).toThrow(
        /belongs to JavaScript, Node, Sequelize or a package/,
      )
    }
    expect(() => registry.register('Mailer', new Mailer())).not.toThrow()
    expect(() => registry.register('Reports', class Reports {})).not.toThrow()
  })

  it("resolves no row to sequelize-async's own AsyncTask model", () => {
    expect(() => new Registry(sequelize).resolve('AsyncTask')).toThrow(UnknownTargetError)
    expect(() => app.tasks.register('Tasks', app.tasks.AsyncTask)).toThrow(
      /it is a Sequelize model or record/,
    )
  })
})
