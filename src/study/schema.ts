/**
 * The study file: one JSON document that describes a sweep (the fleet, the workload, the policies, the
 * grid of axes). This zod schema is the single definition: `fleetsim validate`, `fleetsim sweep` and
 * the web page parse with it, and `schema/study.schema.json` is generated from it for editors.
 * It imports nothing from Node, so the browser uses the same module.
 *
 * @example
 *   const study = StudySchema.parse({ name: 'demo', fleet: { preset: 'paper' }, steps: 100 });
 */
import { z } from 'zod';
import { RUN_METRICS } from '../model/metrics.js';
import { AGENT_ROW_FIELDS, AGENT_ROW_METRICS, CSV_FIELDS, CSV_PREFIXES, ROW_FIELDS, STAT_FIELDS } from '../results/columns.js';
import { ARRIVAL_PROCESS_INFO, ARRIVAL_PROCESSES, SIGNALS, WORK_MODES } from '../model/modes.js';
import { RENEWAL_CV_RANGE } from '../random/renewal.js';
import { PAPER_AGENTS } from '../model/paper.js';
import { PAPER_POLICIES, POLICY_NAMES, type PolicyName } from '../model/policies.js';
import { DEFAULT_QUEUE_TAU, MAX_SCHEDULE_SEGMENTS, MIG_SLICES } from '../model/batch.js';
import { quote } from '../text/quote.js';
import { readsSetting, SETTING_READERS } from './policyInfo.js';
import { workflowStudyProblems } from './workflow.js';
import { MAX_SUCCESSORS } from '../model/workflow.js';
import { MAX_GPUS } from '../model/placement.js';
import { GPU_MODES, poolPolicyProblem } from '../model/pool.js';
import { capacityText, fleetMemoryProblems, LifecycleStudySchema, MAX_MODEL_MB, MemoryStudySchema, studyCapacityMB } from './lifecycle.js';

/** Bounds shared with the engine (src/model/batch.ts validates the same ranges on packed batches). */
export const LIMITS = {
  agents: 4096, // agents per fleet (MAX_AGENTS_PER_FLEET)
  steps: 1_000_000_000,
  samples: 100_000_000, // random-fleet samples per cell (the Philox stream word is 32 bits)
  replicates: 1_000_000,
  cells: 100_000,
  seed: Number.MAX_SAFE_INTEGER, // 2^53 − 1: a JSON number stays an exact integer up to here
  axes: 32, // axes per study
  units: 1_000_000, // units of work per sweep (src/sweep/plan.ts): the plan is held in memory
  gridAgents: 1_000_000, // agents checked across the cells: cells that hold their own fleet, or pack their own arrivals
  agentSteps: Number.MAX_SAFE_INTEGER, // agent-steps per sweep (max agents × max steps × runs): counts stay exact integers
  scheduleSegments: MAX_SCHEDULE_SEGMENTS, // rate changes per agent (each schedule entry adds up to two)
  scheduleEntries: 64, // entries in `schedule` (an agent may be covered by at most about 8 of them)
  small: 1e-15, // the smallest positive engine parameter (T, P, capacity, dt): 32-bit floats, no underflow
  large: 1e15, // the largest engine parameter (T, P, λ, capacity, dt, multipliers, load): no f32 overflow
  lmax: 1e9, // seconds (about 32 years): the engines' f32 latency sums stay finite and exact enough
  price: 1e9, // $ per GPU-hour: cost sums stay finite in the statistics
  queueTau: 600, // seconds: adaptiveQueue's τ at most (MODEL-PART4 §4.7); at least the study's dt
  /** A maxMinFair / mps weight's range: only ratios matter, and a ratio within 1e12 keeps the f32 fill exact enough. */
  weight: [1e-6, 1e6] as const,
} as const;

const describe = <T extends z.ZodType>(schema: T, description: string): T => schema.meta({ description });

const finite = (): z.ZodNumber => z.number();
/** The message for a positive value below LIMITS.small (which a 32-bit float cannot hold usefully). */
const SMALL_MESSAGE = `must be 0 or ≥ ${LIMITS.small} (the engines hold 32-bit floats)`;
const SMALL_POSITIVE = `must be ≥ ${LIMITS.small} (the engines hold 32-bit floats)`;
/** A number > 0 the engines hold: in [LIMITS.small, hi]. */
const positive = (unit: string, hi: number = LIMITS.large): z.ZodNumber =>
  describe(
    finite()
      .gt(0)
      .max(hi)
      .refine((x) => !(x > 0 && x < LIMITS.small), { error: (issue) => `${SMALL_POSITIVE}, got ${quote(issue.input)}` }),
    `> 0 (${unit}), from ${LIMITS.small} to ${hi}`,
  );
/** A number ≥ 0 the engines hold: 0, or in [LIMITS.small, hi]. */
const nonNegative = (unit: string, hi: number = LIMITS.large): z.ZodNumber =>
  describe(
    finite()
      .min(0)
      .max(hi)
      .refine((x) => !(x > 0 && x < LIMITS.small), { error: (issue) => `${SMALL_MESSAGE}, got ${quote(issue.input)}` }),
    `≥ 0 (${unit}): 0, or from ${LIMITS.small} to ${hi}`,
  );
const integerIn = (min: number, max: number, what: string): z.ZodNumber => describe(z.int().min(min).max(max), what);
/**
 * A number in [lo, hi] (or (lo, hi], [lo, hi) with `open`) whose error names the whole range, so a
 * value on either side gets the same one line: "must be in [0, 1) (…)".
 */
