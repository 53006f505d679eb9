/**
 * The allow-list the worker trusts. A stored row names a target and a method
 * by string; the worker resolves the name only through this registry (the
 * models of this Sequelize instance and explicitly registered classes), never
 * through globals or require paths, and calls only methods the app itself
 * wrote. A row written by an attacker can therefore name nothing else.
 *
 * The one rule, for enqueue and for a claimed row alike (lookUpMethod):
 * - the method is a function-valued own property of the target or of a class
 *   it inherits from, searched up to the first class of the platform
 *   (JavaScript, Node, Sequelize's Model, a package from node_modules:
 *   platform.ts), so an app base class counts and EventEmitter does not
 *   (a model initialised on the app's Sequelize is the app's, wherever its
 *   class was written);
 * - on a model, not a function Sequelize made (association accessors,
 *   internals: sequelize-made.ts);
 * - never a name in FORBIDDEN, never a getter, never on sequelize-async's
 *   own AsyncTask model.
 */
import { Model, type ModelStatic, type Sequelize } from 'sequelize'
import { EnqueueError, UnknownTargetError } from './errors.js'
import { isPlatform } from './platform.js'
import { isInitialisedModel, modelClassOf, sequelizeMade } from './sequelize-made.js'
import { AsyncTask } from './task-model.js'

/** A plain class or object whose methods may run as tasks. */
export type PlainTarget = object

type Method = (...args: unknown[]) => unknown

/** A method a task may call, or why there is none. */
export type MethodLookup = { fn: Method } | { refused: string }

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

/** sequelize-async's own task model, its subclasses and its records. */
function isTaskModel(target: object): boolean {
  return (
    target instanceof AsyncTask ||
    (typeof target === 'function' &&
      (target === AsyncTask || target.prototype instanceof AsyncTask))
  )
}

function ownerName(level: object): string {
  const owner: unknown = typeof level === 'function' ? level : level.constructor
  return (typeof owner === 'function' && owner.name) || 'the platform'
}

/** Finds `name` as a method the app itself wrote on the target, or says why it may not run. */
export function lookUpMethod(target: object, name: string): MethodLookup {
  if (typeof name !== 'string' || name === '')
    return { refused: 'a method name must be a non-empty string' }
  if (FORBIDDEN.has(name)) return { refused: `${name} is never a task method` }
  if (isTaskModel(target)) {
    return { refused: "AsyncTask is sequelize-async's own task table; its methods are not tasks" }
  }
  const model = modelClassOf(target)
  const made = model && sequelizeMade(model, name)
  if (made) return { refused: made }
  for (let obj: object | null = target; obj; obj = Object.getPrototypeOf(obj) as object | null) {
    if (!isInitialisedModel(obj) && isPlatform(obj)) {
      return name in obj
        ? { refused: `${name} is inherited from ${ownerName(obj)}, not a method the app wrote` }
        : { refused: `there is no method ${name}` }
    }
    const desc = Object.getOwnPropertyDescriptor(obj, name)
    if (!desc) continue
    // Accessors (Sequelize attribute getters) are not methods; never call them here.
    return typeof desc.value === 'function'
      ? { fn: desc.value as Method }
      : { refused: `${name} is an attribute or property, not a method` }
  }
  return { refused: `there is no method ${name}` }
}

/** The method `name` of the target that a task may call, or undefined (see lookUpMethod for why). */
export function ownMethod(target: object, name: string): Method | undefined {
  const found = lookUpMethod(target, name)
  return 'fn' in found ? found.fn : undefined
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
    if (modelClassOf(target)) {
      throw new EnqueueError(
        `Cannot register ${name}: it is a Sequelize model or record. The models of the Sequelize instance passed to installAsync() are targets already, under their model names.`,
      )
    }
    if (isPlatform(target)) {
      throw new EnqueueError(
        `Cannot register ${name}: it belongs to JavaScript, Node, Sequelize or a package (${ownerName(target)}), not to your app. Register a class or object of your own whose methods call it.`,
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
    if (model && isTaskModel(model)) {
      throw new UnknownTargetError(
        `"${objectType}" is sequelize-async's own task model; no task may call its methods.`,
      )
    }
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
