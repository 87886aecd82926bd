/**
 * The fleets of a study cell: the paper preset, a fixed agent list, or a random fleet drawn with the
 * counter-based generator, so sample `s` of a study is the same fleet on every machine, shard, batch
 * size and backend, and the same fleet in every cell whose axes leave the generator alone (common
 * random numbers across cells as well as across policies). Then the workload: the load scale, the
 * capacity and the rate schedule (seconds turned into steps).
 *
 * @example
 *   const fleet = cellFleet(cell.study, 17); // sample 17 of the cell
 */
import type { AgentPolicySpec, AgentSpec, ArrivalSpec, FleetSpec, MmppSpec, RouteSpec } from '../model/batch.js';
import { ConfigError } from '../model/errors.js';
import { PAPER_AGENTS } from '../model/paper.js';
import { arrivalUniforms, drawFleetAgents, memoryUniform } from '../model/randomFleets.js';
import { serveGenClientName } from '../traces/library.js';
import {
  type Agent,
  type ArrivalProcess,
  arrivalProcess,
  type Arrivals,
  DEFAULT_CV,
  type Dist,
  type RandomFleet,
  type Study,
  studyCapacity,
} from './schema.js';
import type { ScheduleSegment } from '../model/schedule.js';
import { fleetWorkflow, keepsLoad, workflowRates } from './workflow.js';

/** The value of distribution `d` at the uniform draw u ∈ [0, 1). */
export function sampleDist(d: Dist, u: number): number {
  if (typeof d === 'number') return d;
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return d.min + (d.max - d.min) * u;
    case 'logUniform':
      return d.min * Math.exp(Math.log(d.max / d.min) * u);
    case 'choice':
      return d.values[Math.min(d.values.length - 1, Math.floor(u * d.values.length))]!;
  }
}

/**
 * Random fleet number `sample` of a study: the 'study' layout of the one generator
 * (src/model/randomFleets.ts), each field drawn from its distribution in the file; with
 * `RDividedByN`, each agent's R is divided by the fleet's agent count N; with `M`, each agent's model
 * size (MB) from its own counter word.
 */
export function randomStudyFleet(seed: number, sample: number, spec: RandomFleet): AgentSpec[] {
  const { load, lambda, M } = spec;
  const agents = drawFleetAgents(seed, sample, {
    layout: 'study',
    agents: typeof spec.agents === 'number' ? [spec.agents, spec.agents] : [spec.agents.min, spec.agents.max],
    ...(load === undefined ? {} : { load: (u: number) => sampleDist(load, u) }),
    T: (u) => sampleDist(spec.T, u),
    R: spec.RDividedByN ? (u, n) => sampleDist(spec.R, u) / n : (u) => sampleDist(spec.R, u),
    P: (u) => sampleDist(spec.P, u),
    ...(lambda === undefined ? {} : { lambda: (u: number) => sampleDist(lambda, u) }),
  });
  // The model sizes on their own counter word (memoryUniform): drawing them shifts no other draw.
  if (M !== undefined) agents.forEach((a, i) => (a.M = sampleDist(M, memoryUniform(seed, sample, i))));
  return agents;
}

/** Start step of time `seconds`: the first step t with t·Δt ≥ seconds (a hair of slack for rounding). */
function stepAt(seconds: number, dt: number): number {
  return Math.max(0, Math.ceil(seconds / dt - 1e-9));
}

/**
 * Piecewise-constant multipliers of agent `i` (index) named `name`: where entries overlap their
 * multipliers multiply. Returns breakpoints where the multiplier changes, none when it is always 1.
 */