const inRange = (lo: number, hi: number, open: { lo?: boolean; hi?: boolean }, what: string, base: z.ZodNumber = finite()): z.ZodNumber => {
  const range = `must be in ${open.lo ? '(' : '['}${lo}, ${hi}${open.hi ? ')' : ']'} (${what})`;
  const low = open.lo ? base.gt(lo, { error: range }) : base.min(lo, { error: range });
  return open.hi ? low.lt(hi, { error: range }) : low.max(hi, { error: range });
};

// ---- distributions of random-fleet parameters -------------------------------------------------------

const Fixed = z.strictObject({ kind: z.literal('fixed'), value: finite() });
const Uniform = z.strictObject({ kind: z.literal('uniform'), min: finite(), max: finite() });
const LogUniform = z.strictObject({ kind: z.literal('logUniform'), min: finite().gt(0), max: finite().gt(0) });
const Choice = z.strictObject({ kind: z.literal('choice'), values: z.array(finite()).min(1) });

/** A number (fixed) or one of fixed / uniform / logUniform / choice; `min ≤ max` is checked. */
export const DistSchema = describe(
  z.union([finite(), z.discriminatedUnion('kind', [Fixed, Uniform, LogUniform, Choice])]).superRefine((d, ctx) => {
    if (typeof d === 'object' && 'min' in d && d.min > d.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `must be ≥ min (${d.min})` });
    }
  }),
  'a number, or {kind: fixed|uniform|logUniform|choice, …}',
);
export type Dist = z.infer<typeof DistSchema>;

/** Every value a distribution can produce lies in [lowest, highest]. */
export function distRange(d: Dist): [number, number] {
  if (typeof d === 'number') return [d, d];
  switch (d.kind) {
    case 'fixed':
      return [d.value, d.value];
    case 'uniform':
    case 'logUniform':
      return [d.min, d.max];
    case 'choice':
      return [Math.min(...d.values), Math.max(...d.values)];
  }
}

/** Checks that every value of `d` lies in [lo, hi] (or above lo when `open`), reporting at `path`. */
function distWithin(d: Dist, lo: number, hi: number, open: boolean, ctx: z.RefinementCtx, path: (string | number)[]): void {
  const [a, b] = distRange(d);
  const low = open ? a <= lo : a < lo;
  if (low || b > hi) {
    const range = hi === Infinity ? `${open ? '>' : '≥'} ${lo}` : `in [${lo}, ${hi}]`;
    ctx.addIssue({ code: 'custom', path, message: `every value must be ${range}, got values from ${a} to ${b}` });
    return;
  }
  // The engines' range (32-bit floats): every value 0 or in [LIMITS.small, LIMITS.large].
  const values = typeof d === 'object' && d.kind === 'choice' ? d.values : [a, b];
  if (values.some((x) => x > LIMITS.large || (x > 0 && x < LIMITS.small) || (x < 0 && x > -LIMITS.small) || x < -LIMITS.large)) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `every value must be 0 or have a magnitude from ${LIMITS.small} to ${LIMITS.large} (the engines hold 32-bit floats), got values from ${a} to ${b}`,
    });
  }
}

// ---- arrival processes ------------------------------------------------------------------------------

const [CV_MIN, CV_MAX] = RENEWAL_CV_RANGE;
/** The renewal processes' default coefficient of variation (MODEL-PART4 §4.1). */
export const DEFAULT_CV = 1.2;

/** A two-state MMPP: its parameters, or fitted on the host to a trace's index-of-dispersion curve. */
export const MmppSchema = z.union([
  z.strictObject({
    idc: describe(finite().gt(1), 'asymptotic index of dispersion J of the counts, > 1'),
    highFraction: describe(finite().gt(0).lt(1), 'fraction of time π_H in the high state, in (0, 1)'),
    peakRatio: describe(finite().min(1), 'peak ratio κ = λ_H/λ̄ ≥ 1, with κ·highFraction ≤ 1'),
  }),
  z.strictObject({ fit: describe(z.string().min(1), 'a trace (shipped name or file) whose dispersion curve the MMPP is fitted to') }),
]);

const processNames = ARRIVAL_PROCESSES.map((p) => `${p} (${ARRIVAL_PROCESS_INFO[p].about})`).join('; ');

/** One arrival process with its parameters (MODEL-PART4 §4.1–4.2). */
export const ArrivalProcessSchema = z
  .strictObject({
    process: describe(z.enum(ARRIVAL_PROCESSES), `the process: ${processNames}`),
    cv: describe(
      finite().min(CV_MIN).max(CV_MAX),
      `gamma, weibull: coefficient of variation of the inter-arrival time, in [${CV_MIN}, ${CV_MAX}] (default ${DEFAULT_CV})`,
    ).optional(),
    mmpp: describe(MmppSchema, 'mmpp: {idc, highFraction, peakRatio}, or {fit: trace}').optional(),
    trace: describe(
      z.string().min(1),
      'a trace (a shipped name, e.g. "azure-llm-2023-conv", or a file from `fleetsim trace import`): replay replays it; poisson, gamma, weibull and mmpp follow its rate (modulated); servegen: a ServeGen file ("servegen-deepseek-r1")',
    ).optional(),
    client: describe(z.int().min(0), 'servegen: the ServeGen client (0-based); default: each agent draws one').optional(),
  })
  .superRefine((a, ctx) => {
    const info = ARRIVAL_PROCESS_INFO[a.process];
    if (a.cv !== undefined && a.process !== 'gamma' && a.process !== 'weibull')
      ctx.addIssue({ code: 'custom', path: ['cv'], message: `only gamma and weibull take a cv, not ${a.process}` });
    if (a.mmpp !== undefined && a.process !== 'mmpp')
      ctx.addIssue({ code: 'custom', path: ['mmpp'], message: `only the mmpp process takes mmpp parameters, not ${a.process}` });
    if (a.process === 'mmpp' && a.mmpp === undefined)
      ctx.addIssue({ code: 'custom', path: ['mmpp'], message: 'the mmpp process needs {idc, highFraction, peakRatio} or {fit: trace}' });
    if (a.mmpp !== undefined && 'idc' in a.mmpp && a.mmpp.peakRatio * a.mmpp.highFraction > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['mmpp', 'peakRatio'],
        message: `peakRatio × highFraction must be ≤ 1 (the low state's rate cannot be negative), got ${a.mmpp.peakRatio} × ${a.mmpp.highFraction}`,
      });
    if (a.client !== undefined && a.process !== 'servegen')
      ctx.addIssue({ code: 'custom', path: ['client'], message: `only the servegen process takes a client, not ${a.process}` });
    if (info.trace === 'required' && a.trace === undefined)
      ctx.addIssue({ code: 'custom', path: ['trace'], message: `the ${a.process} process needs a trace` });
    if (info.trace === 'none' && a.trace !== undefined)
      ctx.addIssue({ code: 'custom', path: ['trace'], message: `${a.process} arrivals cannot follow a trace` });
  });

