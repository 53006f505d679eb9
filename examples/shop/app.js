'use strict'
// The shop's web process: Express on top of the models.
const express = require('express')

const db = require('./models')

const app = express()
app.use(express.json())

// Returns at once: the confirmation mail is a task a worker runs later.
app.post('/orders', async (req, res) => {
  const order = await db.sequelize.transaction((transaction) =>
    db.Order.create({ email: req.body.email, total: req.body.total ?? 0 }, { transaction }),
  )
  res.status(201).json({ order, tasks: await tasksOf(order) })
})

// The order with its tasks: status, and the mail's result once sent.
app.get('/orders/:id', async (req, res) => {
  const order = await db.Order.findByPk(req.params.id)
  if (!order) return res.status(404).json({ error: 'no such order' })
  res.json({ order, tasks: await tasksOf(order) })
})

async function tasksOf(order) {
  const tasks = await db.tasks.AsyncTask.findAll({
    where: { objectType: 'Order', objectId: String(order.id) },
    order: [['id', 'ASC']],
  })
  return tasks.map((task) => ({
    id: task.id,
    action: task.action,
    status: task.status,
    result: task.result,
  }))
}

module.exports = app

if (require.main === module) {
  const port = Number(process.env.PORT || 3000)
  app.listen(port, () => console.log(`shop listening on http://localhost:${port}`))
}
