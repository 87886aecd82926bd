/**
 * The benchmark's result file, `bench/results/<date>-<host>.json`, written by `npm run bench`
 * (src/bench/suite.ts) and read by the page's Bench view. The schema is the contract between the two:
 * the suite's output is checked against the type at compile time, the page checks files against the
 * schema at run time (and names the first fields that do not fit).
 */
import { z } from 'zod';
import { JsonTextError, parseJsonText } from '../text/json.js';

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

/** Parses a bench result file's text; throws BenchFileError naming the first problems. */
export function parseBenchFile(text: string): BenchFile {
  let json: unknown;
  try {
    json = parseJsonText(text, 'the file');
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    throw new BenchFileError(`not JSON (${error.problems[0] ?? 'empty'})`);
  }
  const parsed = benchFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : '';
    throw new BenchFileError(`not a fleetsim bench result: ${problems.join('; ')}${more}`);
  }
  return parsed.data;
}

export class BenchFileError extends Error {
  override name = 'BenchFileError';
}