/** A process name (no parameters) or a process with its parameters. */
export const ArrivalsSchema = describe(
  z.union([z.enum(ARRIVAL_PROCESSES), ArrivalProcessSchema]).superRefine((a, ctx) => {
    // A bare name is a process without parameters: the ones that need some say which.
    if (typeof a !== 'string') return;
    if (ARRIVAL_PROCESS_INFO[a].trace === 'required')
      ctx.addIssue({ code: 'custom', message: `the ${a} process needs a trace: write {"process": "${a}", "trace": …}` });
    if (a === 'mmpp')
      ctx.addIssue({
        code: 'custom',
        message: 'the mmpp process needs parameters: write {"process": "mmpp", "mmpp": {idc, highFraction, peakRatio}}',
      });
  }),
  `a process name, or {process, cv?, mmpp?, trace?}; processes: ${processNames}`,
);
export type Arrivals = z.output<typeof ArrivalsSchema>;
export type ArrivalProcess = z.output<typeof ArrivalProcessSchema>;

/** The process of `a` with its parameters (a name has none). */
export const arrivalProcess = (a: Arrivals): ArrivalProcess => (typeof a === 'string' ? { process: a } : a);

/** A random fleet's arrival processes: each agent draws its process (uniform) and its cv. */
const RandomArrivalsSchema = z
  .strictObject({
    process: describe(
      z.union([z.enum(ARRIVAL_PROCESSES), z.array(z.enum(ARRIVAL_PROCESSES)).min(1)]),
      'a process, or a list each agent draws one from (uniform)',
    ),
    cv: describe(DistSchema, `gamma, weibull: the cv each agent draws (in [${CV_MIN}, ${CV_MAX}]; default ${DEFAULT_CV})`).optional(),
    mmpp: MmppSchema.optional(),
    trace: z.string().min(1).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.cv !== undefined) distWithin(r.cv, CV_MIN, CV_MAX, false, ctx, ['cv']);
    const names = typeof r.process === 'string' ? [r.process] : r.process;
    for (const name of names) {
      const one = ArrivalProcessSchema.safeParse({
        process: name,
        ...(name === 'mmpp' && r.mmpp ? { mmpp: r.mmpp } : {}),
        ...(r.trace !== undefined && ARRIVAL_PROCESS_INFO[name].trace !== 'none' ? { trace: r.trace } : {}),
      });
      if (!one.success)
        for (const issue of one.error.issues) ctx.addIssue({ code: 'custom', path: ['process'], message: `${name}: ${issue.message}` });
    }
  });
export type RandomArrivals = z.output<typeof RandomArrivalsSchema>;

// ---- fleets -----------------------------------------------------------------------------------------

/** The range of an agent's `cap` in words (the capacity bound is checked across fields: agentPolicyProblems). */
const CAP_RANGE = "must be > 0 and at most the study's capacity (GPUs)";

const GPU_INDEX = "must be an integer GPU index from 0 to the fleet's gpus − 1";

export const AgentSchema = z.strictObject({
  name: z.string().min(1).max(64).optional(),
  T: positive('requests/s with the whole GPU'),
  R: describe(
    finite()
      .min(0)
      .max(1)
      .refine((x) => !(x > 0 && x < LIMITS.small), { error: (issue) => `${SMALL_MESSAGE}, got ${quote(issue.input)}` }),
    `minimum GPU share, in [0, 1] (0, or at least ${LIMITS.small})`,
  ),
  P: positive('priority, 1 = most important'),
  lambda: nonNegative('nominal arrival rate, requests/s'),
  M: nonNegative(
    `model size, MB: descriptive, and with a lifecycle block the agent's memory and load time (0 to ${MAX_MODEL_MB} MB, within the card; docs/serverless.md)`,
  ).optional(),
  pinned: describe(
    z.boolean(),
    'with a lifecycle block: never scaled to zero nor evicted (the pinned agents must fit the card together); default false',
  ).optional(),
  gpu: describe(
    inRange(0, MAX_GPUS - 1, {}, "an integer GPU index below the fleet's gpus", z.int({ error: GPU_INDEX })),
    `the GPU this agent lives on, 0 to the fleet's gpus − 1 (docs/serverless.md#several-gpus); default: placed by LPT (longest processing time first, γ/T); absent in a pool (gpuMode "pool")`,
  ).optional(),
  arrivals: describe(ArrivalsSchema, "this agent's own arrival process (default: the study's `arrivals`)").optional(),
  cap: describe(
    finite()
      .gt(0, { error: CAP_RANGE })
      .max(LIMITS.large, { error: CAP_RANGE })
      .refine((x) => !(x > 0 && x < LIMITS.small), { error: (issue) => `${SMALL_POSITIVE}, got ${quote(issue.input)}` }),
    `U_i: the most GPUs this agent may use (maxMinFair's and mps's cap, adaptiveWaterfill's upper bound; in a pool of GPUs every policy's cap: docs/serverless.md#one-pool), > 0 and at most the study's capacity; default 1 (docs/policies.md)`,
  ).optional(),
  weight: describe(
    inRange(LIMITS.weight[0], LIMITS.weight[1], {}, 'a weight: only ratios matter'),
    `w_i: maxMinFair's weight, from ${LIMITS.weight[0]} to ${LIMITS.weight[1]} (only ratios matter); default 1/P (docs/policies.md)`,
  ).optional(),
  slices: describe(
    inRange(0, MIG_SLICES, {}, 'an integer number of sevenths of the capacity', z.int()),
    `k_i: fixedShares' MIG slices, sevenths of the capacity, an integer 0 to ${MIG_SLICES}; the fleet's slices sum to at most ${MIG_SLICES}; default ⌊${MIG_SLICES}/N⌋ (docs/policies.md)`,
  ).optional(),
});

