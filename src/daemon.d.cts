/** Options of {@link spawnDaemon}; every path absolute. */
export interface SpawnOptions {
  main: string
  name: string
  pidfile: string
  cwd: string
  argv: string[]
}

/** Forks a detached daemon running `main`; resolves with its pid. */
export function spawnDaemon(options: SpawnOptions): Promise<number>
