/**
 * A TCP proxy in front of a real PostgreSQL or MySQL/MariaDB server that lets
 * the login through and, in the same write as the server's last login
 * message, appends a fatal error and closes: what a server killed in the
 * moment a connection finished logging in looks like to the driver.
 */
import net from 'node:net'

export interface FatalProxy {
  url: string
  close(): Promise<void>
}

/** PostgreSQL ErrorResponse, FATAL 57P01 (what a dying postmaster's backends send). */
function pgFatal(): Buffer {
  const fields = Buffer.concat([
    Buffer.from('SFATAL\0VFATAL\0C57P01\0'),
    Buffer.from('Mterminating connection due to unexpected postmaster exit\0'),
    Buffer.from([0]),
  ])
  const head = Buffer.alloc(5)
  head.write('E', 0)
  head.writeInt32BE(fields.length + 4, 1)
  return Buffer.concat([head, fields])
}

/** MySQL ERR packet with no command waiting: 1927 ER_CONNECTION_KILLED. */
function mysqlFatal(sequence: number): Buffer {
  const payload = Buffer.concat([
    Buffer.from([0xff, 1927 & 0xff, 1927 >> 8]),
    Buffer.from('#70100Connection was killed'),
  ])
  const head = Buffer.alloc(4)
  head.writeUIntLE(payload.length, 0, 3)
  head.writeUInt8(sequence & 0xff, 3)
  return Buffer.concat([head, payload])
}

/**
 * Finds the end of the server's login in `data` (everything the server has
 * sent so far): PostgreSQL's first ReadyForQuery, MySQL's OK packet after the
 * handshake. Returns the byte offset just past it, or -1.
 */
function loginEnd(kind: 'postgres' | 'mysql', data: Buffer): { end: number; sequence: number } {
  let at = 0
  let packets = 0
  while (true) {
    if (kind === 'postgres') {
      if (data.length < at + 5) return { end: -1, sequence: 0 }
      const type = String.fromCharCode(data[at]!)
      const next = at + 1 + data.readInt32BE(at + 1)
      if (data.length < next) return { end: -1, sequence: 0 }
      if (type === 'Z') return { end: next, sequence: 0 }
      at = next
    } else {
      if (data.length < at + 4) return { end: -1, sequence: 0 }
      const length = data.readUIntLE(at, 3)
      const sequence = data.readUInt8(at + 3)
      const next = at + 4 + length
      if (data.length < next) return { end: -1, sequence: 0 }
      packets += 1
      if (packets > 1 && data[at + 4] === 0x00) return { end: next, sequence: sequence + 1 }
      at = next
    }
  }
}

export async function fatalAfterLogin(serverUrl: string): Promise<FatalProxy> {
  const target = new URL(serverUrl)
  const kind = target.protocol.startsWith('postgres') ? 'postgres' : 'mysql'
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname)
    sockets.add(client).add(upstream)
    let seen = Buffer.alloc(0)
    let done = false
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => {
      if (done) return
      seen = Buffer.concat([seen, chunk])
      const { end, sequence } = loginEnd(kind, seen)
      if (end < 0) {
        // Not the end of the login yet: pass on what is complete so far.
        return void client.write(chunk)
      }
      done = true
      const already = seen.length - chunk.length
      const fatal = kind === 'postgres' ? pgFatal() : mysqlFatal(sequence)
      client.end(Buffer.concat([chunk.subarray(0, end - already), fatal]))
      upstream.destroy()
    })
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop)
    upstream.on('error', drop)
    client.on('close', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  const url = new URL(serverUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return {
    url: url.toString(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
