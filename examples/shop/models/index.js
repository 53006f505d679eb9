'use strict'
const path = require('node:path')
const { Sequelize } = require('sequelize')
const { installAsync } = require('sequelize-async')

const env = process.env.NODE_ENV || 'development'
const config = require('../config/config.json')[env]

const sequelize = new Sequelize({
  ...config,
  storage: path.join(__dirname, '..', config.storage),
})

const db = { sequelize, Sequelize }
db.Order = require('./order')(sequelize)

// config/async.cjs hands this to script/async, so the web process and the
// workers share one setup.
db.tasks = installAsync(sequelize, { classes: {} })

module.exports = db
