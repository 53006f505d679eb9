/**
 * Slows down guessing the token. Failed logins (form or `Authorization:
 * Bearer`) are counted per client address; after FREE_FAILURES the address
 * must wait 1 s, then 2 s, 4 s… up to MAX_DELAY before its next try, which
 * is refused with 429 without even comparing the token.
 *
 * Why it cannot lock others out for long: only the failing address waits;
 * a browser already logged in is never asked; the wait is capped, and an
 * address that stops failing is forgotten after FORGET_AFTER. The table is
 * bounded, so many addresses cannot fill memory either.
 */

const FREE_FAILURES = 5
const BASE_DELAY = 1_000
const MAX_DELAY = 5 * 60_000
const FORGET_AFTER = 15 * 60_000
const MAX_ADDRESSES = 10_000

interface Failures {
  count: number
  lastAt: number
  blockedUntil: number
}

export class LoginThrottle {
  readonly #byAddress = new Map<string, Failures>()

  /** Seconds `address` must still wait before its next try; 0 when it may try now. */
  retryAfter(address: string): number {
    const entry = this.#current(address)
    const wait = (entry?.blockedUntil ?? 0) - Date.now()
    return wait > 0 ? Math.ceil(wait / 1000) : 0
  }

  /** Counts a wrong token and sets the wait before the next try. */
  fail(address: string): void {
    const now = Date.now()
    const count = (this.#current(address)?.count ?? 0) + 1
    const over = count - FREE_FAILURES
    const delay = over >= 0 ? Math.min(MAX_DELAY, BASE_DELAY * 2 ** Math.min(over, 30)) : 0
    // Re-inserted so the Map's order is the order of last failure (oldest evicted first).
    this.#byAddress.delete(address)
    this.#byAddress.set(address, { count, lastAt: now, blockedUntil: now + delay })
    if (this.#byAddress.size > MAX_ADDRESSES) this.#evict(now)
  }

  /** A right token clears the address's record. */
  succeed(address: string): void {
    this.#byAddress.delete(address)
  }

  #current(address: string): Failures | undefined {
    const entry = this.#byAddress.get(address)
    if (entry && this.#forgotten(entry, Date.now())) {
      this.#byAddress.delete(address)
      return undefined
    }
    return entry
  }

  #forgotten(entry: Failures, now: number): boolean {
    return now >= entry.blockedUntil && now - entry.lastAt >= FORGET_AFTER
  }

  #evict(now: number): void {
    for (const [address, entry] of this.#byAddress) {
      if (this.#forgotten(entry, now)) this.#byAddress.delete(address)
    }
    for (const address of this.#byAddress.keys()) {
      if (this.#byAddress.size <= MAX_ADDRESSES) break
      this.#byAddress.delete(address)
    }
  }
}

/**
 * The key failures are counted under: the address itself for IPv4, its /64
 * network for IPv6 (one host usually holds a whole /64 and could otherwise
 * hop between addresses).
 */
export function throttleKey(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')
  if (!plain.includes(':')) return plain
  const [head = '', tail = ''] = plain.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = plain.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`
}
