/**
 * Where the logins of a dashboard live. The default keeps them in the
 * process's memory; a host whose dashboard is served by several processes
 * without sticky sessions gives a shared store (three methods over Redis, a
 * table…). Keys are hashes of the session ids, so a dump of the store holds
 * no usable cookie.
 */

/** One login, as a store keeps it. Times are ms since the epoch. */
export interface SessionRecord {
  createdAt: number
  lastSeenAt: number
}

/** A place to keep sessions; methods may return promises. */
export interface SessionStore {
  get(key: string): Promise<SessionRecord | undefined> | SessionRecord | undefined
  /** `ttl` (ms) is when the record is surely useless; a store may drop it then. */
  set(key: string, record: SessionRecord, ttl: number): Promise<void> | void
  delete(key: string): Promise<void> | void
}

/** Enough for every operator of an app; an old login gives way to a new one beyond it. */
const MAX_SESSIONS = 10_000

interface Entry {
  record: SessionRecord
  expiresAt: number
}

/** The default store: a Map in this process, bounded, oldest use evicted first. */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, Entry>()

  constructor(readonly maxSessions = MAX_SESSIONS) {}

  get size(): number {
    return this.#entries.size
  }

  get(key: string): SessionRecord | undefined {
    const entry = this.#entries.get(key)
    if (entry && entry.expiresAt <= Date.now()) this.#entries.delete(key)
    else return entry?.record
    return undefined
  }

  set(key: string, record: SessionRecord, ttl: number): void {
    // Delete first so the Map's insertion order is the order of last use.
    this.#entries.delete(key)
    this.#entries.set(key, { record: { ...record }, expiresAt: Date.now() + ttl })
    if (this.#entries.size > this.maxSessions) this.#evict()
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  /** Drops expired sessions, then the least recently used until within bounds. */
  #evict(): void {
    const now = Date.now()
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key)
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.maxSessions) break
      this.#entries.delete(key)
    }
  }
}
