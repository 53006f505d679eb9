import { defineConfig } from 'tsup'

// One ESM and one CJS build of the runtime, each with its own declarations,
// so `import` and `require` hosts both get types (package.json "exports").
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
})
