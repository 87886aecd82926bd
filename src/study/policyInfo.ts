/**
 * What each registered policy does, in one line, for the places a user picks policies: `fleetsim
 * sweep|validate|init --help` and the page's policy picker. Keyed by the registry's names
 * (src/model/policies.ts POLICY_NAMES); test/cli-policies.test.ts fails for a registered policy
 * without a line here. The formulas, traits and settings are in docs/policies.md. Browser-safe.
 *
 * @example
 *   policySummary('timeSlice'); // '(1 − η)·G split equally among the backlogged agents (Kubernetes time-slicing)'
 */
import { POLICIES, POLICY_NAMES, type PolicyName } from '../model/policies.js';

/**
 * One line per policy: what it gives each agent (G the capacity, N the agents, R_i·G the minimum
 * share, U_i the cap, λ̂ the signal, B the backlog after the step's arrivals). Entries for policies not
 * (yet) in the registry are harmless: only registered names are ever looked up.
 */
const SUMMARIES: Readonly<Record<string, string>> = {
  static: 'G/N to every agent, always',
  roundRobin: 'the whole GPU to agent t mod N at step t',
  adaptive: 'Algorithm 1: shares ∝ λ̂·R/P, raised to R·G, scaled to fit G',
  adaptiveWaterfill: 'water-filling of d = λ̂·R/P between R·G and the cap U (clampFill)',
  maxMinFair: "weighted max–min fair on each agent's need this step, capped at U; work-conserving",
  timeSlice: '(1 − η)·G split equally among the backlogged agents (Kubernetes time-slicing)',
  fixedShares: 'k sevenths of G to each agent, fixed (MIG slices); unused slices are not shared',
  mps: 'maxMinFair with equal weights, capped at U (the MPS active-thread percentage)',
  roundRobinSkipIdle: 'the whole GPU to the first backlogged agent at or after t mod N',
  adaptiveQueue: 'Algorithm 1 on d = (λ̂ + B/τ)·R/P: the rate plus queue feedback',
};

/**
 * The batch-wide settings (the study's `allocator` fields beyond the signal) and the policies that
 * read them: a setting matters only to these, and `queueTau`'s bound by dt is checked only for a
 * study that runs one of them (a Δt of 20 s with the default τ of 10 s is fine without adaptiveQueue).
 */
export const SETTING_READERS: Readonly<Record<'queueTau' | 'sliceOverhead' | 'maxMinFloor', readonly string[]>> = {
  queueTau: ['adaptiveQueue'],
  sliceOverhead: ['timeSlice'],
  maxMinFloor: ['maxMinFair', 'mps'],
};

/** Whether a study running `policies` reads `setting`. */
export const readsSetting = (policies: readonly string[], setting: keyof typeof SETTING_READERS): boolean =>
  policies.some((p) => SETTING_READERS[setting].includes(p));

/** The one-line description of registered policy `name` (its label when none is written: the test fails then). */
export function policySummary(name: PolicyName): string {
  return Object.hasOwn(SUMMARIES, name) ? SUMMARIES[name]! : POLICIES[name].label;
}

/** Whether `name` has a line of its own in SUMMARIES (for the test). */
export const hasPolicySummary = (name: string): boolean => Object.hasOwn(SUMMARIES, name);

/** The traits a user should know when picking a policy: one of the paper's, and whether it reads the queues. */
export function policyTags(name: PolicyName): string[] {
  const def = POLICIES[name];
  return [...(def.paper ? ["the paper's"] : []), ...(def.readsBacklog ? ['reads the queues'] : [])];
}

/**
 * The registry as help text: one line per policy, its name, what it does and its tags, e.g.
 * `  timeSlice           (1 − η)·G split … [reads the queues]`.
 */
export function policyHelpLines(indent = '  '): string[] {
  const width = Math.max(...POLICY_NAMES.map((n) => n.length)) + 2;
  return POLICY_NAMES.map((name) => {
    const tags = policyTags(name);
    return `${indent}${name.padEnd(width)}${policySummary(name)}${tags.length > 0 ? ` [${tags.join(', ')}]` : ''}`;
  });
}
