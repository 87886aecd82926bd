/**
 * The benchmarks' result files in bench/results/, read by the page's Bench view:
 * - `<date>-<host>.json`, written by `npm run bench` (src/bench/suite.ts): the suite (BenchFile);
 * - `sweep-<date>-<host>.json`, by `npm run bench:sweep` (bench/sweep.ts): `"bench": "sweep"`;
 * - `memory-<date>-<host>.json`, by `npm run bench:memory` (bench/memory.ts): `"bench": "memory"`;
 * - `slurm-<date>-<host>.json`, by `npm run bench:slurm` (bench/slurm.ts): `"bench": "slurm"`.
 * - `peers-<date>-<host>.json`, by `npm run bench:peers` (bench/peers.ts): `"bench": "peers"`.
 * The schemas are the contract between writers and reader: the suite's output is checked against its
 * type at compile time, the page checks files against the schemas at run time. `openBenchFile` tells
 * the kinds apart and refuses anything else in plain words (what the file is, what the view shows);
 * a file of a known kind that does not fit names its first fields that do not, one line each.
 *
 * @example
 *   const opened = openBenchFile(text); // { kind: 'memory', file } …, or throws BenchFileError
 */
import { z } from 'zod';
import { formatIssues } from '../study/problems.js';
import { JsonTextError, parseJsonText } from '../text/json.js';
import { quote } from '../text/quote.js';

const finite = z.number().finite();
const nonNegative = finite.nonnegative();
const text = z.string().max(500);

export const measurementSchema = z.object({
  workload: z.string().min(1).max(200),
  arrivals: text.optional(), // the workload's arrival process in words (files since the arrival workloads)
  backend: z.string().min(1).max(200),
  fleets: z.number().int().positive(),
  steps: z.number().int().positive(),
  agentSteps: z.number().positive().finite(),
  fleetRuns: z.number().positive().finite(),
  seconds: z.array(nonNegative).min(1).max(10_000), // the timed runs
  median: nonNegative,
  agentStepsPerSecond: nonNegative,
  fleetRunsPerSecond: nonNegative,
  peakRssMiB: nonNegative.optional(),
  deviceBufferMiB: nonNegative.optional(),
});
export type Measurement = z.infer<typeof measurementSchema>;

/** An arrival workload's cost per agent-step against its Poisson baseline on one backend, at one fleet count. */
export const arrivalCostSchema = z.object({
  workload: z.string().min(1).max(200),
  arrivals: text,
  baseline: z.string().min(1).max(200),
  backend: z.string().min(1).max(200),
  fleets: z.number().int().positive(),
  agentStepsPerSecond: nonNegative,
  baselineAgentStepsPerSecond: nonNegative,
  relativeCost: nonNegative, // baseline agent-steps/s over this workload's: × Poisson's time per agent-step
});
export type ArrivalCost = z.infer<typeof arrivalCostSchema>;

export const benchFileSchema = z.object({
  environment: z.object({
    date: z.string().max(100),
    host: z.string().max(200).optional(),
    cpu: z.string().max(500).optional(),
    cores: z.number().int().positive().optional(),
    memoryGiB: nonNegative.optional(),
    node: z.string().max(100).optional(),
    browser: z.string().max(500).optional(),
    fleetsim: z.string().max(100).optional(),
    adapter: z
      .object({ vendor: text, architecture: text, device: text, description: text })
      .partial()
      .nullable()
      .optional(),
    options: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
  }),
  coldStart: z.record(z.string(), nonNegative).optional(),
  peerChecks: z.record(z.string(), z.string().max(1000)).optional(),
  peerCompileSeconds: z.record(z.string(), nonNegative).optional(), // the Numba peer's compile on an empty cache, per thread count (excluded from its times)
  measurements: z.array(measurementSchema).min(1).max(100_000),
  scaling: z.record(z.string(), z.record(z.string(), finite)).optional(),
  allocator: z
    .array(
      z.object({
        agents: z.number().int().positive(),
        cpuMicros: nonNegative,
        gpuMicros: nonNegative.nullable(),
        gpuMaxRelativeError: nonNegative.nullable().optional(),
      }),
    )
    .optional(),
  ratios: z.record(z.string(), finite).optional(),
  arrivalCost: z.array(arrivalCostSchema).max(10_000).optional(), // absent in files before the arrival workloads
});
export type BenchFile = z.infer<typeof benchFileSchema>;

// ---- the other benchmarks: bench/sweep.ts, bench/memory.ts, bench/slurm.ts ----------------------------

/** The header every `npm run bench:*` script writes: which benchmark, when, on what. */
const scriptHeader = {
  date: z.string().max(100),
  fleetsim: z.string().max(100).optional(),
  node: z.string().max(100).optional(),
  cpu: z.string().max(500).optional(),
  cores: z.number().int().positive().optional(),
};
/** A study as the script ran it (shown by name and size only). */
const studyShape = z.looseObject({ name: z.string().max(500).optional() });
const name = z.string().min(1).max(500);

