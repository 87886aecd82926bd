/**
 * checkpoint.json: a sweep's resume state (the aggregate and the units done), what `--resume` and
 * `fleetsim merge` read. Written after every batch, so it holds whole batches only. Every field is
 * checked on reading (integers, ranges, unitsDone ≤ unitsTotal, complete exactly when every unit is
 * done, the aggregate's shape): a broken file is refused naming the file and the field, never trusted
 * (a negative unitsDone would count cells twice). Browser-safe; src/results/write.ts reads and writes
 * the file.
 *
 * @example
 *   const checkpoint = parseCheckpoint(parseJsonText(text, path), 'out/checkpoint.json');
 */
import { z } from 'zod';
import { formatIssues } from '../study/problems.js';
import { SweepAggregate } from '../sweep/aggregate.js';
import { displayPath, quote } from '../text/quote.js';
import { InputError } from './errors.js';

/**
 * Version 2: the aggregate holds the paired differences of the verdicts (and the per-agent
 * statistics); a version-1 checkpoint lacks them, and is refused in words (see parseCheckpoint).
 * Version 3: Poisson arrivals at a fixed mean are drawn by table inversion (src/random/poissonTable.ts),
 * other variates than version 2's for the same seed, so a version-2 sweep cannot be resumed by this one.
 * Version 4: the aggregate holds the run metrics of MODEL-PART4 §4.7 (backlogGpuSeconds …
 * worstAgentLatency, src/model/metrics.ts) and their paired differences; a version-3 aggregate lacks
 * their accumulators, so its sweep cannot be resumed or merged into this version's.
 * Version 5: e2eLatency (workflows, MODEL-PART4 §4.6) is a verdict metric: the aggregate holds its
 * paired differences, which a version-4 aggregate lacks.
 * Version 6: the lifecycle's run metrics (MODEL-PART4 §4.3–4.4). Version 7: the per-GPU run metrics
 * (gpuImbalance, gpuUtilizationMin/Max, MODEL-PART4 §4.5), whose accumulators a version-6 aggregate lacks.
 */
export const CHECKPOINT_FORMAT = 'fleetsim-checkpoint/7';
const CHECKPOINT_FAMILY = 'fleetsim-checkpoint/';

const count = z.int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const seconds = z.number().nonnegative();

const TimesSchema = z.strictObject({
  engineSeconds: seconds,
  totalSeconds: seconds,
  fleetRuns: count,
  runs: count,
  agentSteps: count,
});

/** SweepAggregate.toJSON()'s outer shape; the accumulators inside check themselves (src/stats). */
const AggregateSchema = z.object({
  policies: z.array(z.string()).min(1).max(16),
  cells: z.array(
    z.object({
      cell: count,
      fleetRuns: count,
      policies: z.record(z.string(), z.unknown()),
      pairs: z.record(z.string(), z.unknown()),
      diffs: z.record(z.string(), z.unknown()),
      // The per-agent statistics of a fixed fleet's cell (SweepAggregate.fromJSON checks them); listed,
      // or z.object would strip them and a resumed or merged sweep would lose them.
      agents: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

const CheckpointSchema = z.strictObject({
    format: z.literal(CHECKPOINT_FORMAT),
    studyHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex'),
    seed: z.int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    shard: z.strictObject({ index: count, count: z.int().min(1).max(100_000) }),
    unitsDone: count,
    unitsTotal: count,
    complete: z.boolean(),
    times: TimesSchema, // seconds and counts over every invocation so far (SweepTimes)
    aggregate: AggregateSchema, // SweepAggregate.toJSON()
  });

export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** The first problems of a zod result as one line: `path: field: problem; …`. */
function refusal(path: string, issues: readonly z.core.$ZodIssue[]): InputError {
  const lines = formatIssues(issues);
  const shown = lines.slice(0, 3).join('; ');
  return new InputError(
    `${displayPath(path)}: not a valid fleetsim checkpoint (corrupt or from another version): ${shown}${lines.length > 3 ? ` (and ${lines.length - 3} more)` : ''}`,
  );
}

/** Validates a parsed checkpoint.json; `path` names it in the message. */
export function parseCheckpoint(json: unknown, path: string): Checkpoint {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new InputError(`${displayPath(path)}: not a fleetsim checkpoint (the document is ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}, not an object)`);
  const format = (json as { format?: unknown }).format;
  if (typeof format === 'string' && format.startsWith(CHECKPOINT_FAMILY) && format !== CHECKPOINT_FORMAT)
    throw new InputError(
      `${displayPath(path)}: a checkpoint of another fleetsim version (${quote(format, 40)}; this version reads ${CHECKPOINT_FORMAT}): it cannot be resumed or merged here; finish it with the version that started it, or run the sweep again in another directory`,
    );
  const parsed = CheckpointSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) throw refusal(path, parsed.error.issues);
  const c = parsed.data;
  const problems: string[] = [];
  if (c.shard.index >= c.shard.count) problems.push(`shard.index: must be below shard.count (${c.shard.count}), got ${c.shard.index}`);
  if (c.unitsDone > c.unitsTotal) problems.push(`unitsDone: must be at most unitsTotal (${c.unitsTotal}), got ${c.unitsDone}`);
  if (c.complete !== (c.unitsDone === c.unitsTotal))
    problems.push(`complete: must be ${c.unitsDone === c.unitsTotal} when ${c.unitsDone} of ${c.unitsTotal} units are done`);
  const fleetRuns = c.aggregate.cells.reduce((n, cell) => n + cell.fleetRuns, 0);
  if (fleetRuns !== c.times.fleetRuns)
    problems.push(`times.fleetRuns: must equal the aggregate's fleet runs (${fleetRuns}), got ${c.times.fleetRuns}`);
  if (problems.length > 0) throw new InputError(`${displayPath(path)}: not a valid fleetsim checkpoint: ${problems.join('; ')}`);
  return c;
}

/** The checkpoint's aggregate, rebuilt and checked (every accumulator); InputError naming the file. */
export function checkpointAggregate(checkpoint: Checkpoint, path: string): SweepAggregate {
  try {
    return SweepAggregate.fromJSON(checkpoint.aggregate);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new InputError(`${displayPath(path)}: aggregate: ${why.split('\n')[0]!.slice(0, 200)} (the checkpoint is corrupt; start again in another directory)`);
  }
}

/** The file's text (compact: it is rewritten after every batch). */
export function checkpointText(checkpoint: Checkpoint): string {
  return JSON.stringify(checkpoint);
}
