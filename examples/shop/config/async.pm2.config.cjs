'use strict'
// PM2 ecosystem for the async workers of shop (written by `npx create-async`):
// 2 workers, each restarted when it crashes or grows above 300M.
//
//   pm2 start config/async.pm2.config.cjs --env production
//   ASYNC_WORKERS=4 pm2 start config/async.pm2.config.cjs      # another number of workers
//   pm2 restart config/async.pm2.config.cjs --update-env
//   pm2 stop config/async.pm2.config.cjs && pm2 delete config/async.pm2.config.cjs
//   pm2 save && pm2 startup                                # come back after a reboot
const path = require('node:path')

const root = path.join(__dirname, '..')
const workers = Number(process.env.ASYNC_WORKERS || 2)

module.exports = {
  apps: Array.from({ length: workers }, (_, index) => ({
    name: `shop-async-${index + 1}`,
    script: path.join(root, 'script', 'async'),
    interpreter: 'node',
    cwd: root,
    // One process per worker; the worker itself runs `concurrency` tasks at once.
    exec_mode: 'fork',
    autorestart: true,
    max_memory_restart: '300M',
    restart_delay: 1000,
    // PM2 stops with SIGINT: the worker finishes its running tasks first, for
    // up to its shutdownTimeout (config/async.cjs); PM2 kills it after this.
    kill_timeout: 40000,
    out_file: path.join(root, 'log', `pm2-async-${index + 1}.log`),
    error_file: path.join(root, 'log', `pm2-async-${index + 1}.log`),
    env: { NODE_ENV: 'development' },
    env_production: { NODE_ENV: 'production' },
  })),
}
