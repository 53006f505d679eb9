/**
 * The allow-list the worker trusts. A stored row names a target and a method
 * by string; the worker resolves the name only through this registry (the
 * models of this Sequelize instance and explicitly registered classes), never
 * through globals or require paths, and calls only the target's own methods.
 * A row written by an attacker can therefore name nothing else.
 */
import { Model, type ModelStatic, type Sequelize } from 'sequelize'
import { EnqueueError, UnknownTargetError } from './errors.js'

/** A plain class or object whose methods may run as tasks. */
export type PlainTarget = object

/** Names no task may call, whatever the target defines. */
const FORBIDDEN = new Set([
  'constructor',
  'prototype',
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'async',
  'schedule',
])

// Where the search for a target's own methods stops: what every class,
// function, object or model inherits is not the target's own.
const STOPS = new Set<object>([Object.prototype, Function.prototype, Model.prototype, Model])

/** Finds `name` as a method the target itself defines (never inherited from the platform). */
export function ownMethod(
  target: object,
  name: string,
): ((...args: unknown[]) => unknown) | undefined {
  if (typeof name !== 'string' || name === '' || FORBIDDEN.has(name)) return undefined
  for (
    let obj: object | null = target;
    obj && !STOPS.has(obj);
    obj = Object.getPrototypeOf(obj) as object | null
  ) {
    const desc = Object.getOwnPropertyDescriptor(obj, name)
    if (!desc) continue
    // Accessors (Sequelize attribute getters) are not methods; never call them here.
    return typeof desc.value === 'function'
      ? (desc.value as (...args: unknown[]) => unknown)
      : undefined
  }
  return undefined
}

export class Registry {
  private readonly classes = new Map<string, PlainTarget>()
  private readonly names = new Map<object, string>()

  constructor(private readonly sequelize: Sequelize) {}

  register(name: string, target: PlainTarget): void {
    if (typeof name !== 'string' || !/^[A-Za-z_$][\w$.:-]{0,254}$/.test(name)) {
      throw new EnqueueError(
        `Cannot register "${String(name)}": use a name of letters, digits and _ (e.g. "Newsletter").`,
      )
    }
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
      throw new EnqueueError(
        `Cannot register ${name}: pass a class or an object, not ${typeof target}.`,
      )
    }
    if (this.sequelize.isDefined(name)) {
      throw new EnqueueError(
        `Cannot register ${name}: a model of that name exists; models are registered already.`,
      )
    }
    const existing = this.classes.get(name)
    if (existing && existing !== target) {
      throw new EnqueueError(
        `Cannot register ${name}: another class or object is registered under that name.`,
      )
    }
    this.classes.set(name, target)
    this.names.set(target, name)
  }

  /** The registered name of a plain class or object, if it is registered. */
  nameOf(target: object): string | undefined {
    return this.names.get(target)
  }

  /** The model of this Sequelize instance with this name, if any. */
  model(name: string): ModelStatic<Model> | undefined {
    if (!this.sequelize.isDefined(name)) return undefined
    return this.sequelize.model(name)
  }

  /** Resolves a stored target name at run time; throws for anything not allowed. */
  resolve(
    objectType: string,
  ): { kind: 'model'; model: ModelStatic<Model> } | { kind: 'class'; target: PlainTarget } {
    const model = this.model(objectType)
    if (model) return { kind: 'model', model }
    const target = this.classes.get(objectType)
    if (target) return { kind: 'class', target }
    throw new UnknownTargetError(
      `"${objectType}" is neither a model of this Sequelize instance nor a registered class. Register it with installAsync(sequelize, { classes: { ${safeName(objectType)} } }) or tasks.register() in the worker's config.`,
    )
  }
}

function safeName(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : 'Name'
}
