// The README's first command: a model moves a slow method into a worker.
//
//   npm ci && npm run demo
//
// An Order sends a (deliberately slow) confirmation e-mail. With
// `order.async(...)` the call returns at once; a worker runs the method and the
// task row keeps its result. Embedded SQLite, no server needed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataTypes, Model, Sequelize } from 'sequelize'
import { installAsync } from '../dist/index.js'

const dir = mkdtempSync(join(tmpdir(), 'sequelize-async-demo-'))
const sequelize = new Sequelize({
  dialect: 'sqlite',
  storage: join(dir, 'shop.sqlite'),
  logging: false,
})

class Order extends Model {
  // The slow part of a request: talking to a mail server.
  async sendConfirmationEmail(greeting) {
    await new Promise((resolve) => setTimeout(resolve, 1500))
    return {
      to: this.email,
      subject: `${greeting}, order #${this.id} is confirmed`,
      sentAt: new Date(),
    }
  }
}
Order.init({ email: DataTypes.STRING, total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })

const tasks = installAsync(sequelize)
await tasks.migrate()
await sequelize.sync()

const worker = tasks.createWorker({ concurrency: 2 })
await worker.start()

const order = await Order.create({ email: 'ann@example.com', total: 2990 })
let t = performance.now()
const task = await order.async('sendConfirmationEmail', { args: ['Hello Ann'] })
console.log(
  `order.async('sendConfirmationEmail') returned in ${(performance.now() - t).toFixed(1)} ms -> task ${task.id}, ${task.status}`,
)

t = performance.now()
while ((await task.reload()).status === 'pending' || task.status === 'running') {
  await new Promise((resolve) => setTimeout(resolve, 50))
}
console.log(`the worker finished it ${(performance.now() - t).toFixed(0)} ms later:`)
console.log({
  id: task.id,
  target: task.label,
  status: task.status,
  success: task.success,
  attempts: task.attempts,
  result: task.result,
})

await worker.stop()
await sequelize.close()
rmSync(dir, { recursive: true, force: true })