const IntRange = z.union([
  z.int().min(1).max(LIMITS.agents),
  z.strictObject({ min: z.int().min(1).max(LIMITS.agents), max: z.int().min(1).max(LIMITS.agents) }),
]);

export const RandomFleetSchema = z
  .strictObject({
    agents: describe(IntRange, `agents per fleet: an integer or {min, max}, uniform, 1 to ${LIMITS.agents}`),
    T: describe(DistSchema, 'base throughput, requests/s (> 0)'),
    R: describe(DistSchema, 'minimum share of each agent, in [0, 1]'),
    RDividedByN: describe(
      z.boolean(),
      "divide each agent's drawn R by its fleet's agent count N, so that Σ R stays near the mean of R whatever N",
    ).default(false),
    P: describe(DistSchema, 'priority (> 0), 1 = most important'),
    lambda: describe(DistSchema, 'nominal arrival rate, requests/s (≥ 0); with `load`, relative weights').optional(),
    load: describe(DistSchema, 'fleet load factor ρ = Σ λ_i/T_i (≥ 0); λ scaled to hit it').optional(),
    arrivals: describe(RandomArrivalsSchema, "each agent's arrival process and cv, drawn (default: the study's `arrivals`)").optional(),
    M: describe(
      DistSchema,
      `each agent's model size, MB, drawn (0 to ${MAX_MODEL_MB}; with a lifecycle block its memory and load time; default: none, 0 MB)`,
    ).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.M !== undefined) distWithin(r.M, 0, MAX_MODEL_MB, false, ctx, ['M']);
    if (typeof r.agents === 'object' && r.agents.min > r.agents.max) {
      ctx.addIssue({ code: 'custom', path: ['agents', 'max'], message: `must be ≥ min (${r.agents.min})` });
    }
    distWithin(r.T, 0, Infinity, true, ctx, ['T']);
    distWithin(r.R, 0, 1, false, ctx, ['R']);
    distWithin(r.P, 0, Infinity, true, ctx, ['P']);
    if (r.lambda !== undefined) distWithin(r.lambda, 0, Infinity, false, ctx, ['lambda']);
    if (r.load !== undefined) distWithin(r.load, 0, Infinity, false, ctx, ['load']);
    if (r.lambda === undefined && r.load === undefined) {
      ctx.addIssue({ code: 'custom', path: ['load'], message: 'a random fleet needs `lambda` or `load` (or both)' });
    }
  });

/** n_G: the GPUs a fleet's capacity is split over (MODEL-PART4 §4.5, src/model/placement.ts). */
const GpusSchema = describe(
  inRange(1, MAX_GPUS, {}, 'GPUs per fleet', z.int({ error: `must be an integer from 1 to ${MAX_GPUS} (GPUs per fleet)` })),
  `GPUs per fleet, 1 to ${MAX_GPUS}: the capacity split evenly, each GPU running the policy over its own agents and holding its own memory (docs/serverless.md#several-gpus); the study's capacity defaults to gpus; default 1`,
).optional();

/** How the fleet's GPUs serve it (MODEL-PART4 §4.5): placement (src/model/placement.ts) or one pool (src/model/pool.ts). */
const GpuModeSchema = describe(
  z.enum(GPU_MODES),
  'with gpus > 1: "placement" (each agent on one GPU, a policy per GPU) or "pool" (one allocator over every agent at the whole capacity, each agent capped at its cap U_i; memory per GPU, a load goes to the GPU with the most free memory; docs/serverless.md#one-pool); default "placement"',
).optional();

export const FleetSchema = z.union([
  z.strictObject({ preset: z.literal('paper'), gpus: GpusSchema, gpuMode: GpuModeSchema }),
  z.strictObject({ agents: z.array(AgentSchema).min(1).max(LIMITS.agents), gpus: GpusSchema, gpuMode: GpuModeSchema }),
  z.strictObject({ random: RandomFleetSchema, gpus: GpusSchema, gpuMode: GpuModeSchema }),
]);

/** Whether the study's GPUs are one pool: gpuMode "pool" on more than one GPU (a pool of one GPU is the plain fleet). */
export const isPool = (s: { fleet: { gpus?: number | undefined; gpuMode?: string | undefined } }): boolean =>
  s.fleet.gpuMode === 'pool' && (s.fleet.gpus ?? 1) > 1;

/** The study's capacity G: as given, else the fleet's gpus (one per GPU), else 1. */
export function studyCapacity(s: { capacity?: number | undefined; fleet: { gpus?: number | undefined } }): number {
  return s.capacity ?? s.fleet.gpus ?? 1;
}

