'use strict'
// One command for the whole demo, on SQLite:
//   npm run build && node examples/shop/demo.js          (Ctrl-C stops it all)
//   node examples/shop/demo.js --once                    (one order, then exit)
// It migrates, starts a worker with `script/async start`, serves the shop on
// PORT (3000), and with --once places an order and waits for its mail.
const { execFileSync } = require('node:child_process')
const { existsSync, mkdirSync, symlinkSync } = require('node:fs')
const path = require('node:path')

const here = __dirname
const once = process.argv.includes('--once')

// Inside the repo the package is the repo itself: link it where the shop's
// require('sequelize-async') and script/async look, as `npm install` would.
function linkPackage() {
  const link = path.join(here, 'node_modules', 'sequelize-async')
  if (existsSync(link)) return
  mkdirSync(path.dirname(link), { recursive: true })
  symlinkSync(path.join(here, '..', '..'), link, 'dir')
}

function run(args) {
  execFileSync(process.execPath, args, { cwd: here, stdio: 'inherit' })
}

async function placeOrder(base) {
  const started = Date.now()
  const created = await fetch(`${base}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com', total: 4200 }),
  }).then((res) => res.json())
  console.log(`POST /orders answered in ${Date.now() - started} ms:`, JSON.stringify(created))
  for (;;) {
    const shown = await fetch(`${base}/orders/${created.order.id}`).then((res) => res.json())
    const task = shown.tasks[0]
    if (task && (task.status === 'succeeded' || task.status === 'failed')) {
      console.log(
        `GET /orders/${created.order.id} after ${Date.now() - started} ms:`,
        JSON.stringify(shown),
      )
      return task.status === 'succeeded'
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

async function main() {
  linkPackage()
  // A re-run of create-async writes only what this version of the package
  // adds (a later schema step's migration), so the demo keeps up with it.
  const bin = path.join(here, '..', '..', 'bin', 'create-async.js')
  const created = execFileSync(process.execPath, [bin, '--yes'], { cwd: here, encoding: 'utf8' })
  for (const line of created.split('\n')) if (line.startsWith('create')) console.log(line)
  const cli = path.join(
    path.dirname(require.resolve('sequelize-cli/package.json')),
    'lib',
    'sequelize',
  )
  run([cli, 'db:migrate'])
  run(['script/async', 'start'])
  const app = require('./app')
  const port = Number(process.env.PORT || 3000)
  const server = app.listen(port)
  await new Promise((resolve) => server.once('listening', resolve))
  const base = `http://localhost:${server.address().port}`
  console.log(`shop listening on ${base}; the worker logs to examples/shop/log/`)

  const shutdown = async (ok) => {
    server.close()
    run(['script/async', 'stop'])
    await require('./models').sequelize.close()
    process.exit(ok ? 0 : 1)
  }
  process.once('SIGINT', () => shutdown(true))
  process.once('SIGTERM', () => shutdown(true))
  if (once) await shutdown(await placeOrder(base))
  else
    console.log(
      `try: curl -XPOST -H 'content-type: application/json' -d '{"email":"ada@example.com"}' ${base}/orders`,
    )
}

main().catch((error) => {
  console.error(error)
  try {
    run(['script/async', 'stop'])
  } finally {
    process.exit(1)
  }
})
