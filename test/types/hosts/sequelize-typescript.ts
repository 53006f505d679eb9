// .async()/.schedule() on sequelize-typescript models: method names and
// arguments are checked exactly as on plain Sequelize models. Every line
// marked with an expect-error directive is a call the compiler must refuse.

import 'reflect-metadata'
import {
  Column,
  DataType,
  HasMany,
  Model,
  Sequelize,
  Table,
  ForeignKey,
} from 'sequelize-typescript'

import { installAsync, type AsyncTask } from '../../../src/index.js'

@Table({ tableName: 'customers' })
class Customer extends Model {
  @Column(DataType.STRING)
  declare email: string

  @HasMany(() => Invoice)
  declare invoices: Invoice[]

  sendStatement(month: number, format: 'pdf' | 'html'): string {
    return `${this.email} ${month} ${format}`
  }

  static recalculateBalances(): void {}
}

@Table({ tableName: 'invoices' })
class Invoice extends Model {
  @ForeignKey(() => Customer)
  @Column(DataType.INTEGER)
  declare customerId: number

  remind(): void {}
}

const sequelize = new Sequelize({
  dialect: 'sqlite',
  storage: ':memory:',
  models: [Customer, Invoice],
})
installAsync(sequelize)

export async function accepted(customer: Customer, invoice: Invoice): Promise<AsyncTask[]> {
  return [
    await customer.async('sendStatement', { args: [11, 'pdf'] }),
    await customer.schedule(new Date(), 'sendStatement', { args: [12, 'html'], priority: 5 }),
    await invoice.async('remind'),
    await Customer.async('recalculateBalances'),
  ]
}

export async function refused(customer: Customer, invoice: Invoice): Promise<void> {
  // @ts-expect-error -- not a method of Customer
  await customer.async('sendStatment', { args: [11, 'pdf'] })
  // @ts-expect-error -- a string where the month is a number
  await customer.async('sendStatement', { args: ['11', 'pdf'] })
  // @ts-expect-error -- 'csv' is not a format
  await customer.async('sendStatement', { args: [11, 'csv'] })
  // @ts-expect-error -- args are required
  await customer.async('sendStatement')
  // @ts-expect-error -- sequelize-typescript's association helper, not the app's
  await customer.async('$add', { args: ['invoices', invoice] })
  // @ts-expect-error -- sequelize-typescript's association getter
  await customer.async('$get', { args: ['invoices'] })
  // @ts-expect-error -- a column typed any by sequelize-typescript, not a method
  await invoice.async('id')
  // @ts-expect-error -- inherited from Sequelize's Model
  await invoice.async('save')
  // @ts-expect-error -- a static of sequelize-typescript's Model
  await Customer.async('initialize')
  // @ts-expect-error -- a static of Sequelize's Model
  await Customer.async('findAll')
  // @ts-expect-error -- schedule() takes the date first
  await customer.schedule('sendStatement', new Date())
}