/** `npm run bench:sweep`: the paper-fleet study through `fleetsim sweep`'s code path, per backend. */
export const sweepBenchSchema = z.object({
  bench: z.literal('sweep'),
  ...scriptHeader,
  study: studyShape,
  rows: z
    .array(
      z.object({
        backend: name,
        adapter: z.string().max(500).nullable(),
        fleetRuns: z.number().positive().finite(),
        agentSteps: z.number().positive().finite(),
        totalSeconds: nonNegative, // the sweep's wall time
        engineSeconds: nonNegative, // inside the engine during the sweep
        rawEngineSeconds: nonNegative, // the bare engine on the same batches
        fleetRunsPerSecond: nonNegative,
        overhead: finite, // (total − raw engine) / raw engine
        peakRssMiB: nonNegative,
      }),
    )
    .min(1)
    .max(1000),
});
export type SweepBenchFile = z.infer<typeof sweepBenchSchema>;

/** `npm run bench:memory`: a long sweep's resident memory, its peak and its value at each tenth of the run. */
export const memoryBenchSchema = z.object({
  bench: z.literal('memory'),
  ...scriptHeader,
  backend: name,
  adapter: z.string().max(500).nullable().optional(),
  study: studyShape,
  fleetRuns: z.number().positive().finite(),
  seconds: nonNegative,
  peakRssMiB: nonNegative,
  trajectory: z.array(z.object({ fleetRuns: nonNegative, rssMiB: nonNegative })).max(100_000),
});
export type MemoryBenchFile = z.infer<typeof memoryBenchSchema>;

/** `npm run bench:slurm`: a Slurm job's own cost and the study as array tasks (or why it was skipped), and merge against shards. */
export const slurmBenchSchema = z.object({
  bench: z.literal('slurm'),
  ...scriptHeader,
  study: z.string().max(1000),
  slurm: z.union([
    z.string().max(2000), // part 1 skipped: why
    z.object({
      emptyJobSeconds: z.array(nonNegative).min(1).max(10_000),
      directSeconds: nonNegative,
      rows: z
        .array(
          z.object({
            tasks: z.number().int().positive(),
            arraySeconds: nonNegative,
            longestShardSeconds: nonNegative,
            overheadPerTaskSeconds: finite,
            mergeJobSeconds: nonNegative,
            equalToDirect: z.boolean(),
          }),
        )
        .max(1000),
    }),
  ]),
  merge: z.object({
    rows: z
      .array(
        z.object({
          shards: z.number().int().positive(),
          makeSeconds: nonNegative,
          mergeSeconds: nonNegative,
          peakRssMiB: nonNegative,
          equalToUnsharded: z.boolean(),
        }),
      )
      .max(1000),
    refusals: z.array(z.object({ case: z.string().max(1000), seconds: nonNegative, message: z.string().max(5000) })).max(100),
  }),
});
export type SlurmBenchFile = z.infer<typeof slurmBenchSchema>;

/**
 * `npm run bench:peers` (bench/peers.ts): whole `fleetsim sweep` processes against the Numba peer's, per
 * workload: the statistics check, then each path's timed runs (wall, user + system, peak RSS).
 */
export const peersBenchSchema = z.object({
  bench: z.literal('peers'),
  ...scriptHeader,
  host: z.string().max(200).optional(),
  python: z.string().max(100).optional(),
  numba: z.string().max(100).optional(),
  numpy: z.string().max(100).optional(),
  options: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  compileSeconds: z.record(z.string(), nonNegative), // the peer's compile on an empty cache, excluded from its runs
  workloads: z
    .array(
      z.object({
        name,
        description: text,
        study: studyShape,
        fleetRuns: z.number().positive().finite(), // per policy
        agentSteps: z.number().positive().finite(), // per run of a path
        checks: z.array(z.object({ path: name, peer: name, agree: z.boolean(), problems: z.array(z.string().max(1000)).max(100) })).max(100),
        skipped: z.array(z.string().max(2000)).max(100), // paths not run, with why
        rows: z
          .array(
            z.object({
              path: name,
              label: name,
              command: z.string().max(5000),
              wallSeconds: z.array(nonNegative).min(1).max(10_000), // whole process, the timed runs
              cpuSeconds: z.array(nonNegative).min(1).max(10_000), // user + system
              agentStepsPerSecond: nonNegative, // at the median wall time
              peakRssMiB: nonNegative,
              kernelSeconds: z.array(nonNegative).max(10_000).optional(), // the peer's own timer around its loop
              cacheLoadSeconds: z.array(nonNegative).max(10_000).optional(), // the peer's compile step on a warm cache
            }),
          )
          .max(100),
      }),
    )
    .min(1)
    .max(100),
});
export type PeersBenchFile = z.infer<typeof peersBenchSchema>;