export function agentSchedule(study: Study, i: number, name: string | undefined): ScheduleSegment[] {
  const entries = study.schedule.filter((e) => e.agents === 'all' || e.agents.some((a) => a === i || (name !== undefined && a === name)));
  if (entries.length === 0) return [];
  const spans = entries.map((e) => ({
    start: stepAt(e.from, study.dt),
    end: e.to === undefined ? Infinity : stepAt(e.to, study.dt),
    multiplier: e.multiplier,
  }));
  const points = [...new Set([0, ...spans.flatMap((s) => [s.start, s.end])])].filter((p) => p < study.steps).sort((a, b) => a - b);
  const segments: ScheduleSegment[] = [];
  let current = 1;
  for (const p of points) {
    const m = spans.reduce((acc, s) => (s.start <= p && p < s.end ? acc * s.multiplier : acc), 1);
    if (m !== current) segments.push({ start: p, multiplier: m });
    current = m;
  }
  return segments;
}

/**
 * How a batch refers to the traces its agents name: `index` gives a trace's place in the batch's
 * traces (adding it), `fitMmpp` the MMPP fitted to a trace (src/traces/library.ts).
 */
export interface TraceResolver {
  index(name: string): number;
  fitMmpp(name: string): MmppSpec;
  /** The clients of ServeGen file `name`. */
  clients(name: string): number;
}

const NO_TRACE_RESOLVER: TraceResolver = {
  index: () => {
    throw new ConfigError('arrivals.trace', 'traces are read by `fleetsim sweep` and `validate` (no trace library was given)');
  },
  fitMmpp: () => {
    throw new ConfigError('arrivals.mmpp.fit', 'traces are read by `fleetsim sweep` and `validate` (no trace library was given)');
  },
  clients: () => {
    throw new ConfigError('arrivals.trace', 'ServeGen files are read by `fleetsim sweep` and `validate` (no trace library was given)');
  },
};

/**
 * The engine's form of an arrival process: the cv defaulted, the trace an index, an MMPP fit done; a
 * ServeGen agent's client is its own or drawn with `uClient` (uniform over the file's clients).
 */
export function arrivalSpec(arrivals: Arrivals, traces: TraceResolver, uClient: number): ArrivalSpec {
  const p: ArrivalProcess = arrivalProcess(arrivals);
  let trace: number | undefined;
  if (p.trace !== undefined && p.process === 'servegen') {
    const clients = traces.clients(p.trace);
    const client = p.client ?? Math.min(clients - 1, Math.floor(uClient * clients));
    if (client >= clients)
      throw new ConfigError('arrivals.client', `must be a client of ${JSON.stringify(p.trace)} below ${clients}, got ${client}`);
    trace = traces.index(serveGenClientName(p.trace, client));
  } else if (p.trace !== undefined) trace = traces.index(p.trace);
  return {
    process: p.process,
    ...(p.process === 'gamma' || p.process === 'weibull' ? { cv: p.cv ?? DEFAULT_CV } : {}),
    ...(p.mmpp === undefined ? {} : { mmpp: 'fit' in p.mmpp ? traces.fitMmpp(p.mmpp.fit) : p.mmpp }),
    ...(trace === undefined ? {} : { trace }),
  };
}

/** Agent i of random fleet `sample`'s drawn process: one of the listed (uniform), at a drawn cv. */
function drawnArrivals(seed: number, sample: number, i: number, spec: NonNullable<RandomFleet['arrivals']>): ArrivalProcess {
  const [uProcess, uCv] = arrivalUniforms(seed, sample, i);
  const names = typeof spec.process === 'string' ? [spec.process] : spec.process;
  const process = names[Math.min(names.length - 1, Math.floor(uProcess * names.length))]!;
  const renewal = process === 'gamma' || process === 'weibull';
  return {
    process,
    ...(renewal ? { cv: sampleDist(spec.cv ?? DEFAULT_CV, uCv) } : {}),
    ...(process === 'mmpp' && spec.mmpp !== undefined ? { mmpp: spec.mmpp } : {}),
    ...(spec.trace !== undefined && process !== 'deterministic' ? { trace: spec.trace } : {}),
  };
}

