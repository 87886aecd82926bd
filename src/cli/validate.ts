/**
 * `fleetsim validate STUDY`: checks a study file without running it (src/cli/sweep.ts loadStudy: the
 * schema, the size limits of src/study/size.ts first, then every cell), and says what it would cost
 * and what to expect — the work estimate, schedule entries the run never records, and for fixed
 * fleets each agent's offered load under each policy, flagging the agents whose queue can only grow
 * (docs/STABILITY.md), and with a lifecycle block each agent's load time and the memory fit
 * (src/cli/lifecycleText.ts). Every line is a warning or a figure: a valid study exits 0.
 *
 * @example
 *   process.stdout.write(`${await validateCommand('sweeps/my-fleet-example.json')}\n`);
 */
import { allocate, allocateEligible, EligibleScratch, fleetView, newAllocation, shareOf } from '../model/allocate.js';
import { gpuAgentCounts, gpuCapacity } from '../model/placement.js';
import { poolShare } from '../model/pool.js';
import { packFleets, policySettings } from '../model/batch.js';
import { POLICIES } from '../model/policies.js';
import type { Cell } from '../study/cells.js';
import { PAPER_AGENTS } from '../model/paper.js';
import { type Agent, axisName, isPool, type Study, studyCapacity } from '../study/schema.js';
import { studySize } from '../study/size.js';
import { fleetWorkflow, keepsLoad, workflowRates } from '../study/workflow.js';
import { planUnits, simConfig } from '../sweep/plan.js';
import { unitFleetRuns } from '../sweep/run.js';
import { displayPath, displayText } from '../text/quote.js';
import { DEFAULT_CPU_THREADS } from './backend.js';
import { distinctCells, loadStudy } from './sweep.js';
import { alignRows, cellWhere } from './summary.js';
import { lifecycleTables } from './lifecycleText.js';
import { studyCapacityMB } from '../study/lifecycle.js';

/**
 * Agent-steps per second of one core of the CPU engine, for the rough time estimate: the single-thread
 * figure of bench/NOTES.md ("Where it stands": 27–29 M per CPU-second for the paper fleet × 3
 * policies, 30–35 M for random fleets; 11 M where policies share no arrivals), rounded down.
 */
export const CPU_AGENT_STEPS_PER_CORE_SECOND = 25e6;
/**
 * The same for runs stepped agent by agent, step by step (a workflow, or exponentialCount work:
 * src/cpu/workflow.ts): about 3.4 M agent-steps per CPU-second measured for the paper fleet as the
 * shipped workflow under the paper's three policies (dt 0.05 s, 25,000 steps, 10 replicates, one
 * thread, this project's shared 2-core development machine, 2026-12-07; the plain path ran the same
 * fleet without routing at about 30 M), rounded down for the policies that step agent by agent anyway.
 */
export const WORKFLOW_AGENT_STEPS_PER_CORE_SECOND = 2.5e6;
/** What each added core adds (bench/NOTES.md §7: the worker pool scales ≥ 1.8× on 2 cores). */
const CORE_EFFICIENCY = 0.9;

/** The saturated backlog of the load table's state-reading policies, in steps of the whole capacity (agentLoads). */
export const SATURATED_STEPS = 1e9;

/** Agents shown per load table; the rest are counted (and their unstable ones named). */
export const LOAD_TABLE_AGENTS = 32;
/** Distinct fleets (cells that differ in fleet, load scale, capacity or policies) with a load table. */
export const LOAD_TABLES = 4;
/** The characters of the unstable-agent list of a load table's warning, at most (the rest are counted). */
const UNSTABLE_TEXT = 300;
/** Warnings about schedule entries, at most. */
const SCHEDULE_WARNINGS = 10;

/** A duration for a person: "40 ms", "12 s", "3.5 min", "2.1 h", "4.0 days". */
export function roughDuration(seconds: number): string {
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))} ms`;
  if (seconds < 120) return `${seconds.toPrecision(2).replace(/\.0$/, '')} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** The rough time of `agentSteps` on the CPU engine with `cores` threads, at `perCore` agent-steps per core-second. */
