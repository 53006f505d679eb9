// The package under test: a snapshot of the built dist/ that run.mjs takes
// when it starts (CHAOS_DIST), so a rebuild of dist/ during a long run
// cannot hand later-started workers different code.
const { installAsync, currentTask } = await import(process.env.CHAOS_DIST ?? '../dist/index.js')

export { installAsync, currentTask }