// ---- workflows (MODEL-PART4 §4.6; docs/workflows.md) --------------------------------------------------

/** An agent of a fixed fleet, by its name (`fleet.agents[i].name`, or the paper's: coordinator, nlp, vision, reasoning). */
const AgentNameSchema = describe(z.string().min(1).max(64), "an agent's name");
const probability = (what: string): z.ZodNumber => describe(inRange(0, 1, {}, 'a probability'), what);

/** A workflow written as a graph between named agents. */
export const WorkflowGraphSchema = z.strictObject({
  entry: describe(
    z.union([AgentNameSchema, z.array(AgentNameSchema).min(1)]),
    'the agents external requests arrive at (names); default: the first agent. The other agents get requests only from their predecessors',
  ).optional(),
  routes: describe(
    z.record(AgentNameSchema, z.record(AgentNameSchema, probability('the probability that a completed request goes to this agent'))),
    `{from: {to: p}}: where each agent sends its completed requests, with probabilities summing to at most 1 (the rest leaves the workflow); at most ${MAX_SUCCESSORS} successors per agent; every request must be able to leave (no cycle without exit)`,
  ),
  forkJoin: describe(
    z.strictObject({ fork: AgentNameSchema, join: AgentNameSchema }),
    'a fork-join: the fork sends one child of every completed request to each of its successors (its routes, p = 1 each), which route everything to the join (p = 1); the join gets the parent once every child is done',
  ).optional(),
});

/** Workflow templates for any fleet (random fleets have no names): agent 0 is the entry. */
export const WORKFLOW_TEMPLATES = {
  hub: 'agent 0 (the coordinator) sends a fraction `out` of its completed requests on, split evenly over the other agents, and each of them returns a fraction `back` to agent 0 (at most 9 agents: 8 successors)',
  chain: 'agent i sends a fraction `next` of its completed requests to agent i + 1; the last agent’s leave (a tandem)',
} as const;

const HubTemplateSchema = z.strictObject({
  template: describe(z.literal('hub'), WORKFLOW_TEMPLATES.hub),
  out: probability("the fraction of agent 0's completed requests sent on to the other agents (p = out/(N − 1) each)"),
  back: probability('the fraction of each other agent’s completed requests returned to agent 0'),
});
const ChainTemplateSchema = z.strictObject({
  template: describe(z.literal('chain'), WORKFLOW_TEMPLATES.chain),
  next: probability('the fraction of each agent’s completed requests sent to the next agent'),
});

/** A study's workflow: a graph between named agents, or a template (hub, chain) for any fleet. */
export const WorkflowSchema = z.union([WorkflowGraphSchema, z.discriminatedUnion('template', [HubTemplateSchema, ChainTemplateSchema])]);
export type Workflow = z.output<typeof WorkflowSchema>;
export type WorkflowGraph = z.output<typeof WorkflowGraphSchema>;

// ---- workload -------------------------------------------------------------------------------------

