/**
 * What belongs to the platform rather than to the app: JavaScript's built-in
 * classes, Node's core classes (EventEmitter, streams, sockets, servers…),
 * Sequelize's Model, and classes exported by packages loaded from
 * node_modules. The registry stops looking for a target's methods at the
 * first platform class, so a row can name what the app wrote (its classes and
 * its own base classes) but nothing they inherit from Node or a library.
 */
import { createRequire } from 'node:module'
import { sep } from 'node:path'
import { Model } from 'sequelize'

// Core modules whose classes apps extend, loaded on first use rather than at
// import. The first lookup in a process builds every set: 10 ms and +0.3 MB
// RSS with Sequelize, pg and sqlite3 loaded (390 modules cached); later ones
// take 0.1 ms. `repl` (54 ms) and `dgram` (17 ms) are left out: nobody
// registers a REPL or a UDP socket.
const CORE_MODULES = [
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'diagnostics_channel',
  'dns',
  'events',
  'fs',
  'http',
  'http2',
  'https',
  'module',
  'net',
  'perf_hooks',
  'readline',
  'stream',
  'string_decoder',
  'tls',
  'tty',
  'url',
  'util',
  'vm',
  'worker_threads',
  'zlib',
]

let builtins: WeakSet<object> | undefined

/** Adds a class (or any object) and everything it inherits from. */
function addWithAncestors(set: WeakSet<object>, value: unknown): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return
  const isClass = typeof value === 'function'
  for (
    let obj: object | null = value;
    obj && !set.has(obj);
    obj = Object.getPrototypeOf(obj) as object | null
  ) {
    set.add(obj)
  }
  if (isClass) {
    const proto: unknown = (value as { prototype?: unknown }).prototype
    if (proto && typeof proto === 'object') addWithAncestors(set, proto)
  }
}

/** Classes exported by a module: itself if a class, else its own data properties. */
function exportedValues(exports: unknown): unknown[] {
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return []
  const values: unknown[] = [exports]
  for (const desc of Object.values(Object.getOwnPropertyDescriptors(exports))) {
    // Data properties only: a getter may load more code or throw.
    if ('value' in desc && typeof desc.value === 'function') values.push(desc.value)
  }
  return values
}

function builtinSet(): WeakSet<object> {
  if (builtins) return builtins
  const set = new WeakSet<object>()
  // The non-enumerable globals are the platform's: Object, Array, Map,
  // Promise, Error, EventTarget, URL… (an app's own `globalThis.X = …` is
  // enumerable). Lazy ones (AbortController, Blob, Response…) are getters;
  // with Sequelize loaded, reading them all takes ~2 ms.
  addWithAncestors(set, globalThis)
  for (const [name, desc] of Object.entries(Object.getOwnPropertyDescriptors(globalThis))) {
    if (desc.enumerable) continue
    if ('value' in desc) addWithAncestors(set, desc.value)
    else if (desc.get && /^[A-Z]/.test(name)) addWithAncestors(set, desc.get.call(globalThis))
  }
  for (const name of CORE_MODULES) {
    const exports = process.getBuiltinModule(name)
    addWithAncestors(set, exports)
    for (const value of exportedValues(exports)) addWithAncestors(set, value)
  }
  addWithAncestors(set, process)
  addWithAncestors(set, Model)
  builtins = set
  return set
}

/*
 * Classes exported by packages in node_modules (ioredis's Redis, pg's Client,
 * an SDK's base client…), found through Node's CommonJS module cache. To
 * extend a package's class an app imports it from the package, so the class
 * is one of the package's exports (or a property of them), and its module is
 * loaded before any object of it exists. The cache is scanned when a class
 * not seen before is asked about, and only the modules loaded since the last
 * scan. Packages loaded as ES modules are not in this cache and are not
 * recognised (docs/security.md says so).
 */
const IN_PACKAGE = `${sep}node_modules${sep}`
const moduleCache = createRequire(`${process.cwd()}${sep}`).cache
const packageClasses = new WeakSet<object>()
const judged = new WeakMap<object, boolean>()
const scanned = new Set<string>()

function scanPackages(): void {
  for (const [file, mod] of Object.entries(moduleCache)) {
    // A module still loading has not assigned its exports yet: look again later.
    if (scanned.has(file) || !file.includes(IN_PACKAGE) || !mod?.loaded) continue
    scanned.add(file)
    try {
      const exports: unknown = mod.exports
      const nested = (exports as { default?: unknown } | null)?.default
      for (const value of [...exportedValues(exports), ...exportedValues(nested)]) {
        if (typeof value === 'function') addWithAncestors(packageClasses, value)
      }
    } catch {
      // Exports that throw when looked at (a Proxy, say) hide no class we could see.
    }
  }
}

// Only classes and prototypes are asked about: a record or other instance is
// never a package's class, and must not cost a scan on every task.
function isClassOrPrototype(value: object): boolean {
  if (typeof value === 'function') return true
  const ctor = Object.getOwnPropertyDescriptor(value, 'constructor')?.value as unknown
  return typeof ctor === 'function' && (ctor as { prototype?: unknown }).prototype === value
}

function packageClass(value: object): boolean {
  if (!isClassOrPrototype(value)) return false
  let found = judged.get(value)
  if (found === undefined) {
    if (!packageClasses.has(value)) scanPackages()
    found = packageClasses.has(value)
    judged.set(value, found)
  }
  return found
}

/**
 * True for a class, prototype or object that JavaScript, Node, Sequelize or
 * a package from node_modules defined (and for everything they inherit).
 */
export function isPlatform(value: object): boolean {
  return builtinSet().has(value) || packageClass(value)
}
