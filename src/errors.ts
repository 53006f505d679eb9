/**
 * Errors sequelize-async throws or stores. Each says what to do about it.
 */

/** Base class of every error this package throws. */
export class AsyncTaskError extends Error {
  override name = 'AsyncTaskError'
}

/** A value cannot be stored as task arguments or result. */
export class SerializationError extends AsyncTaskError {
  override name = 'SerializationError'
}

/** `async()` was called with something that cannot become a task. */
export class EnqueueError extends AsyncTaskError {
  override name = 'EnqueueError'
}

/** The record a task was enqueued on no longer exists when the task runs. */
export class RecordNotFoundError extends AsyncTaskError {
  override name = 'RecordNotFoundError'
}

/** A stored task names a target or method that is not allowed to run. */
export class UnknownTargetError extends AsyncTaskError {
  override name = 'UnknownTargetError'
}

/** A task ran longer than its `timeout`. */
export class TimeoutError extends AsyncTaskError {
  override name = 'TimeoutError'
}

/** A task's worker died (or lost its lease) too many times while running it. */
export class WorkerLostError extends AsyncTaskError {
  override name = 'WorkerLostError'
}

/** A task was cancelled while it ran (`task.cancel()` on a running task). */
export class CancelledError extends AsyncTaskError {
  override name = 'CancelledError'
}

/** A task waited on a parent (`after`) that failed for good, was cancelled or was deleted. */
export class DependencyError extends AsyncTaskError {
  override name = 'DependencyError'
}
