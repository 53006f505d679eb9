'use strict'
// The shell commands that start, stop and restart the async workers of
// shop on a server, run from the app directory (written by `npx create-async`).
// config/deploy/shipit-async.cjs and pm2-deploy.cjs use them.
//
// Deploys that switch a `current` symlink must keep log/ and tmp/pids/ in the
// shared directory, or `stop` in a new release cannot find the old pidfiles.

const env = 'NODE_ENV=production'

module.exports = {
  // Without a monitor: daemons run by script/async (daemonize2, pidfiles per uid).
  daemon: {
    start: `${env} node script/async start`,
    stop: `${env} node script/async stop`,
    restart: `${env} node script/async restart`,
  },
  // With PM2 watching the workers (config/async.pm2.config.cjs).
  pm2: {
    start: 'pm2 start config/async.pm2.config.cjs --env production',
    stop: 'pm2 stop config/async.pm2.config.cjs && pm2 delete config/async.pm2.config.cjs',
    restart: 'pm2 startOrRestart config/async.pm2.config.cjs --env production --update-env',
  },
}