/** Where cellAgents puts a fleet's agents: a FleetSpec (cellFleet) or a FleetPacker (the sweep's batches). */
export interface AgentSink {
  agent(
    T: number,
    R: number,
    P: number,
    lambda: number,
    schedule: readonly ScheduleSegment[] | undefined,
    arrivals: ArrivalSpec | undefined,
    name: string | undefined,
    /** The agent's cap, weight and MIG slices where a fixed fleet gives them (random fleets: the defaults). */
    policy: AgentPolicySpec | undefined,
    /** Where its completed requests go (the study's workflow; src/study/workflow.ts); undefined: they leave. */
    routes: readonly RouteSpec[] | undefined,
    /** Its model size (MB) and whether it is pinned (the lifecycle, MODEL-PART4 §4.3–4.4); M undefined: none given. */
    serverless: Pick<AgentSpec, 'M' | 'pinned' | 'gpu'>,
  ): void;
  /** The fleet's fork-join (agent indices), after its agents, when its workflow has one. */
  forkJoin(fork: number, join: number): void;
}

/** An agent's policy fields as given (undefined when it gives none: the packer's defaults apply). */
function agentPolicy(a: Pick<Agent, 'cap' | 'weight' | 'slices'>): AgentPolicySpec | undefined {
  if (a.cap === undefined && a.weight === undefined && a.slices === undefined) return undefined;
  return {
    ...(a.cap === undefined ? {} : { cap: a.cap }),
    ...(a.weight === undefined ? {} : { weight: a.weight }),
    ...(a.slices === undefined ? {} : { slices: a.slices }),
  };
}

/**
 * The agents of fleet sample `sample` of a cell, with the cell's load scale, schedule, arrival
 * processes and workflow applied, handed to `sink` in order (then its fork-join); returns the fleet's
 * nominal load factor Σ λ_i/T_i (loadFactor of the same fleet), under a workflow Σ γ_i/T_i with the
 * visit rates γ (src/study/workflow.ts: the external rates it gives the entries, the others' 0). An agent's process is its own, else drawn (random fleets with
 * `arrivals`), else the study's; a study-wide process name alone leaves the agents on the batch's
 * (SimConfig.arrivals).
 */
export function cellAgents(study: Study, sample: number, traces: TraceResolver, sink: AgentSink): number {
  const f = study.fleet;
  const base: readonly (Omit<Agent, 'arrivals' | 'M'> & { M?: number | undefined })[] =
    'preset' in f ? PAPER_AGENTS : 'agents' in f ? f.agents : randomStudyFleet(study.seed, sample, f.random);
  const drawn = 'random' in f ? f.random.arrivals : undefined;
  const studyArrivals = typeof study.arrivals === 'string' ? undefined : study.arrivals;
  const scheduled = study.schedule.length > 0;
  const workflow =
    study.workflow === undefined
      ? null
      : fleetWorkflow(
          study.workflow,
          base.map((a) => a.name),
        );
  const rates =
    workflow === null
      ? null
      : workflowRates(
          base.map((a) => ({ T: a.T, lambda: a.lambda * study.loadScale })),
          workflow,
          keepsLoad(study),
        );
  let rho = 0;
  for (let i = 0; i < base.length; i++) {
    const a = base[i]!;
    const schedule = scheduled ? agentSchedule(study, i, a.name) : undefined;
    const own =
      ('agents' in f ? f.agents[i]!.arrivals : undefined) ??
      (drawn === undefined ? undefined : drawnArrivals(study.seed, sample, i, drawn));
    const arrivals = own ?? studyArrivals;
    const lambda = rates === null ? a.lambda * study.loadScale : rates.lambda[i]!;
    const routes = workflow?.routes[i];
    sink.agent(
      a.T,
      a.R,
      a.P,
      lambda,
      schedule !== undefined && schedule.length > 0 ? schedule : undefined,
      arrivals === undefined
        ? undefined
        : arrivalSpec(arrivals, traces, arrivalProcess(arrivals).process === 'servegen' ? arrivalUniforms(study.seed, sample, i)[2] : 0),
      a.name,
      'agents' in f ? agentPolicy(f.agents[i]!) : undefined,
      routes !== undefined && routes.length > 0 ? routes : undefined,
      {
        ...(a.M === undefined ? {} : { M: a.M }),
        ...(a.pinned === true ? { pinned: true } : {}),
        ...(gpuOf(f, i) === undefined ? {} : { gpu: gpuOf(f, i)! }),
      },
    );
    rho += lambda / a.T;
  }
  if (workflow?.forkJoin !== undefined) sink.forkJoin(workflow.forkJoin.fork, workflow.forkJoin.join);
  return rates === null ? rho : rates.load;
}

