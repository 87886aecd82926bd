/**
 * The engine's bounds a cell must keep that the schema cannot state field by field (`cellProblem`),
 * checked the way the packer (src/model/batch.ts) will check the cell's fleets: rate changes per
 * agent, arrivals per agent-step at the peak of the rate schedule, and schedule indices a random
 * fleet's agents can reach. Browser-safe.
 *
 * @example
 *   const problem = cellProblem(cell.study, notes); // null, or one line naming the field
 */
import { MAX_EXPONENTIAL_MEAN } from '../model/batch.js';
import { PAPER_AGENTS } from '../model/paper.js';
import type { ScheduleSegment } from '../model/schedule.js';
import { stepMean } from '../random/arrivals.js';
import { MAX_POISSON_MEAN } from '../random/poisson.js';
import { agentSchedule } from './fleets.js';
import { fleetWorkflow, workflowRates } from './workflow.js';
import { distRange, LIMITS, type RandomFleet, type Study } from './schema.js';

/** A set of agents that the same schedule entries cover: their largest λ and their rate changes. */
interface ScheduleGroup {
  agent: number; // a representative agent index (0-based)
  lambda: number; // the largest nominal λ of the group (an upper bound for random fleets), before loadScale
  lambdaField: string;
  segments: ScheduleSegment[];
  entries: number[]; // the schedule entries covering the group
}

/**
 * The largest nominal λ of a random fleet's agents: λ_max, or ρ_max·T_max with a load factor. Under a
 * workflow (src/study/workflow.ts) the entry gets the fleet's whole load, λ_0 ≤ ρ·T_0 with ρ = Σ λ_i/T_i:
 * with a load factor the same bound; without, ρ ≤ N_max·λ_max/T_min.
 */
function randomLambda(r: RandomFleet, workflow: boolean): { lambda: number; field: string } {
  if (r.load !== undefined) return { lambda: distRange(r.load)[1] * distRange(r.T)[1], field: 'fleet.random.load' };
  const lambda = distRange(r.lambda!)[1];
  if (!workflow) return { lambda, field: 'fleet.random.lambda' };
  const most = typeof r.agents === 'number' ? r.agents : r.agents.max;
  const [tMin, tMax] = distRange(r.T);
  return { lambda: (most * lambda * tMax) / tMin, field: 'fleet.random.lambda' };
}

/**
 * The cell's agents grouped by the schedule entries that cover them (every agent of a fixed fleet
 * lies in one group; a random fleet's agents the entries name are each a group, the others one), so
 * a large fleet costs one schedule per group. Cached on the (shared) schedule and fleet objects.
 */
const groupCache = new WeakMap<object, WeakMap<object, Map<string, ScheduleGroup[]>>>();
/** A fixed fleet's agents by name and by λ (largest first), kept per fleet object. */
const fleetIndexCache = new WeakMap<object, { byName: Map<string, number[]>; byLambda: number[] }>();
function fleetIndex(agents: readonly { name?: string | undefined; lambda: number }[]): {
  byName: Map<string, number[]>;
  byLambda: number[];
} {
  const cached = fleetIndexCache.get(agents);
  if (cached) return cached;
  const byName = new Map<string, number[]>();
  agents.forEach((a, i) => {
    if (a.name !== undefined) byName.set(a.name, [...(byName.get(a.name) ?? []), i]);
  });
  const byLambda = agents.map((_, i) => i).sort((a, b) => agents[b]!.lambda - agents[a]!.lambda || a - b);
  const index = { byName, byLambda };
  fleetIndexCache.set(agents, index);
  return index;
}

/**
 * The paper preset's agents with the external rates a cell gives them before the load scale: their
 * own λ, or under a workflow those of src/study/workflow.ts (the entries' scaled to keep the load, the
 * others 0), so the bound below is the one the packer will check.
 */
function presetRates(study: Study): readonly { name: string; lambda: number }[] {
  if (study.workflow === undefined) return PAPER_AGENTS;
  const { lambda } = workflowRates(
    PAPER_AGENTS,
    fleetWorkflow(
      study.workflow,
      PAPER_AGENTS.map((a) => a.name),
    ),
    true,
  );
  return PAPER_AGENTS.map((a, i) => ({ name: a.name, lambda: lambda[i]! }));
}

