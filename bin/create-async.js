#!/usr/bin/env node
// `npx create-async`: scaffolds background tasks into the Sequelize app in the
// current directory. The generator is plopfile.ts, compiled to dist/plopfile.js.
import { runCreateAsync } from '../dist/plopfile.js'

runCreateAsync(process.argv.slice(2), process.cwd()).then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    console.error(error)
    process.exitCode = 1
  },
)