export function cpuSeconds(agentSteps: number, cores: number, perCore = CPU_AGENT_STEPS_PER_CORE_SECOND): number {
  return agentSteps / (perCore * (1 + CORE_EFFICIENCY * (Math.max(1, cores) - 1)));
}

/** The step that time `seconds` starts in: the first t with t·Δt ≥ seconds (src/study/fleets.ts's rule). */
const stepAt = (seconds: number, dt: number): number => Math.max(0, Math.ceil(seconds / dt - 1e-9));

/**
 * Schedule entries whose rate change the recorded steps never see: starting at or after the run's
 * end (they never take effect), or ending within the warm-up (simulated, never recorded but through
 * the queues they leave). One line each, per distinct (schedule, steps, warm-up, Δt).
 */
export function scheduleWarnings(cells: readonly Cell[], axes: readonly string[]): string[] {
  const warnings = new Set<string>();
  for (const cell of distinctCells(cells, ['schedule', 'steps', 'warmup', 'dt'])) {
    const { schedule, steps, warmup, dt } = cell.study;
    const where = cells.length > 1 ? `cell ${cell.index} (${cellWhere({ values: valuesOf(cell, axes) })}): ` : '';
    schedule.forEach((e, k) => {
      const start = stepAt(e.from, dt);
      const end = e.to === undefined ? Infinity : stepAt(e.to, dt);
      if (start >= steps)
        warnings.add(
          `warning: ${where}schedule[${k}] starts at ${e.from} s, at or after the run's end (${steps} steps of ${dt} s = ${steps * dt} s): it never takes effect`,
        );
      else if (end <= warmup)
        warnings.add(
          `warning: ${where}schedule[${k}] ends at ${e.to} s, within the warm-up (the first ${warmup} steps = ${warmup * dt} s, not recorded): the results see it only through the queues it leaves`,
        );
    });
    if (warnings.size >= SCHEDULE_WARNINGS) break;
  }
  return [...warnings].slice(0, SCHEDULE_WARNINGS);
}

/** A cell's axis values as summary.json writes them (for cellWhere). */
function valuesOf(cell: Cell, axes: readonly string[]): Record<string, string | number> {
  return Object.fromEntries(cell.values.map((v, i) => [axes[i] ?? `axis ${i}`, v]));
}

export interface AgentLoad {
  name: string;
  /** The agent's nominal rate: λ_i, or under a workflow its visit rate γ_i (external and routed requests). */
  lambda: number;
  /** Its external arrival rate (λ_i; under a workflow 0 but at the entries). */
  external: number;
  T: number;
  /** λ_i / (T_i·ḡ_i) per policy: ḡ_i the share at nominal demand (round-robin: its mean over a cycle). */
  load: Record<string, number>;
  /** The GPU it lives on (several GPUs: given, or placed by LPT; 0 with one GPU; NaN in a pool, where it moves). */
  gpu: number;
  /** U_i, GPUs: the most it may use (AgentSpec.cap as packed, default 1); in a pool every policy's cap. */
  cap: number;
  /** m_i, MB (0 without M). */
  memoryMB: number;
}

/**
 * Each agent's offered load under each of the study's policies at nominal demand: λ_i/(T_i·ḡ_i),
 * with ḡ_i the share the policy's allocation (src/model/allocate.ts) gives it with every rate at its
 * nominal value (λ × loadScale, before schedules; under a workflow the visit rate γ_i of the traffic
 * equations, which is also what the policies read), averaged over one cycle of N steps for a policy
 * whose shares turn with the step (round-robin: G/N). A load of 1 or more means the agent's queue
 * grows without bound. Fixed fleets only (a random fleet's agents differ by sample).
 */