export const ScheduleEntrySchema = z
  .strictObject({
    agents: describe(
      z.union([
        z.literal('all'),
        z
          .array(
            z.union([
              z
                .int()
                .min(0)
                .max(LIMITS.agents - 1),
              z.string().min(1),
            ]),
          )
          .min(1),
      ]),
      '"all", or agent indices (0 = first) and names',
    ),
    from: nonNegative('seconds from the start of the run'),
    to: describe(finite().gt(0), 'end, seconds (exclusive); default: the end of the run').optional(),
    multiplier: nonNegative('factor on the arrival rate while active'),
  })
  .superRefine((e, ctx) => {
    if (e.to !== undefined && e.to <= e.from) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be > from (${e.from})` });
  });

/** The range of `allocator.queueTau` in words (its lower bound, dt, is checked across fields: refineStudy). */
const QUEUE_TAU_RANGE = `must be from the study's dt to ${LIMITS.queueTau} (seconds)`;

/** maxMinFair's and mps's lower bounds (SimConfig.maxMinFloor). */
export const MAX_MIN_FLOORS = ['zero', 'minimum'] as const;

export const AllocatorSchema = z.strictObject({
  sees: describe(
    z.enum(SIGNALS),
    'the rate the adaptive allocator uses: nominal λ (the paper), the last step’s arrivals, or their moving average',
  ).default('nominal'),
  emaAlpha: describe(
    finite()
      .gt(0)
      .max(1)
      .refine((x) => !(x > 0 && x < LIMITS.small), { error: (issue) => `${SMALL_POSITIVE}, got ${quote(issue.input)}` }),
    `weight of the newest step in the moving average, (0, 1] (at least ${LIMITS.small})`,
  ).default(0.2),
  queueTau: describe(
    finite().gt(0, { error: QUEUE_TAU_RANGE }).max(LIMITS.queueTau, { error: QUEUE_TAU_RANGE }),
    `τ of adaptiveQueue's demand (λ̂ + B/τ)·R/P, seconds, from dt to ${LIMITS.queueTau} (docs/policies.md)`,
  ).default(DEFAULT_QUEUE_TAU),
  sliceOverhead: describe(
    inRange(0, 1, { hi: true }, 'the fraction of the GPU lost to switching'),
    'η of timeSlice: the fraction of the GPU lost to switching between agents, in [0, 1) (docs/policies.md)',
  ).default(0),
  maxMinFloor: describe(
    z.enum(MAX_MIN_FLOORS),
    "maxMinFair's and mps's lower bound: zero, or minimum (min(R·G, the agent's need)) (docs/policies.md)",
  ).default('zero'),
});

/** The allocator settings when a study gives none (AllocatorSchema's defaults). */
export const DEFAULT_ALLOCATOR = {
  sees: 'nominal',
  emaAlpha: 0.2,
  queueTau: DEFAULT_QUEUE_TAU,
  sliceOverhead: 0,
  maxMinFloor: 'zero',
} as const;

/** Every registered policy (src/model/policies.ts), in id order. */
export const POLICY_CHOICES = POLICY_NAMES as readonly [PolicyName, ...PolicyName[]];

const PathAxisSchema = z.strictObject({
  path: describe(z.string().min(1), 'the study field the axis sets, e.g. "loadScale", "lmax", "schedule[0].multiplier"'),
  values: describe(
    z
      .array(z.union([finite(), z.string()]))
      .min(1)
      .max(LIMITS.cells),
    'the grid values (numbers; strings for choices such as allocator.sees)',
  ),
});

const VariantAxisSchema = z.strictObject({
  name: describe(z.string().min(1), 'the axis name, e.g. "scenario"'),
  variants: describe(
    z
      .array(
        z.strictObject({
          label: z.string().min(1),
          set: describe(z.record(z.string(), z.unknown()), 'field path → value, e.g. {"loadScale": 3, "schedule": [...]}'),
        }),
      )
      .min(1)
      .max(LIMITS.cells),
    'named scenarios, each setting several fields at once',
  ),
});

/** A grid axis: one field over a list of values, or named variants that each set several fields. */
export const AxisSchema = z.union([PathAxisSchema, VariantAxisSchema]);
export type Axis = z.output<typeof AxisSchema>;

/** The axis's column name in the result files: its path, or its name. */
export const axisName = (axis: Axis): string => ('path' in axis ? axis.path : axis.name);
/** The axis's values as they appear in the result files: the values, or the variants' labels. */
export const axisLabels = (axis: Axis): (number | string)[] => ('path' in axis ? axis.values : axis.variants.map((v) => v.label));
/** The field assignments of value `j` of an axis. */
export const axisAssignments = (axis: Axis, j: number): [string, unknown][] =>
  'path' in axis ? [[axis.path, axis.values[j]]] : Object.entries(axis.variants[j]!.set);

/** Fields an axis may not set: they define the grid, the identity of the study or its outputs. */
export const FIXED_FIELDS = ['name', 'description', 'seed', 'axes', 'output', 'samples', 'replicates', 'policies', '$schema', '$comment'];

/** The study's fields, each with its own checks; StudySchema adds the checks across fields. */
export const StudyFieldsSchema = z.strictObject({
  $schema: z.string().optional(),
  $comment: describe(
    z.union([z.string(), z.array(z.string())]),
    'notes for the reader (JSON has no comments): a string or one string per line; changes no result',
  ).optional(),
  name: describe(z.string().min(1).max(200), 'a short name for the study'),
  description: z.string().optional(),
  seed: describe(z.int().min(0).max(LIMITS.seed), 'fixes every random draw (fleets and arrivals)').default(1),
  fleet: describe(FleetSchema, '{preset: "paper"}, {agents: [...]} or {random: {...}}'),
  capacity: positive('G, GPUs shared by the fleet; default: the fleet’s gpus (1)').optional(),
  price: nonNegative('$ per GPU-hour', LIMITS.price).default(0.72),
  loadScale: nonNegative('factor on every nominal arrival rate').default(1),
  arrivals: ArrivalsSchema.default('poisson'),
  work: describe(
    z.enum(WORK_MODES),
    'work per request: exactly 1/T s of the whole GPU (deterministic), exponential with that mean (exponential), or the same law counted in whole requests (exponentialCount: what a workflow with random work needs)',
  ).default('deterministic'),
  workflow: describe(
    WorkflowSchema,
    'agents that feed each other (docs/workflows.md): {entry?, routes: {from: {to: p}}, forkJoin?} between named agents, or a template {template: "hub", out, back} / {template: "chain", next}; absent: independent agents',
  ).optional(),
  schedule: describe(
    z.array(ScheduleEntrySchema).max(LIMITS.scheduleEntries),
    `rate changes over time: at most ${LIMITS.scheduleEntries} entries, and at most ${LIMITS.scheduleSegments} changes of any one agent's rate (each entry covering it starts and ends one; about 8 entries)`,
  ).default([]),
  allocator: AllocatorSchema.default({ ...DEFAULT_ALLOCATOR }),
  lifecycle: describe(
    LifecycleStudySchema,
    'the serverless lifecycle (docs/serverless.md): agents scale to zero after keepAlive idle seconds and load again (coldStart + M/loadBandwidth) when work arrives, within the GPU memory (memory); absent: every agent always warm, memory unlimited',
  ).optional(),
  dt: positive('step length Δt, seconds').default(1),
  steps: integerIn(1, LIMITS.steps, 'steps per run').default(100),
  warmup: describe(z.int().min(0), 'first steps simulated but not recorded').default(0),
  lmax: positive('latency recorded for an agent with a zero share, seconds', LIMITS.lmax).default(999),
  // Default: the paper's three, so that a study written before the registry grew runs (and hashes) as it did.
  policies: describe(
    z.array(z.enum(POLICY_CHOICES)).min(1),
    `the policies to compare, each at most once (docs/policies.md): ${POLICY_CHOICES.join(', ')}; default: the paper's three (${PAPER_POLICIES.join(', ')})`,
  ).default([...PAPER_POLICIES]),
  samples: integerIn(1, LIMITS.samples, 'fleet samples per cell (random fleets are redrawn per sample)').default(1),
  replicates: integerIn(1, LIMITS.replicates, 'arrival streams per fleet sample').default(1),
  axes: describe(z.array(AxisSchema).max(LIMITS.axes), `the grid: at most ${LIMITS.axes} axes and ${LIMITS.cells} cells`).default([]),
  output: z
    .strictObject({
      fleetRows: describe(z.boolean(), 'write one row per fleet run (Apache Arrow IPC files in fleets/)').default(false),
      arrivalStats: describe(
        z.boolean(),
        'record the arrival statistics (idc1/10/100, maxStepArrivals, approxSteps) under deterministic and Poisson arrivals too; always on for the other processes',
      ).default(false),
    })
    .default({ fleetRows: false, arrivalStats: false }),
});

/**
 * The per-agent policy fields across a fixed fleet: each cap at most the capacity G (an agent cannot
 * use more GPUs than the fleet has), and the MIG slices within one GPU's sevenths — Σ k_i ≤ 7, the
 * agents without slices counted at their default ⌊7/N⌋ (FleetPacker), when any agent gives slices.
 */
function agentPolicyProblems(agents: readonly Agent[], capacity: number, ctx: Pick<z.RefinementCtx, 'addIssue'>): void {
  agents.forEach((a, i) => {
    if (a.cap !== undefined && a.cap <= LIMITS.large && a.cap > capacity)
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', 'agents', i, 'cap'],
        message: `must be > 0 and at most the study's capacity (${capacity} GPUs), got ${a.cap}`,
      });
  });
  let last = -1;
  agents.forEach((a, i) => (last = a.slices === undefined ? last : i));
  if (last < 0) return;
  // A slice count out of its own range has its own line already: no sum over it.
  if (agents.some((a) => a.slices !== undefined && !(Number.isInteger(a.slices) && a.slices >= 0 && a.slices <= MIG_SLICES))) return;
  const byDefault = Math.floor(MIG_SLICES / agents.length);
  const total = agents.reduce((n, a) => n + (a.slices ?? byDefault), 0);
  if (total > MIG_SLICES) {
    const unset = agents.filter((a) => a.slices === undefined).length;
    ctx.addIssue({
      code: 'custom',
      path: ['fleet', 'agents', last, 'slices'],
      message: `the fleet's MIG slices sum to ${total}${unset > 0 ? ` (the ${unset} agent(s) without slices count ⌊${MIG_SLICES}/${agents.length}⌋ = ${byDefault} each)` : ''}; they must sum to at most ${MIG_SLICES} (sevenths of the capacity)`,
    });
  }
}

