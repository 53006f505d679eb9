'use strict'
// PM2 deploy hooks for the async workers of shop (written by `npx create-async`).
// Merge one of these environments into the `deploy` section of your PM2
// ecosystem file, set user/host/repo, then:
//   pm2 deploy ecosystem.config.cjs production setup
//   pm2 deploy ecosystem.config.cjs production
// After each deploy the hook installs, migrates and restarts the workers.
const commands = require('./async-commands.cjs')

const base = {
  user: 'deploy',
  host: ['example.com'],
  ref: 'origin/main',
  repo: 'git@example.com:you/shop.git',
  path: '/var/www/shop',
  // PM2 deploy keeps log/ and tmp/pids/ under /var/www/shop/shared; link them.
  'post-setup': 'mkdir -p ../shared/log ../shared/tmp/pids',
}

const link = [
  'rm -rf log tmp/pids',
  'mkdir -p tmp',
  'ln -sfn ../shared/log log',
  'ln -sfn ../../shared/tmp/pids tmp/pids',
].join(' && ')
const prepare = `${link} && npm ci && NODE_ENV=production npx sequelize-cli db:migrate`

module.exports = {
  // Without a monitor: daemons run by script/async.
  production: { ...base, 'post-deploy': `${prepare} && ${commands.daemon.restart}` },
  // With PM2 watching the workers (config/async.pm2.config.cjs).
  'production-pm2': { ...base, 'post-deploy': `${prepare} && ${commands.pm2.restart}` },
}