export function agentLoads(study: Study): AgentLoad[] {
  const f = study.fleet;
  if ('random' in f) throw new Error('agentLoads: a random fleet has no fixed agents');
  // The agents' own figures (as src/study/fleets.ts cellFleet takes them, workflow included), with
  // their policy fields (cap, weight, MIG slices; the packer's defaults where absent), without their
  // arrival processes.
  const given: readonly Pick<Agent, 'name' | 'T' | 'R' | 'P' | 'lambda' | 'cap' | 'weight' | 'slices' | 'M' | 'gpu'>[] =
    'preset' in f ? PAPER_AGENTS : f.agents;
  const gpus = f.gpus ?? 1;
  const workflow =
    study.workflow === undefined
      ? null
      : fleetWorkflow(
          study.workflow,
          given.map((a) => a.name),
        );
  const scaled = given.map((a) => ({ T: a.T, lambda: a.lambda * study.loadScale }));
  const external = workflow === null ? null : workflowRates(scaled, workflow, keepsLoad(study)).lambda;
  const agents = given.map((a, i) => ({ ...a, lambda: external === null ? scaled[i]!.lambda : external[i]! }));
  const n = agents.length;
  // A policy that reads the backlogs (PolicyDef.readsBacklog) sees every agent saturated: the same
  // backlog in GPU-seconds, SATURATED_STEPS steps of the whole capacity (B_i = SATURATED_STEPS·T_i·Δt·G
  // work units), so need_i = B_i/(T_iΔt) exceeds any cap and each agent gets its share when everyone
  // wants more than it can have — a nominal figure (in a run an idle agent's share goes to the others).
  // Finite, so that a demand summing B_i/τ (adaptiveQueue) cannot overflow.
  const fleets = packFleets(
    [
      {
        agents: agents.map(({ T, R, P, lambda, cap, weight, slices, M, gpu }, i) => ({
          T,
          R,
          P,
          lambda,
          ...(M === undefined ? {} : { M }),
          ...(gpu === undefined ? {} : { gpu }),
          ...(cap === undefined ? {} : { cap }),
          ...(weight === undefined ? {} : { weight }),
          ...(slices === undefined ? {} : { slices }),
          ...(workflow === null || workflow.routes[i]!.length === 0 ? {} : { routes: workflow.routes[i]! }),
        })),
        capacity: studyCapacity(study),
        gpus,
        ...(f.gpuMode === undefined ? {} : { gpuMode: f.gpuMode }),
        ...(workflow?.forkJoin === undefined ? {} : { forkJoin: workflow.forkJoin }),
      },
    ],
    undefined,
    undefined,
    simConfig(study).lifecycle,
  );
  // Several GPUs: each runs the policy over its own agents at capacity G/n_G (src/model/placement.ts);
  // a pool runs it over every agent at the whole capacity G, then each share takes its pool form
  // (src/model/pool.ts poolShare: capped at U_i, a fill's own, or roundRobin's whole GPUs).
  const pool = fleets.gpuPool[0] === 1;
  const G = pool ? fleets.capacity[0]! : gpuCapacity(fleets, 0);
  // The nominal rates the policies read: λ, or the visit rates γ (PackedFleets.demand, as the engines read them).
  const rates = workflow === null ? Float64Array.from(agents, (a) => a.lambda) : Float64Array.from(fleets.demand);
  const view = fleetView(
    fleets,
    0,
    n,
    G,
    rates,
    Float64Array.from(agents, (a) => SATURATED_STEPS * a.T * study.dt * G),
    policySettings(simConfig(study)),
  );
  const shares = new Map<string, Float64Array>();
  const scratch = newAllocation();
  const onGpu = gpuAgentCounts(fleets, 0);
  const mask = new Uint8Array(n);
  const out = new Float64Array(n);
  const eligible = new EligibleScratch(n, view.settings);
  for (const policy of study.policies) {
    const def = POLICIES[policy];
    const mean = new Float64Array(n);
    if (gpus === 1 || pool) {
      const cycle = def.variesWithStep ? n : 1;
      for (let t = 0; t < cycle; t++) {
        allocate(def.id, view, t, scratch);
        for (let i = 0; i < n; i++) {
          const g = shareOf(scratch, view, i);
          mean[i]! += (pool ? poolShare(def.pool!, g, fleets.cap[i]!, i, n, t % n, gpus, gpuCapacity(fleets, 0)) : g) / cycle;
        }
      }
    } else {
      for (let k = 0; k < gpus; k++) {
        const cycle = def.variesWithStep ? onGpu[k]! : 1;
        for (let i = 0; i < n; i++) mask[i] = fleets.gpu[i] === k ? 1 : 0;
        for (let t = 0; t < cycle; t++) {
          allocateEligible(def.id, view, t, mask, eligible, scratch, out, 0);
          for (let i = 0; i < n; i++) if (mask[i] === 1) mean[i]! += out[i]! / cycle;
        }
      }
    }
    shares.set(policy, mean);
  }
  return agents.map((a, i) => ({
    name: a.name ?? `agent ${i}`,
    lambda: rates[i]!,
    external: a.lambda,
    T: a.T,
    load: Object.fromEntries(
      study.policies.map((p) => {
        const g = shares.get(p)![i]!;
        const rate = rates[i]!;
        return [p, rate === 0 ? 0 : g > 0 ? rate / (a.T * g) : Infinity];
      }),
    ),
    gpu: pool ? NaN : fleets.gpu[i]!,
    cap: fleets.cap[i]!,
    memoryMB: fleets.memoryMB[i]!,
  }));
}

