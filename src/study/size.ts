/**
 * The size of a study's sweep, from its validated base study alone: O(axes and their values), before a
 * single cell is expanded, so an oversized grid or sample count is refused before it costs time or
 * memory (the CLI in src/study/cells.ts, the page before it expands anything). Browser-safe.
 *
 * @example
 *   const { cells, fleetRuns, runs, agentSteps } = studySize(study);
 */
import { PAPER_AGENTS } from '../model/paper.js';
import { footprintProblem } from '../sweep/footprint.js';
import { replicateBlocks, UNIT_FLEET_RUNS, unitSamples } from '../sweep/plan.js';
import { ownArrivals } from './fleets.js';
import { type Axis, axisAssignments, axisLabels, LIMITS, type Study } from './schema.js';

export interface StudySize {
  cells: number;
  fleetRuns: number; // cells × samples × replicates
  runs: number; // fleetRuns × policies
  agentSteps: number; // an upper bound: runs × max agents × max steps over the grid
}

/** Cells of the grid: the product of the axes' lengths. */
export const gridCells = (axes: readonly Axis[]): number => axes.reduce((n, a) => n * axisLabels(a).length, 1);

/**
 * Units of work (src/sweep/plan.ts planUnits) of one cell: blocks of ⌊UNIT_FLEET_RUNS / replicates⌋
 * samples, or, when replicates exceed UNIT_FLEET_RUNS, ⌈replicates / UNIT_FLEET_RUNS⌉ replicate blocks
 * of each sample.
 */
export function cellUnits(study: Study): number {
  const blocks = replicateBlocks(study);
  return blocks > 1 ? study.samples * blocks : Math.ceil(study.samples / unitSamples(study));
}

/** The agents a fleet value can hold at most (null: not a fleet the schema would accept; ignored). */
function fleetAgents(fleet: unknown): number | null {
  if (typeof fleet !== 'object' || fleet === null) return null;
  if (Object.hasOwn(fleet, 'preset')) return PAPER_AGENTS.length;
  const { agents, random } = fleet as { agents?: unknown; random?: unknown };
  if (Object.hasOwn(fleet, 'agents') && Array.isArray(agents)) return agents.length;
  if (Object.hasOwn(fleet, 'random'))
    return randomAgents(typeof random === 'object' && random !== null ? (random as { agents?: unknown }).agents : undefined);
  return null;
}

function randomAgents(agents: unknown): number | null {
  if (typeof agents === 'number') return agents;
  if (typeof agents === 'object' && agents !== null && typeof (agents as { max?: unknown }).max === 'number')
    return (agents as { max: number }).max;
  return null;
}

/** The largest agent count an assignment (path, value) of an axis can give a fleet; null: it leaves the count. */
function assignedAgents(path: string, value: unknown): number | null {
  if (path === 'fleet') return fleetAgents(value);
  if (path === 'fleet.agents') return Array.isArray(value) ? value.length : null;
  if (path === 'fleet.random')
    return typeof value === 'object' && value !== null ? randomAgents((value as { agents?: unknown }).agents) : null;
  if (path === 'fleet.random.agents') return randomAgents(value);
  if (path === 'fleet.random.agents.max') return typeof value === 'number' ? value : null;
  return null;
}

/** The largest `steps` an assignment can give; null: it leaves steps. */
const assignedSteps = (path: string, value: unknown): number | null => (path === 'steps' && typeof value === 'number' ? value : null);

/**
 * Agents that validation checks and holds across the grid's cells: when an axis sets anything in
 * `fleet`, each cell parses and holds its own copy of the fleet (cells × the most agents a listed
 * fleet has); when agents have arrival processes of their own, each cell that differs in more than
 * lmax and price packs its first fleet sample the way `sweep` will (cells × the most agents). 0 when
 * the cells share the base study's fleet and need no packing.
 */
export function gridAgents(study: Study): number {
  let fleetTouched = false;
  let packing = false; // an axis sets a field the packer reads
  let arrivals = ownArrivals(study);
  let listed = 'agents' in study.fleet ? study.fleet.agents.length : 1;
  for (const axis of study.axes) {
    const count = axisLabels(axis).length;
    for (let j = 0; j < count; j++) {
      for (const [path, value] of axisAssignments(axis, j)) {
        if (path !== 'lmax' && path !== 'price') packing = true;
        if (path === 'arrivals' || path.startsWith('arrivals.') || path.includes('.arrivals')) arrivals = true;
        if (path !== 'fleet' && !path.startsWith('fleet.') && !path.startsWith('fleet[')) continue;
        fleetTouched = true;
        const own = path === 'fleet' ? (fleetAgents(value) ?? 1) : path === 'fleet.agents' && Array.isArray(value) ? value.length : 1;
        listed = Math.max(listed, own);
      }
    }
  }
  const cells = gridCells(study.axes);
  return Math.max(fleetTouched ? cells * listed : 0, arrivals && packing ? cells * studyMaxAgents(study) : 0);
}