/** The GPU fixed fleet f gives agent i (undefined: placed by LPT). */
const gpuOf = (f: Study['fleet'], i: number): number | undefined => ('agents' in f ? f.agents[i]!.gpu : undefined);

/**
 * Fleet sample `sample` of a cell, with the cell's load scale, capacity, schedule and arrival
 * processes applied (cellAgents, as an object).
 */
export function cellFleet(study: Study, sample: number, traces: TraceResolver = NO_TRACE_RESOLVER): FleetSpec {
  const agents: AgentSpec[] = [];
  let forkJoin: FleetSpec['forkJoin'];
  cellAgents(study, sample, traces, {
    forkJoin: (fork, join) => (forkJoin = { fork, join }),
    agent: (T, R, P, lambda, schedule, arrivals, name, policy, routes, serverless) =>
      agents.push({
        ...(name === undefined ? {} : { name }),
        T,
        R,
        P,
        lambda,
        ...serverless,
        ...(schedule === undefined ? {} : { schedule }),
        ...(arrivals === undefined ? {} : { arrivals }),
        ...(policy?.cap === undefined ? {} : { cap: policy.cap }),
        ...(policy?.weight === undefined ? {} : { weight: policy.weight }),
        ...(policy?.slices === undefined ? {} : { slices: policy.slices }),
        ...(routes === undefined ? {} : { routes }),
      }),
  });
  const gpus = study.fleet.gpus ?? 1;
  return {
    agents,
    capacity: studyCapacity(study),
    ...(gpus > 1 ? { gpus } : {}),
    ...(study.fleet.gpuMode === undefined ? {} : { gpuMode: study.fleet.gpuMode }),
    ...(forkJoin === undefined ? {} : { forkJoin }),
  };
}

/**
 * Every trace a study names (its arrivals, its agents', its random fleet's, MMPP fits), with where,
 * and whether it is a ServeGen file (the servegen process) or a request trace.
 */
export function studyTraceNames(study: Study): { name: string; field: string; serveGen: boolean }[] {
  const found: { name: string; field: string; serveGen: boolean }[] = [];
  const visit = (a: Arrivals | RandomFleet['arrivals'] | undefined, field: string): void => {
    if (a === undefined || typeof a === 'string') return;
    const serveGen = typeof a.process === 'string' ? a.process === 'servegen' : a.process.includes('servegen');
    if (a.trace !== undefined) found.push({ name: a.trace, field: `${field}.trace`, serveGen });
    if (a.mmpp !== undefined && 'fit' in a.mmpp) found.push({ name: a.mmpp.fit, field: `${field}.mmpp.fit`, serveGen: false });
  };
  visit(study.arrivals, 'arrivals');
  const f = study.fleet;
  if ('agents' in f) f.agents.forEach((a, i) => visit(a.arrivals, `fleet.agents[${i}].arrivals`));
  if ('random' in f) visit(f.random.arrivals, 'fleet.random.arrivals');
  return found;
}

/** Nominal load factor ρ = Σ λ_i/T_i of a fleet (before schedules). */
export function loadFactor(fleet: FleetSpec): number {
  return fleet.agents.reduce((rho, a) => rho + a.lambda / a.T, 0);
}

/** Whether a study gives any agent an arrival process of its own (beyond a study-wide process name). */
export function ownArrivals(study: Study): boolean {
  const f = study.fleet;
  return (
    typeof study.arrivals !== 'string' ||
    ('agents' in f && f.agents.some((a) => a.arrivals)) ||
    ('random' in f && f.random.arrivals !== undefined)
  );
}