const loadText = (x: number): string => (x === Infinity ? '∞ !' : `${x < 10 ? x.toFixed(2) : x.toPrecision(3)}${x >= 1 ? ' !' : ''}`);

/** The load table of one fleet, and the line that names its unstable agents. */
function loadTable(study: Study, title: string): string[] {
  const loads = agentLoads(study);
  const lines = [
    `${title}: each agent's offered load ${study.workflow === undefined ? 'λ' : 'γ'}/(T·g) under each policy, at nominal rates${study.workflow === undefined ? '' : ' (γ: the visit rates of the workflow)'}${study.schedule.length > 0 ? ' (before the schedule)' : ''}; ≥ 1 (!) is unstable`,
  ];
  if (study.workflow !== undefined) lines.push(workflowLine(loads));
  const gpus = study.fleet.gpus ?? 1;
  const pool = isPool(study);
  if (gpus > 1) lines.push(...(pool ? poolLines(study, loads, gpus) : placementLines(study, loads, gpus)));
  // Under a workflow an agent's rate is its visit rate γ (external and routed requests: docs/workflows.md).
  // Several GPUs: placement shows each agent's GPU, a pool each agent's cap U_i.
  const gpuColumn = gpus > 1 ? [pool ? 'U (GPUs)' : 'GPU'] : [];
  const rows: string[][] = [
    ['agent', ...gpuColumn, study.workflow === undefined ? 'λ (req/s)' : 'γ visits (req/s)', 'T (req/s)', ...study.policies],
  ];
  for (const a of loads.slice(0, LOAD_TABLE_AGENTS))
    rows.push([
      displayText(a.name, 40),
      ...(gpus > 1 ? [pool ? formatRate(a.cap) : String(a.gpu)] : []),
      formatRate(a.lambda),
      formatRate(a.T),
      ...study.policies.map((p) => loadText(a.load[p]!)),
    ]);
  lines.push(...alignRows(rows, [false, ...gpuColumn.map(() => true), true, true, ...study.policies.map(() => true)]).map((l) => `  ${l}`));
  if (loads.length > LOAD_TABLE_AGENTS) lines.push(`  … ${loads.length - LOAD_TABLE_AGENTS} more agents`);
  const saturated = study.policies.filter((p) => POLICIES[p].readsBacklog);
  if (saturated.length > 0)
    lines.push(
      `  ${saturated.join(', ')}: ${saturated.length === 1 ? 'its shares read' : 'their shares read'} the queues, so ${saturated.length === 1 ? 'its column is' : 'these columns are'} nominal: each agent's share when every agent is backlogged (the saturated case); in a run an idle agent's share goes to the others (docs/policies.md)`,
    );
  const unstable = loads.flatMap((a) =>
    study.policies
      .filter((p) => a.load[p]! >= 1)
      .map((p) => `${displayText(a.name, 40)} under ${p} (${loadText(a.load[p]!).replace(' !', '')})`),
  );
  if (unstable.length > 0) {
    // As many as fit in about UNSTABLE_TEXT characters (one line of the terminal log stays readable), the rest counted.
    const shown: string[] = [];
    for (const u of unstable)
      if (shown.length === 0 || shown.join(', ').length + u.length + 2 <= UNSTABLE_TEXT) shown.push(u);
      else break;
    lines.push(
      `warning: unstable: ${shown.join(', ')}${unstable.length > shown.length ? ` and ${unstable.length - shown.length} more` : ''}: ${unstable.length === 1 ? 'its queue' : 'each one’s queue'} will grow without bound: results depend on run length (docs/STABILITY.md)`,
    );
  }
  return lines;
}

