import { defineConfig } from 'tsup'

export default defineConfig([
  // One ESM and one CJS build of the runtime, each with its own declarations,
  // so `import` and `require` hosts both get types (package.json "exports").
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // The builds below run in parallel with this one; keep their outputs.
    clean: ['!cli.cjs*', '!daemon-entry.cjs*', '!plopfile.js*', '!nest.*'],
    target: 'node20',
    platform: 'node',
    splitting: false,
    // import.meta.url in the CJS build too (lazy createRequire of optional parts).
    shims: true,
  },
  // `sequelize-async/nest`: imports the package's own entry (external), so a
  // Nest app and its worker share one runtime with the main entry; @nestjs/*
  // are the app's.
  {
    entry: { nest: 'src/nest/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    external: ['sequelize-async', /^@nestjs\//],
  },
  // The commands behind a host's `script/async`, CommonJS only: daemonize2
  // (bundled in via src/daemon.cjs) needs CommonJS, and daemon-entry.cjs is
  // the file daemonize2 requires inside the daemon.
  {
    entry: { cli: 'src/cli/index.ts', 'daemon-entry': 'src/cli/daemon-entry.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    sourcemap: true,
    shims: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
  },
  // The create-async generator, ESM because plop 4 loads plopfiles with import().
  {
    entry: { plopfile: 'plopfile.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
  },
])
