// script/async daemons end to end in a generated cjs-js host app, on SQLite and
// on every database server configured (see helpers/host-app-daemon-suite.ts).
import { daemonSuite } from './helpers/host-app-daemon-suite.js'

daemonSuite('cjs-js')
