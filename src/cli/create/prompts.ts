import type { PlopGenerator, PromptQuestion } from 'node-plop'

import {
  defaultAnswers,
  deployPath,
  memoryLimit,
  workerCount,
  type PromptAnswers,
} from './options.js'

const asMessage = (check: (text: string) => unknown) => (text: string) => {
  try {
    check(String(text))
    return true
  } catch (error) {
    return (error as Error).message
  }
}

/** The questions of create-async; the flag of each is named in its message. */
export function promptQuestions(defaults: PromptAnswers): PromptQuestion[] {
  return [
    {
      type: 'input',
      name: 'workers',
      message: 'How many workers should PM2 / systemd run? (--workers)',
      default: String(defaults.workers),
      validate: asMessage(workerCount),
    },
    {
      type: 'input',
      name: 'maxMemory',
      message: 'Restart a worker above how much memory? (--max-memory)',
      default: defaults.maxMemory,
      validate: asMessage(memoryLimit),
    },
    {
      type: 'input',
      name: 'deployTo',
      message: 'Deploy root on your servers (--deploy-to)',
      default: defaults.deployTo,
      validate: asMessage(deployPath),
    },
  ] as PromptQuestion[]
}

const ORDER: (keyof PromptAnswers)[] = ['workers', 'maxMemory', 'deployTo']

/**
 * The answers: flags first; then, on a terminal without --yes, the prompts
 * for the rest (plop's bypass list skips those a flag answered); else defaults.
 */
export async function collectAnswers(
  generator: PlopGenerator,
  given: Partial<PromptAnswers>,
  defaults: PromptAnswers,
  interactive: boolean,
): Promise<PromptAnswers> {
  const merged = { ...defaults, ...given }
  if (!interactive || ORDER.every((key) => key in given)) return merged
  const bypass = ORDER.map((key) => (key in given ? String(given[key]) : '_'))
  const asked = (await generator.runPrompts(bypass)) as Record<string, string>
  return {
    workers: workerCount(String(asked.workers ?? merged.workers)),
    maxMemory: memoryLimit(String(asked.maxMemory ?? merged.maxMemory)),
    deployTo: deployPath(String(asked.deployTo ?? merged.deployTo)),
  }
}

export { defaultAnswers }
