/**
 * What a task's method saw of its record against what findByPk returns
 * now: the record suites (record-join, record-read) run it inside the
 * method, so an instance the worker built itself must be indistinguishable
 * from one Sequelize loaded.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Model, ModelStatic } from 'sequelize'

export interface Seen {
  /** The plain values are deeply equal. */
  same: boolean
  /** Attributes whose value differs in type (Date or not included). */
  types: string[]
  isNewRecord: boolean
  changed: false | string[]
  /** A VIRTUAL attribute's getter, as the method sees it. */
  full: unknown
}

export async function seenAgainstFresh(self: Model, model: ModelStatic<Model>): Promise<Seen> {
  const pk = model.primaryKeyAttribute
  const fresh = (await model.findByPk(self.get(pk) as string, { logging: false })) as Model
  const mine = self.get({ plain: true }) as Record<string, unknown>
  const theirs = fresh.get({ plain: true }) as Record<string, unknown>
  return {
    same: isDeepStrictEqual(mine, theirs),
    types: Object.keys(theirs)
      .filter((k) => {
        const a = mine[k]
        const b = theirs[k]
        return typeof a !== typeof b || a instanceof Date !== b instanceof Date
      })
      .sort(),
    isNewRecord: self.isNewRecord,
    changed: self.changed(),
    full: self.get('full'),
  }
}
