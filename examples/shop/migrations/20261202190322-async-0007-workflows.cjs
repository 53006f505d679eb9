'use strict'
// Written by `npx create-async` (sequelize-async 0.1.0).
// Applies the sequelize-async schema steps listed in STEPS, the same steps
// `tasks.migrate()` runs; each step checks what exists, so running both is safe.
// `npx sequelize-cli db:migrate:undo` reverts them in reverse order.
const { migrationSteps } = require('sequelize-async')

const STEPS = ['0006-flow-control', '0007-workflows']

function steps() {
  return STEPS.map((name) => {
    const step = migrationSteps.find((candidate) => candidate.name === name)
    if (!step) {
      throw new Error(
        `sequelize-async has no schema step "${name}": install the version that wrote this migration or newer`,
      )
    }
    return step
  })
}

module.exports = {
  async up(queryInterface, Sequelize) {
    for (const step of steps()) await step.up(queryInterface, Sequelize)
  },

  async down(queryInterface, Sequelize) {
    for (const step of steps().reverse()) await step.down(queryInterface, Sequelize)
  },
}