/** The fleet's models against the card: each within it (naming the agent), the pinned ones together. */
function lifecycleProblems(
  s: z.output<typeof StudyFieldsSchema>,
  block: NonNullable<z.output<typeof StudyFieldsSchema>['lifecycle']>,
  ctx: Pick<z.RefinementCtx, 'addIssue'>,
): void {
  const m = block.memory;
  // A card out of its range, or given twice, has its own line already: nothing is measured against it.
  if (m !== undefined && ((m.gpu === undefined) === (m.gb === undefined) || !MemoryStudySchema.safeParse(m).success)) return;
  const f = s.fleet;
  if ('random' in f) {
    const M = f.random.M;
    const capacity = studyCapacityMB(block);
    if (M !== undefined && Math.ceil(distRange(M)[1]) > capacity)
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', 'random', 'M'],
        message: `every model must fit the GPU's usable memory, lifecycle.memory: ${capacityText(block)}, got models up to ${distRange(M)[1]} MB`,
      });
    return;
  }
  // Several GPUs: each model against one card here; the pinned agents per GPU after the placement (the packer's check).
  const all = 'preset' in f ? PAPER_AGENTS : f.agents;
  const agents = (f.gpus ?? 1) > 1 ? all.map((a) => ({ ...a, pinned: false })) : all;
  const where = (i: number): (string | number)[] => ('preset' in f ? ['lifecycle', 'memory'] : ['fleet', 'agents', i, 'M']);
  for (const p of fleetMemoryProblems(agents, block, where)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
}

/**
 * A pool of GPUs (src/model/pool.ts): no agent is given a GPU (its GPU is where its model was last
 * loaded), and every policy has a pool form (fixedShares' MIG slices and roundRobinSkipIdle's turns
 * are per GPU: placement runs them).
 */
function poolProblems(s: z.output<typeof StudyFieldsSchema>, ctx: Pick<z.RefinementCtx, 'addIssue'>): void {
  if ('agents' in s.fleet)
    s.fleet.agents.forEach((a, i) => {
      if (a.gpu !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'agents', i, 'gpu'],
          message: `must be absent in a pool (fleet.gpuMode "pool": an agent loads on the GPU with the most free memory); use gpuMode "placement" to place agents, got ${quote(a.gpu)}`,
        });
    });
  s.policies.forEach((p, j) => {
    const problem = poolPolicyProblem(p);
    if (problem !== null)
      ctx.addIssue({ code: 'custom', path: ['policies', j], message: `in a pool of GPUs (fleet.gpuMode "pool"): ${problem}` });
  });
}

