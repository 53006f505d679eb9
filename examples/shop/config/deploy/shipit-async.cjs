'use strict'
// shipit tasks for the async workers of shop (written by `npx create-async`).
// In shipitfile.js, after require('shipit-deploy')(shipit):
//
//   require('./config/deploy/shipit-async.cjs')(shipit)                     // script/async daemons
//   require('./config/deploy/shipit-async.cjs')(shipit, { monitor: 'pm2' }) // PM2 watches them
//
// and keep log/ and tmp/pids/ shared between releases (shipit-shared). Then:
//   npx shipit production async:start | async:stop | async:restart
// Every deploy restarts the workers once the new release is published.
const commands = require('./async-commands.cjs')

module.exports = function asyncTasks(shipit, { monitor = 'none' } = {}) {
  const chosen = monitor === 'pm2' ? commands.pm2 : commands.daemon
  const inApp = (command) => `cd ${shipit.currentPath} && ${command}`

  shipit.blTask('async:start', () => shipit.remote(inApp(chosen.start)))
  shipit.blTask('async:stop', () => shipit.remote(inApp(chosen.stop)))
  shipit.blTask('async:restart', () => shipit.remote(inApp(chosen.restart)))

  shipit.on('published', () => shipit.start('async:restart'))
}
