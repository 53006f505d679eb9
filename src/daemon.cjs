'use strict'
// The one place daemonize2 is loaded. daemonize2 0.4 (2013) reads
// `module.parent.filename`, which does not exist under ESM, so this file stays
// CommonJS. It is given absolute paths and an explicit cwd because it resolves
// relative ones against this file and otherwise chdirs the daemon to `/`.
// Pidfile ownership, start-up checks and the bounded stop live in
// src/cli/daemons.ts; daemonize2 only forks, detaches and runs `main`.
const daemonize = require('daemonize2')

/**
 * Forks a detached daemon that runs `main` (a CommonJS file) in `cwd`.
 * Resolves with its pid once daemonize2 has seen it survive the require of
 * `main`; rejects with daemonize2's reason otherwise.
 * @param {{ main: string, name: string, pidfile: string, cwd: string, argv: string[] }} options
 * @returns {Promise<number>}
 */
function spawnDaemon(options) {
  return new Promise((resolve, reject) => {
    const daemon = daemonize.setup({
      main: options.main,
      name: options.name,
      pidfile: options.pidfile,
      cwd: options.cwd,
      argv: options.argv,
      // We print our own messages; daemonize2's would say "started" before the
      // worker has even loaded the app.
      silent: true,
    })
    daemon.start((error, pid) => (error ? reject(error) : resolve(pid)))
  })
}

module.exports = { spawnDaemon }