function scheduleGroups(study: Study): ScheduleGroup[] {
  // The workflow sets the preset's external rates (presetRates): part of the key.
  const key = `${study.dt} ${study.steps} ${study.workflow === undefined ? '' : JSON.stringify(study.workflow)}`;
  const byFleet = groupCache.get(study.schedule) ?? new WeakMap<object, Map<string, ScheduleGroup[]>>();
  groupCache.set(study.schedule, byFleet);
  const byKey = byFleet.get(study.fleet) ?? new Map<string, ScheduleGroup[]>();
  byFleet.set(study.fleet, byKey);
  const cached = byKey.get(key);
  if (cached) return cached;
  const f = study.fleet;
  const covers = (e: Study['schedule'][number], i: number, name: string | undefined): boolean =>
    e.agents === 'all' || e.agents.some((a) => a === i || (name !== undefined && a === name));
  const groups = new Map<string, ScheduleGroup>();
  const add = (i: number, name: string | undefined, lambda: number, lambdaField: string): void => {
    const entries = study.schedule.flatMap((e, k) => (covers(e, i, name) ? [k] : []));
    const signature = entries.join(',');
    const group = groups.get(signature);
    if (group === undefined) groups.set(signature, { agent: i, lambda, lambdaField, segments: agentSchedule(study, i, name), entries });
    else if (lambda > group.lambda) Object.assign(group, { lambda, lambdaField });
  };
  if ('random' in f) {
    const { lambda, field } = randomLambda(f.random, study.workflow !== undefined);
    const most = typeof f.random.agents === 'number' ? f.random.agents : f.random.agents.max;
    const named = new Set(
      study.schedule.flatMap((e) => (e.agents === 'all' ? [] : e.agents.filter((a): a is number => typeof a === 'number'))),
    );
    for (const i of named) if (i < most) add(i, undefined, lambda, field);
    const other = Array.from({ length: Math.min(most, named.size + 1) }, (_, i) => i).find((i) => !named.has(i));
    if (other !== undefined) add(other, undefined, lambda, field);
  } else {
    // The agents an entry names are groups of their own; every other agent has exactly the entries
    // for "all", so the one with the largest λ stands for them (a cell of a large fleet costs the
    // entries, not the fleet).
    const agents = 'preset' in f ? presetRates(study) : f.agents;
    const info = fleetIndex(agents);
    const field = (i: number): string => ('preset' in f ? 'loadScale' : `fleet.agents[${i}].lambda`);
    const named = new Set<number>();
    for (const e of study.schedule) {
      if (e.agents === 'all') continue;
      for (const a of e.agents)
        for (const i of typeof a === 'number' ? (a < agents.length ? [a] : []) : (info.byName.get(a) ?? [])) named.add(i);
    }
    for (const i of named) add(i, agents[i]!.name, agents[i]!.lambda, field(i));
    const other = info.byLambda.find((i) => !named.has(i));
    if (other !== undefined) add(other, agents[other]!.name, agents[other]!.lambda, field(other));
  }
  const result = [...groups.values()];
  byKey.set(key, result);
  return result;
}

/** Schedule indices a random fleet's agents may not reach: problems (no fleet has the agent) and notes (only larger fleets do). */
function randomIndexProblems(study: Study): { problems: string[]; notes: string[] } {
  const f = study.fleet;
  const problems: string[] = [];
  const notes: string[] = [];
  if (!('random' in f)) return { problems, notes };
  const [least, most] =
    typeof f.random.agents === 'number' ? [f.random.agents, f.random.agents] : [f.random.agents.min, f.random.agents.max];
  study.schedule.forEach((e, k) => {
    if (e.agents === 'all') return;
    e.agents.forEach((a, j) => {
      if (typeof a !== 'number') return;
      if (a >= most)
        problems.push(`schedule[${k}].agents[${j}]: must be an agent index below ${most} (the random fleet's most agents), got ${a}`);
      else if (a >= least)
        notes.push(
          `note: schedule[${k}].agents[${j}]: agent ${a} exists only in fleets of more than ${a} agents (the random fleet has ${least} to ${most}); smaller fleets ignore it`,
        );
    });
  });
  return { problems, notes };
}

/**
 * The engine's bounds that the schema cannot state field by field, checked on a cell the way the
 * packer (src/model/batch.ts) will check its fleets: each agent's rate changes at most
 * MAX_SCHEDULE_SEGMENTS times, and its arrivals per step, λ × loadScale × its peak multiplier (entries
 * multiply only where they overlap) × Δt, stay within the sampler's bound. The line names the field
 * that pushes the product up the most. Null: none broken.
 */
export function cellProblem(study: Study, notes?: Set<string>): string | null {
  const indices = randomIndexProblems(study);
  for (const note of indices.notes) notes?.add(note);
  if (indices.problems.length > 0) return indices.problems[0]!;
  const limit = study.work === 'exponential' ? MAX_EXPONENTIAL_MEAN : MAX_POISSON_MEAN;
  for (const group of scheduleGroups(study)) {
    if (group.segments.length > LIMITS.scheduleSegments) {
      return `schedule: agent ${group.agent}'s rate changes ${group.segments.length} times (entries ${group.entries.join(', ')} cover it); at most ${LIMITS.scheduleSegments} per agent`;
    }
    const peak = group.segments.reduce((m, s) => Math.max(m, s.multiplier), 1);
    const lambda = group.lambda * study.loadScale;
    const mean = Math.max(stepMean(lambda, study.dt, 1), stepMean(lambda, study.dt, peak));
    if (mean <= limit) continue;
    // Blame the factor furthest above 1 (λ itself when none is).
    const peakEntry = group.entries.reduce((b, k) => (b < 0 || study.schedule[k]!.multiplier > study.schedule[b]!.multiplier ? k : b), -1);
    const factors: [string, number][] = [
      ['loadScale', study.loadScale],
      ['dt', study.dt],
      [`schedule[${peakEntry}].multiplier`, peakEntry >= 0 ? peak : 1],
    ];
    const top = factors.reduce((a, b) => (b[1] > a[1] ? b : a));
    const field = top[1] > 1 ? top[0] : group.lambdaField;
    return `${field}: arrivals per agent-step can reach ${mean.toPrecision(3)} (λ ${group.lambda} × loadScale ${study.loadScale} × peak schedule multiplier ${peak} × dt ${study.dt}); the engine allows at most ${limit}${study.work === 'exponential' ? ' with exponential work' : ''}`;
  }
  return null;
}
