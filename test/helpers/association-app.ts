/**
 * A host app with every kind of Sequelize association on one model, for the
 * hostile-row tests: User belongsTo Team, hasOne Profile, hasMany Post (as
 * `articles`) and belongsToMany Role (through UserRoles). Its own methods
 * include names that look like association accessors but are not.
 */
import { EventEmitter } from 'node:events'
import { DataTypes, Model, type ModelAttributes, type Sequelize } from 'sequelize'
import { installAsync } from '../../src/index.js'
import { quietLogger } from './app.js'

export const ran: string[] = []

export class User extends Model {
  declare id: number
  declare name: string
  declare TeamId: number | null

  /** Accessor-like, but the app's own: there is no `displayName` association. */
  getDisplayName(): string {
    ran.push(`getDisplayName:${this.id}`)
    return `User ${this.name}`
  }

  /** Reports what it was given: whether an argument object kept Object.prototype. */
  note(value: unknown): boolean {
    ran.push(`note:${this.id}`)
    return Object.getPrototypeOf(value) === Object.prototype
  }

  failAs(name: string): never {
    throw Object.assign(new Error(`failed as ${name}`), { name })
  }

  static countActive(): number {
    ran.push('countActive')
    return 1
  }
}

/** An app base class between the registered class and Node's EventEmitter. */
export class Notifier extends EventEmitter {
  notify(what: string): string {
    ran.push(`notify:${what}`)
    return what
  }
}

export class Mailer extends Notifier {
  deliver(to: string): string {
    ran.push(`deliver:${to}`)
    return to
  }
}

export function defineAssociationApp(sequelize: Sequelize) {
  // Fresh subclasses per Sequelize instance (one per dialect), as app.ts does.
  class U extends User {}
  Object.defineProperty(U, 'name', { value: 'User' })
  const plain = (modelName: string, attributes: ModelAttributes) => {
    const M = class extends Model {}
    Object.defineProperty(M, 'name', { value: modelName })
    return M.init(attributes, { sequelize, modelName })
  }
  const name = { name: DataTypes.STRING }
  U.init(name, { sequelize, modelName: 'User' })
  const Team = plain('Team', name)
  const Role = plain('Role', name)
  const Profile = plain('Profile', { bio: DataTypes.STRING })
  const Post = plain('Post', { title: DataTypes.STRING })
  const Badge = plain('Badge', { label: DataTypes.STRING })
  U.belongsTo(Team)
  U.hasOne(Profile)
  U.hasMany(Post, { as: 'articles' })
  U.belongsToMany(Role, { through: 'UserRoles' })
  const tasks = installAsync(sequelize, {
    logger: quietLogger(),
    classes: { Mailer: new Mailer() },
  })
  return {
    tasks,
    mailer: tasks.classes.Mailer,
    models: { User: U, Team, Role, Profile, Post, Badge },
    /** Every accessor Sequelize made for User's associations. */
    accessors: (): string[] =>
      Object.values(U.associations).flatMap((association) =>
        Object.values((association as unknown as { accessors: Record<string, string> }).accessors),
      ),
    /** Added after installAsync() and after the first enqueue, as an app might in a later module. */
    async addLateAssociation(): Promise<void> {
      if (U.associations.badges) return
      U.hasMany(Badge, { as: 'badges' })
      await Badge.sync({ alter: true })
    },
  }
}