/** The checks across fields (a cell's study is checked by them again with its axis values applied). */
export function refineStudy(s: z.output<typeof StudyFieldsSchema>, ctx: Pick<z.RefinementCtx, 'addIssue'>): void {
  if (s.warmup >= s.steps) ctx.addIssue({ code: 'custom', path: ['warmup'], message: `must be < steps (${s.steps})` });
  if (s.work !== 'deterministic' && !ARRIVAL_PROCESS_INFO[arrivalProcess(s.arrivals).process].counts) {
    ctx.addIssue({ code: 'custom', path: ['work'], message: `${s.work} work needs arrivals that count requests (not deterministic)` });
  }
  if (s.workflow !== undefined) workflowStudyProblems(s, ctx);
  if (new Set(s.policies).size !== s.policies.length)
    ctx.addIssue({ code: 'custom', path: ['policies'], message: 'must not repeat a policy' });
  // τ ≥ Δt where a policy reads τ (a queueTau outside (0, 600] has its own line already).
  const tau = s.allocator.queueTau;
  if (tau > 0 && tau <= LIMITS.queueTau && tau < s.dt && readsSetting(s.policies, 'queueTau'))
    ctx.addIssue({
      code: 'custom',
      path: ['allocator', 'queueTau'],
      message: `must be from the study's dt (${s.dt}) to ${LIMITS.queueTau} (seconds) for ${SETTING_READERS.queueTau.join(', ')}, got ${tau}`,
    });
  if ('agents' in s.fleet) agentPolicyProblems(s.fleet.agents, studyCapacity(s), ctx);
  if ('agents' in s.fleet) {
    const gpus = s.fleet.gpus ?? 1;
    s.fleet.agents.forEach((a, i) => {
      if (a.gpu !== undefined && a.gpu >= gpus && a.gpu < MAX_GPUS)
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'agents', i, 'gpu'],
          message: `must be an integer from 0 to ${gpus - 1} (the fleet's gpus − 1), got ${a.gpu}`,
        });
    });
  }
  if (isPool(s)) poolProblems(s, ctx);
  if (s.lifecycle !== undefined) lifecycleProblems(s, s.lifecycle, ctx);
  const agentCount = 'agents' in s.fleet ? s.fleet.agents.length : 'preset' in s.fleet ? PAPER_AGENTS.length : LIMITS.agents;
  // The agents' names, only when an entry names one (a cell of a large fleet does not walk it).
  const named = s.schedule.some((e) => e.agents !== 'all' && e.agents.some((a) => typeof a === 'string'));
  const names = !named
    ? []
    : 'agents' in s.fleet
      ? s.fleet.agents.flatMap((a) => a.name ?? [])
      : 'preset' in s.fleet
        ? PAPER_AGENTS.map((a) => a.name)
        : null;
  s.schedule.forEach((e, k) => {
    if (e.agents === 'all') return;
    e.agents.forEach((a, j) => {
      if (typeof a === 'number' && a >= agentCount) {
        ctx.addIssue({ code: 'custom', path: ['schedule', k, 'agents', j], message: `must be an agent index below ${agentCount}` });
      }
      if (typeof a === 'string' && names === null) {
        ctx.addIssue({ code: 'custom', path: ['schedule', k, 'agents', j], message: 'random fleets have no agent names; use indices' });
      } else if (typeof a === 'string' && !names!.includes(a)) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedule', k, 'agents', j],
          message: `no agent is named ${quote(a)} (agents: ${names!.map((n) => (/^[\w.-]{1,64}$/.test(n) ? n : quote(n))).join(', ') || 'none named'})`,
        });
      }
    });
  });
  s.axes.forEach((axis, i) => {
    axisLabels(axis).forEach((_, j) => {
      for (const [path] of axisAssignments(axis, j)) {
        const head = path.split(/[.[]/)[0]!;
        const at = 'path' in axis ? ['axes', i, 'path'] : ['axes', i, 'variants', j, 'set', path];
        if (FIXED_FIELDS.includes(head))
          ctx.addIssue({ code: 'custom', path: at, message: `an axis cannot set ${head} (allowed: the workload and fleet fields)` });
      }
    });
  });
  const axisNames = s.axes.map(axisName);
  if (new Set(axisNames).size !== axisNames.length)
    ctx.addIssue({ code: 'custom', path: ['axes'], message: 'two axes have the same path or name' });
  s.axes.forEach((axis, i) => {
    // An axis is a column of cells.csv and of the per-fleet Arrow files, beside these.
    if (RESULT_COLUMNS.has(axisName(axis)) || RESULT_COLUMN_PATTERN.test(axisName(axis)))
      ctx.addIssue({
        code: 'custom',
        path: ['axes', i, 'name'],
        message: `${quote(axisName(axis))} is reserved (a column of the result files, or __proto__); choose another axis name`,
      });
  });
  const cells = s.axes.reduce((n, a) => n * axisLabels(a).length, 1);
  if (cells > LIMITS.cells) ctx.addIssue({ code: 'custom', path: ['axes'], message: `${cells} cells; at most ${LIMITS.cells}` });
}

/**
 * The fixed columns of the result files (cells.csv: cell, policy, fleetRuns, metric_statistic, the
 * verdict columns diff_…, wins_…, winner_…, winFraction_vs_… and unstableFraction; the per-fleet Arrow
 * files: cell, sample, replicate, policy, agents, load and the metrics; the per-agent Arrow files:
 * agent, agentName and the per-agent metrics), all from src/results/columns.ts, which an axis name may
 * not take, and `__proto__`, which no object key should be.
 */
const RESULT_COLUMN_PATTERN = new RegExp(`^((${RUN_METRICS.join('|')})_(${STAT_FIELDS.join('|')})|(${CSV_PREFIXES.join('|')}).*)$`);
const RESULT_COLUMNS: ReadonlySet<string> = new Set([
  ...ROW_FIELDS,
  ...AGENT_ROW_FIELDS,
  ...AGENT_ROW_METRICS,
  ...CSV_FIELDS,
  'fleetRuns',
  '__proto__',
  ...RUN_METRICS,
]);

export const StudySchema = StudyFieldsSchema.superRefine(refineStudy);

export type StudyInput = z.input<typeof StudySchema>;
export type Study = z.output<typeof StudySchema>;
export type Agent = z.output<typeof AgentSchema>;
export type RandomFleet = z.output<typeof RandomFleetSchema>;

/** The JSON Schema published for editors (schema/study.schema.json is this, written by `npm run schema`). */
export function studyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(StudySchema, { io: 'input', unrepresentable: 'any' }),
    title: 'fleetsim study',
    description: 'A fleetsim sweep: the fleet, the workload, the policies and the grid of axes (docs/SWEEPS.md).',
  };
}
