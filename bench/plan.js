// The ordered steps of one run: every round runs each scenario for every
// system, systems interleaved (A B C A B C …) and rotated by one each round
// so no system always goes first after a cold phase.
import { SYSTEMS, makeSystem } from './systems/index.js'
import { enqueue } from './scenarios/enqueue.js'
import { drain } from './scenarios/drain.js'
import { latency, latencyInProcess } from './scenarios/latency.js'
import { depth } from './scenarios/depth.js'
import { floors } from './scenarios/floors.js'
import { bulk } from './scenarios/bulk.js'
import { UsageError } from './options.js'

const drainStep = (processes, concurrency) => ({
  scenario: 'drain',
  setting: `${processes}x${concurrency}`,
  run: (system, sizes) => drain(system, sizes, { processes, concurrency }),
})

const SCENARIOS = [
  { scenario: 'enqueue', run: enqueue },
  { scenario: 'latency', run: latency },
  { scenario: 'latency-inproc', run: latencyInProcess },
  ...[
    [1, 1],
    [1, 10],
    [2, 10],
  ].map(([p, c]) => drainStep(p, c)),
  { scenario: 'depth', run: depth },
  { scenario: 'bulk', run: bulk },
]

export const SCENARIO_NAMES = ['floors', ...new Set(SCENARIOS.map((s) => s.scenario))]

function selected(only) {
  const systems = only.filter((o) => o in SYSTEMS)
  const scenarios = only.filter((o) => SCENARIO_NAMES.includes(o))
  const unknown = only.filter((o) => !(o in SYSTEMS) && !SCENARIO_NAMES.includes(o))
  if (unknown.length) {
    throw new UsageError(
      `--only: unknown ${unknown.join(', ')}; systems: ${Object.keys(SYSTEMS).join(', ')}; scenarios: ${SCENARIO_NAMES.join(', ')}`,
    )
  }
  return {
    systems: systems.length ? systems : Object.keys(SYSTEMS),
    scenarios: scenarios.length ? scenarios : SCENARIO_NAMES,
  }
}

export function planRound(round, options) {
  const { systems, scenarios } = selected(options.only)
  const sizes = options.sizes
  const steps = []
  if (scenarios.includes('floors'))
    steps.push({ round, scenario: 'floors', run: () => floors(sizes) })
  const shift = round % systems.length
  const order = [...systems.slice(shift), ...systems.slice(0, shift)]
  for (const s of SCENARIOS) {
    if (!scenarios.includes(s.scenario)) continue
    if (s.scenario === 'depth' && round >= sizes.depthRounds) continue
    for (const name of order) {
      if (!SYSTEMS[name].scenarios.includes(s.scenario)) continue
      if (
        s.setting &&
        SYSTEMS[name].drainSettings &&
        !SYSTEMS[name].drainSettings.includes(s.setting)
      )
        continue
      const run = async () => s.run(await makeSystem(name, sizes), sizes)
      steps.push({ round, scenario: s.scenario, setting: s.setting, system: name, run })
    }
  }
  return steps
}