/**
 * Several GPUs (MODEL-PART4 §4.5): the placement, one line per GPU — its agents (given, or placed by
 * LPT on γ/T), its Σρ = Σ γ_i/T_i at capacity G/n_G, and with the lifecycle's memory its Σ m against the card.
 */
function placementLines(study: Study, loads: readonly AgentLoad[], gpus: number): string[] {
  const G = studyCapacity(study) / gpus;
  const memory = study.lifecycle?.memory;
  const card = memory === undefined ? null : studyCapacityMB(study.lifecycle!);
  const lines = [
    `  ${gpus} GPUs of capacity ${formatRate(G)} each (capacity ${formatRate(studyCapacity(study))} split evenly); each runs the policies over its own agents. Placement (given gpu, else LPT: descending γ/T to the least-loaded GPU${card === null ? '' : ' where the model fits'}):`,
  ];
  for (let k = 0; k < gpus; k++) {
    const on = loads.filter((a) => a.gpu === k);
    const rho = on.reduce((sum, a) => sum + a.lambda / a.T, 0);
    const mb = on.reduce((sum, a) => sum + a.memoryMB, 0);
    const names = on.map((a) => displayText(a.name, 40));
    const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '');
    lines.push(
      `    GPU ${k}: ${on.length === 0 ? 'no agents' : shown}; Σ γ/T = ${rho.toPrecision(3)}${G !== 1 ? ` (load ${(rho / G).toPrecision(3)} of its capacity)` : ''}${card === null ? '' : `; models ${(mb / 1000).toPrecision(3)} GB of ${(card / 1000).toPrecision(3)} GB usable${mb > card ? ' (overcommitted: agents wait and evict)' : ''}`}`,
    );
  }
  return lines;
}

/**
 * A pool of GPUs (MODEL-PART4 §4.5, src/model/pool.ts): one allocator over every agent at the whole
 * capacity, each agent capped at U_i; the form each of the study's policies takes there; the fleet's
 * Σρ against the capacity. The memory check is the lifecycle table's (src/cli/lifecycleText.ts).
 */
function poolLines(study: Study, loads: readonly AgentLoad[], gpus: number): string[] {
  const G = studyCapacity(study);
  const rho = loads.reduce((sum, a) => sum + a.lambda / a.T, 0);
  const caps = [...new Set(loads.map((a) => a.cap))].sort((a, b) => a - b);
  const byRule = (rule: string): string[] => study.policies.filter((p) => POLICIES[p].pool === rule);
  const forms = [
    [byRule('cap'), 'min(g, U_i), the rest unallocated'],
    [byRule('fill'), 'their fill within U_i, the rest to the others'],
    [byRule('turns'), `${gpus} agents a whole GPU (min(U_i, ${formatRate(G / gpus)})) per step, in turn`],
  ] as const;
  return [
    `  a pool of ${gpus} GPUs (capacity ${formatRate(G)}, one GPU = ${formatRate(G / gpus)}): one allocator over every agent at the whole capacity, each agent's share at most its U_i (cap: ${caps.length === 1 ? `${formatRate(caps[0]!)} for every agent` : `${formatRate(caps[0]!)} to ${formatRate(caps.at(-1))}`}); models load on the GPU with the most free memory (docs/serverless.md#one-pool)`,
    `  in the pool: ${forms
      .filter(([p]) => p.length > 0)
      .map(([p, form]) => `${p.join(', ')}: ${form}`)
      .join('; ')}; Σ γ/T = ${rho.toPrecision(3)}${G !== 1 ? ` (load ${(rho / G).toPrecision(3)} of the capacity)` : ''}`,
  ];
}

/**
 * A workflow's shape in one line: where requests enter, at what total rate Λ, and each agent's visits
 * per request γ_i/Λ (as many as fit in UNSTABLE_TEXT characters, the rest counted).
 */
