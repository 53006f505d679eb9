/**
 * A TypeScript app's build, from its tsconfig.json: where tsc reads sources
 * (rootDir) and writes JavaScript (outDir). create-async uses it both ways:
 * a `.sequelizerc` path under outDir (`dist/db/migrations`) has its source
 * folder under rootDir, where the migration belongs (the next build wipes
 * dist/); and a source file (`src/models/index.ts`) has a compiled file the
 * worker can load without tsx, with the decorator metadata only tsc emits.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'

/** rootDir and outDir, relative to the app root, without trailing slashes. */
export interface TypeScriptBuild {
  rootDir: string
  outDir: string
  /** the file tsc reads: tsconfig.build.json (Nest) if present, else tsconfig.json */
  tsconfig: string
}

/**
 * tsconfig.json is JSON with comments and trailing commas; this reads the two
 * settings without loading the app's TypeScript (it follows no `extends`).
 */
export function readTypeScriptBuild(root: string): TypeScriptBuild | null {
  const tsconfig = ['tsconfig.build.json', 'tsconfig.json'].find((name) =>
    existsSync(join(root, name)),
  )
  if (!tsconfig) return null
  const options = compilerOptions(root, tsconfig) ?? compilerOptions(root, 'tsconfig.json')
  const outDir = clean(options?.outDir)
  if (!options || !outDir || options.noEmit === true) return null
  // Without rootDir tsc uses the common folder of the inputs: `src` in the
  // usual layouts (Nest, most boilerplates), else the app root.
  const rootDir = clean(options.rootDir) ?? (existsSync(join(root, 'src')) ? 'src' : '.')
  return { rootDir, outDir, tsconfig }
}

interface CompilerOptions {
  outDir?: string
  rootDir?: string
  noEmit?: boolean
}

function compilerOptions(root: string, file: string): CompilerOptions | null {
  if (!existsSync(join(root, file))) return null
  const text = readFileSync(join(root, file), 'utf8')
    .replace(
      /("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g,
      (_, string?: string) => string ?? '',
    )
    .replace(/,(\s*[}\]])/g, '$1')
  try {
    const parsed = JSON.parse(text) as { compilerOptions?: CompilerOptions }
    const options = parsed.compilerOptions
    return options?.outDir === undefined && file === 'tsconfig.build.json' ? null : (options ?? {})
  } catch {
    return null
  }
}

function clean(path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  const normal = posix.normalize(path.replace(/\\/g, '/')).replace(/^\.\/|\/$/g, '')
  return normal === '' ? '.' : normal
}

const under = (path: string, dir: string) =>
  dir === '.' ? !path.startsWith('..') : path === dir || path.startsWith(`${dir}/`)

const swap = (path: string, from: string, to: string) => {
  const rest = from === '.' ? path : path.slice(from.length).replace(/^\//, '')
  return to === '.' ? rest : rest ? `${to}/${rest}` : to
}

/** `dist/db/migrations` → `src/db/migrations`; null when the path is not under outDir. */
export function sourceOf(build: TypeScriptBuild, path: string): string | null {
  return build.outDir !== '.' && under(path, build.outDir)
    ? swap(path, build.outDir, build.rootDir)
    : null
}

/** `src/models/index.ts` → `dist/models/index.js`; null when the file is not under rootDir. */
export function compiledOf(build: TypeScriptBuild, path: string): string | null {
  if (!under(path, build.rootDir) || under(path, build.outDir)) return null
  return swap(path, build.rootDir, build.outDir)
    .replace(/\.ts$/, '.js')
    .replace(/\.mts$/, '.mjs')
    .replace(/\.cts$/, '.cjs')
}
