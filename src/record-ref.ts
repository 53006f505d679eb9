/**
 * A stored reference to a Sequelize record: the model name and primary key.
 * Tasks store references, never records, and re-load them when they run, so a
 * task always sees the record as it is then, not as it was when enqueued.
 */
export class RecordRef {
  constructor(
    /** The model name (`Model.name`). */
    readonly model: string,
    /** The primary key value. */
    readonly id: string | number,
  ) {}

  toString(): string {
    return `${this.model}(${this.id})`
  }
}
