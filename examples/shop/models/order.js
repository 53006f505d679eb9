'use strict'
const { DataTypes, Model } = require('sequelize')

// How long the "mail server" takes; the point of the demo is that POST /orders
// does not wait for it.
const MAIL_MS = Number(process.env.SHOP_MAIL_MS || 2000)

module.exports = (sequelize) => {
  class Order extends Model {
    /** Deliberately slow, like a real mail server. Runs in a worker. */
    async sendConfirmationEmail() {
      await new Promise((resolve) => setTimeout(resolve, MAIL_MS))
      return `confirmation for order ${this.id} sent to ${this.email}`
    }
  }

  Order.init(
    {
      email: { type: DataTypes.STRING, allowNull: false },
      total: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    },
    { sequelize, tableName: 'orders' },
  )

  // The one line that moves the mail out of the request: the task is enqueued
  // in the order's transaction, so a worker sees it only once the order exists.
  Order.afterCreate((order, { transaction }) =>
    order.async('sendConfirmationEmail', { transaction }),
  )

  return Order
}