/** A bench result of any kind the Bench view shows. */
export type AnyBenchFile =
  | { kind: 'suite'; file: BenchFile }
  | { kind: 'sweep'; file: SweepBenchFile }
  | { kind: 'memory'; file: MemoryBenchFile }
  | { kind: 'slurm'; file: SlurmBenchFile }
  | { kind: 'peers'; file: PeersBenchFile };
export type BenchKind = AnyBenchFile['kind'];

/** Each kind: the script that writes it and what it measures, in words (the view's headings and refusals). */
export const BENCH_KINDS: Readonly<Record<BenchKind, { script: string; what: string }>> = {
  suite: { script: 'npm run bench', what: 'engine throughput against fleet count, per backend' },
  sweep: { script: 'npm run bench:sweep', what: 'the sweep’s own cost over the bare engine, per backend' },
  memory: { script: 'npm run bench:memory', what: 'a long sweep’s resident memory' },
  slurm: { script: 'npm run bench:slurm', what: 'Slurm array jobs and fleetsim merge against shard count' },
  peers: { script: 'npm run bench:peers', what: 'whole fleetsim sweep processes against the Numba peer, side by side' },
};

/** The files the view opens, in words: "npm run bench (…), npm run bench:sweep (…), …". */
const SHOWN = Object.values(BENCH_KINDS)
  .map((k) => `${k.script} (${k.what})`)
  .join(', ');

const SCHEMAS = { suite: benchFileSchema, sweep: sweepBenchSchema, memory: memoryBenchSchema, slurm: slurmBenchSchema, peers: peersBenchSchema } as const;

/** At most five problems, one line each, as `path: what is wrong` (paths as a user writes them). */
function problemsOf(issues: readonly z.core.$ZodIssue[]): string {
  const lines = formatIssues(issues).map((line) => line.replace(/^\(the study\)/, '(the file)'));
  const more = lines.length > 5 ? ` (and ${lines.length - 5} more)` : '';
  return `${lines.slice(0, 5).join('; ')}${more}`;
}

function parseJson(text: string): unknown {
  try {
    return parseJsonText(text, 'the file');
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    throw new BenchFileError(`not JSON (${error.problems[0] ?? 'empty'})`);
  }
}

/**
 * The kind of a bench result (JSON already parsed), or a refusal in words: what the file seems to be
 * and what the Bench view shows.
 */
function kindOf(json: unknown): BenchKind {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    const what = json === null ? 'null' : Array.isArray(json) ? 'an array' : `a ${typeof json}`;
    throw new BenchFileError(`not a fleetsim bench result: the file holds ${what}, not an object. The Bench view shows the files of ${SHOWN}.`);
  }
  const o = json as Record<string, unknown>;
  if ('bench' in o) {
    if (o.bench === 'sweep' || o.bench === 'memory' || o.bench === 'slurm' || o.bench === 'peers') return o.bench;
    throw new BenchFileError(
      `this is a ${quote(o.bench)} benchmark file, which this Bench view does not know: it shows the files of ${SHOWN}.`,
    );
  }
  if ('measurements' in o || 'environment' in o) return 'suite';
  if ('cells' in o && 'study' in o)
    throw new BenchFileError(`this is a sweep’s result (summary.json), not a bench result: open it in the Sweep view. The Bench view shows the files of ${SHOWN}.`);
  if ('fleet' in o)
    throw new BenchFileError(`this is a study file, not a bench result: open it in the Sweep view. The Bench view shows the files of ${SHOWN}.`);
  throw new BenchFileError(
    `not a fleetsim bench result: it has neither "measurements" (npm run bench) nor "bench" (the other bench scripts). The Bench view shows the files of ${SHOWN}.`,
  );
}

/** Opens a bench result file of any kind; throws BenchFileError with a refusal or the first problems, in words. */
export function openBenchFile(text: string): AnyBenchFile {
  const json = parseJson(text);
  const kind = kindOf(json);
  const parsed = SCHEMAS[kind].safeParse(json, { reportInput: true });
  if (!parsed.success) {
    throw new BenchFileError(`a file of ${BENCH_KINDS[kind].script} that does not fit: ${problemsOf(parsed.error.issues)}`);
  }
  return { kind, file: parsed.data } as AnyBenchFile;
}

/** Parses a file of `npm run bench` (the suite) only; throws BenchFileError naming the first problems, or what the file is instead. */
export function parseBenchFile(text: string): BenchFile {
  const opened = openBenchFile(text);
  if (opened.kind !== 'suite')
    throw new BenchFileError(`this is a ${BENCH_KINDS[opened.kind].script} file, not one of npm run bench (engine throughput)`);
  return opened.file;
}

export class BenchFileError extends Error {
  override name = 'BenchFileError';
}