function workflowLine(loads: readonly AgentLoad[]): string {
  const total = loads.reduce((sum, a) => sum + a.external, 0);
  const entries = loads.filter((a) => a.external > 0).map((a) => displayText(a.name, 40));
  if (!(total > 0)) return '  workflow: no external arrivals (every entry has lambda 0)';
  const visits = loads.map((a) => `${displayText(a.name, 40)} ${(a.lambda / total).toPrecision(3)}`);
  const shown: string[] = [];
  for (const v of visits)
    if (shown.length === 0 || shown.join(', ').length + v.length + 2 <= UNSTABLE_TEXT) shown.push(v);
    else break;
  const more = visits.length > shown.length ? ` and ${visits.length - shown.length} more` : '';
  return `  workflow: requests enter at ${entries.slice(0, 4).join(', ')}${entries.length > 4 ? ` and ${entries.length - 4} more` : ''} (Λ = ${formatRate(total)} req/s); visits per request: ${shown.join(', ')}${more}`;
}

const formatRate = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(4).replace(/\.?0+$/, ''));

/** The load tables of a study's fixed fleets: one per distinct fleet (fleet, load scale, capacity, policies, allocator settings), at most LOAD_TABLES. */
export function loadTables(cells: readonly Cell[], axes: readonly string[]): string[] {
  const fixed = cells.filter((c) => !('random' in c.study.fleet));
  if (fixed.length === 0) return [];
  const distinct = distinctCells(fixed, ['fleet', 'loadScale', 'capacity', 'policies', 'allocator']);
  const lines: string[] = [];
  for (const cell of distinct.slice(0, LOAD_TABLES)) {
    const title = cells.length > 1 ? `cell ${cell.index} (${cellWhere({ values: valuesOf(cell, axes) })})` : 'fleet';
    lines.push(...loadTable(cell.study, title));
  }
  if (distinct.length > LOAD_TABLES)
    lines.push(
      `… ${distinct.length - LOAD_TABLES} more cells with their own fleet, load scale or capacity (the first ${LOAD_TABLES} are shown)`,
    );
  return lines;
}

/** What `fleetsim validate` prints for a valid study (a StudyError/UsageError is thrown otherwise). */
export async function validateCommand(file: string, cores: number = DEFAULT_CPU_THREADS): Promise<string> {
  const { study, cells, notes } = await loadStudy(file); // the size checks (src/study/size.ts) come first
  const units = planUnits(cells); // bounded: LIMITS.units, checked before the grid was expanded
  const fleetRuns = unitFleetRuns(units);
  const size = studySize(study);
  // A cell stepped agent by agent (a workflow, exponentialCount work, the lifecycle) sets the rate of the whole estimate: an upper bound.
  const stepped = cells.some(
    (c) => c.study.workflow !== undefined || c.study.work === 'exponentialCount' || c.study.lifecycle !== undefined,
  );
  const perCore = stepped ? WORKFLOW_AGENT_STEPS_PER_CORE_SECOND : CPU_AGENT_STEPS_PER_CORE_SECOND;
  const seconds = cpuSeconds(size.agentSteps, cores, perCore);
  return [
    `${displayPath(file)}: valid. ${cells.length} cell(s) × ${study.samples} sample(s) × ${study.replicates} replicate(s) = ${fleetRuns} fleet runs × ${study.policies.length} policies, ${units.length} unit(s)`,
    `size: ${size.cells} cells, ${size.fleetRuns} fleet runs, ${size.runs} runs, at most ${size.agentSteps} agent-steps`,
    `estimate (rough): at most ${roughDuration(seconds)} of engine time on this machine's CPU engine (${cores} thread${cores === 1 ? '' : 's'} at ~${perCore / 1e6} M agent-steps/s per core${stepped ? ', a workflow, exponentialCount work or the lifecycle being stepped agent by agent' : ', bench/NOTES.md'}; a GPU is usually faster)`,
    ...(notes ?? []),
    ...scheduleWarnings(cells, study.axes.map(axisName)),
    ...loadTables(cells, study.axes.map(axisName)),
    ...lifecycleTables(cells, study.axes.map(axisName)),
  ].join('\n');
}
