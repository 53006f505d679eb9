'use strict'
// How `script/async` loads this app (written by `npx create-async`; edit freely).
const path = require('node:path')

// Like sequelize-cli, pick the database block of the environment by NODE_ENV.
process.env.NODE_ENV = process.env.NODE_ENV || 'development'

const MODELS = path.join(__dirname, '..', 'models/index.js')

module.exports = {
  /**
   * Returns installAsync(sequelize, ...)'s result for this app; a worker runs
   * only what that registers. If the models entry exports `tasks`, that is
   * used, so the web process and the workers share one setup; otherwise async
   * is installed here on the `sequelize` it exports.
   */
  async load() {
    const loaded = require(MODELS)
    const { installAsync } = require('sequelize-async')
    const models = loaded.tasks || loaded.sequelize ? loaded : loaded.default || loaded
    if (models.tasks) return models.tasks
    if (!models.sequelize) {
      throw new Error(`${MODELS} exports neither tasks nor sequelize: edit load() in ${__filename}`)
    }
    return installAsync(models.sequelize, { classes: {} })
  },

  // Options of tasks.createWorker(); `script/async --sleep/--concurrency/--queues` override them.
  worker: {
    concurrency: 1,
    pollInterval: 1000, // ms between polls when idle
    queues: ['default'],
    shutdownTimeout: 30000, // ms a stopping worker lets running tasks finish
  },

  // Daemons (`script/async start`): paths relative to the app root.
  daemon: {
    pidDir: 'tmp/pids',
    logDir: 'log',
    stopTimeout: 40000, // ms `stop` waits before SIGKILL
  },
}
