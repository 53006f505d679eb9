/**
 * The functions Sequelize itself puts on a model's own class and prototype,
 * beside the app's methods: every association accessor (`getRoles`,
 * `setRoles`, `addRole`, `createProfile`…, under `as:` aliases too) and two
 * internal helpers. They sit where the app's methods sit, so only their names
 * tell them apart; a row naming one would otherwise pass the own-method rule
 * (`User(42)#setRoles [[1]]` would give user 42 role 1).
 */
import { Model } from 'sequelize'

// Assigned by Model.refreshAttributes() in Sequelize 6 (lib/model.js): the
// only function-valued properties it adds to a model's own prototype and
// class. test/registry.test.ts lists every function on a model with every
// kind of association, so a Sequelize release that adds one fails there.
const INTERNALS = new Set(['_isAttribute', '_isPrimaryKey'])

interface Associated {
  name: string
  associations?: Record<string, { accessors?: Record<string, string> }>
}

/** The model class of a record or of a model class; undefined for anything else. */
export function modelClassOf(target: object): typeof Model | undefined {
  if (target instanceof Model) return target.constructor as typeof Model
  if (typeof target === 'function' && target.prototype instanceof Model) {
    return target as typeof Model
  }
  return undefined
}

/**
 * True for a model class initialised on a Sequelize instance, or its
 * prototype: the app declared it a model, even when its class comes from a
 * package (a shared models package), so its methods are the app's.
 */
export function isInitialisedModel(level: object): boolean {
  if (!Object.hasOwn(level, 'rawAttributes')) return false
  return level instanceof Model || (typeof level === 'function' && level.prototype instanceof Model)
}

/**
 * Why `name` is Sequelize's rather than the app's on this model, or undefined
 * if it is not. Read at every call, so associations added after installAsync()
 * or after an enqueue count. A method the app wrote under an accessor's name
 * counts as the accessor: Sequelize would call it in the accessor's place.
 */
export function sequelizeMade(model: typeof Model, name: string): string | undefined {
  if (INTERNALS.has(name))
    return `${name} is an internal helper of Sequelize, not a method the app wrote`
  // Every model class in the chain: a model may extend another initialised model.
  for (
    let cls: unknown = model;
    typeof cls === 'function' && cls !== Model;
    cls = Object.getPrototypeOf(cls)
  ) {
    const { associations, name: modelName } = cls as Associated
    if (!Object.hasOwn(cls, 'associations') || !associations) continue
    for (const [alias, association] of Object.entries(associations)) {
      if (Object.values(association.accessors ?? {}).includes(name)) {
        return `${name} is an accessor Sequelize made for the ${modelName}.${alias} association, not a method the app wrote; call it from a method of your own`
      }
    }
  }
  return undefined
}
