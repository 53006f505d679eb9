// A stand-in for shipit that records the commands the generated deploy tasks
// would run on a server, so the snippets are checked without shipit or ssh.

/** Records what shipit tasks would run on the server. */
export function fakeShipit(currentPath = '/srv/shop/current') {
  const tasks = new Map<string, () => unknown>()
  let remote: string[] = []
  const events: Record<string, string> = {}
  let lastStarted = ''
  const shipit = {
    currentPath,
    blTask: (name: string, fn: () => unknown) => tasks.set(name, fn),
    remote: (command: string) => remote.push(command),
    start: (name: string) => (lastStarted = name),
    on: (event: string, fn: () => void) => {
      fn()
      events[event] = lastStarted
    },
    events,
    run(name: string): string[] {
      remote = []
      tasks.get(name)?.()
      return remote
    },
  }
  return shipit
}
