// Simulated worker hosts: one network namespace per host, joined to this
// machine by a veth pair. Host i is 10.213.i.2 inside its namespace and
// reaches the databases at 10.213.i.1 (this machine's end of the pair); no
// other route exists, so its traffic stays between the two. `cut`/`mend`
// take the link down and up (the whole host loses the database).
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { onCleanup, run } from './daemons.mjs'

const ip = (...args) => run('ip', args)

export function makeHosts(dir, count) {
  const tag = String(process.pid % 10000)
  const hosts = []
  for (let i = 1; i <= count; i++) {
    const ns = `sa-${tag}-h${i}`
    const outer = `sa${tag}h${i}`
    const host = {
      ns,
      outer,
      dbAddress: `10.213.${i}.1`,
      address: `10.213.${i}.2`,
    }
    ip('netns', 'add', ns)
    onCleanup(() => ip('netns', 'del', ns)) // removes the inner end, and so the pair
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
    ip('addr', 'add', `${host.dbAddress}/24`, 'dev', outer)
    ip('link', 'set', outer, 'up')
    ip('-n', ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0')
    ip('-n', ns, 'link', 'set', 'eth0', 'up')
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    // fork() runs this instead of node: the worker, with its IPC channel, in the namespace.
    host.node = join(dir, `node-in-${ns}`)
    writeFileSync(host.node, `#!/bin/sh\nexec ip netns exec ${ns} ${process.execPath} "$@"\n`)
    chmodSync(host.node, 0o755)
    host.cut = () => ip('link', 'set', outer, 'down')
    host.mend = () => ip('link', 'set', outer, 'up')
    hosts.push(host)
  }
  return hosts
}