/**
 * The most agents of a fixed fleet (the paper's, or listed: per-agent statistics, src/sweep/aggregate.ts)
 * over the grid's cells; 0 when every cell's fleet is random.
 */
function gridFixedAgents(study: Study): number {
  const fixed = (fleet: unknown): number =>
    typeof fleet === 'object' && fleet !== null && !Object.hasOwn(fleet, 'random') ? (fleetAgents(fleet) ?? 0) : 0;
  let agents = fixed(study.fleet);
  for (const axis of study.axes) {
    const count = axisLabels(axis).length;
    for (let j = 0; j < count; j++) {
      for (const [path, value] of axisAssignments(axis, j)) {
        if (path === 'fleet') agents = Math.max(agents, fixed(value));
        else if (path === 'fleet.agents' && Array.isArray(value)) agents = Math.max(agents, value.length);
      }
    }
  }
  return agents;
}

/** The most agents a fleet sample of any cell can have. */
function studyMaxAgents(study: Study): number {
  let agents = fleetAgents(study.fleet) ?? LIMITS.agents;
  for (const axis of study.axes) {
    const count = axisLabels(axis).length;
    for (let j = 0; j < count; j++)
      for (const [path, value] of axisAssignments(axis, j)) agents = Math.max(agents, assignedAgents(path, value) ?? 0);
  }
  return agents;
}

/** O(axes): the grid's size from the validated base study, before any cell is expanded. */
export function studySize(study: Study): StudySize {
  const cells = gridCells(study.axes);
  let agents = fleetAgents(study.fleet) ?? LIMITS.agents;
  let steps = study.steps;
  for (const axis of study.axes) {
    const count = axisLabels(axis).length;
    for (let j = 0; j < count; j++) {
      for (const [path, value] of axisAssignments(axis, j)) {
        agents = Math.max(agents, assignedAgents(path, value) ?? 0);
        steps = Math.max(steps, assignedSteps(path, value) ?? 0);
      }
    }
  }
  const fleetRuns = cells * study.samples * study.replicates;
  const runs = fleetRuns * study.policies.length;
  return { cells, fleetRuns, runs, agentSteps: runs * agents * steps };
}

/** The units of work of the whole grid (samples and replicates are the same in every cell). */
export const studyUnits = (study: Study): number => gridCells(study.axes) * cellUnits(study);

/**
 * The size problems of a validated study, one line each naming the limit (the cells' count is the
 * schema's own check): units of work (the plan is held in memory), the cells' statistics (held in
 * memory and written as one text each: src/sweep/footprint.ts), agent-steps.
 */
export function sizeProblems(study: Study): string[] {
  const size = studySize(study);
  const problems: string[] = [];
  if (size.cells > LIMITS.cells) return problems; // the schema reports it
  const units = studyUnits(study);
  if (units > LIMITS.units) {
    problems.push(
      `samples: ${size.cells} cell(s) × ${study.samples} samples × ${study.replicates} replicates make ${units} units of work (a unit: about ${UNIT_FLEET_RUNS} fleet runs; when replicates exceed that, a block of ${UNIT_FLEET_RUNS} replicates of one sample); at most ${LIMITS.units}`,
    );
  }
  const agents = gridAgents(study);
  if (agents > LIMITS.gridAgents) {
    problems.push(
      `axes: ${size.cells} cells each with its own fleet (or its own arrival processes to pack) of up to ${agents / size.cells} agents make ${agents} agents to check; at most ${LIMITS.gridAgents} (fewer cells or agents)`,
    );
  }
  const statistics = footprintProblem({
    cells: size.cells,
    policies: study.policies.length,
    fleetRuns: study.samples * study.replicates,
    fixedAgents: gridFixedAgents(study),
  });
  if (statistics !== null) problems.push(statistics);
  if (size.agentSteps > LIMITS.agentSteps) {
    problems.push(
      `steps: the sweep can take ${size.agentSteps.toPrecision(3)} agent-steps (${size.runs} runs × agents × steps); at most ${LIMITS.agentSteps}`,
    );
  }
  return problems;
}
