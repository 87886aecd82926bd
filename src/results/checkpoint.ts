/**
 * checkpoint.json: a sweep's resume state (the aggregate and the units done), what `--resume` and
 * `fleetsim merge` read. Written after every batch, so it holds whole batches only. Browser-safe; the
 * files are read and written by src/results/write.ts.
 *
 * @example
 *   const checkpoint = parseCheckpoint(JSON.parse(text), 'out/checkpoint.json');
 */
import { z } from 'zod';
import { InputError } from './errors.js';

export const CHECKPOINT_FORMAT = 'fleetsim-checkpoint/1';

const TimesSchema = z.object({
  engineSeconds: z.number(),
  totalSeconds: z.number(),
  fleetRuns: z.number(),
  runs: z.number(),
  agentSteps: z.number(),
});

const CheckpointSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  studyHash: z.string(),
  seed: z.number(),
  shard: z.object({ index: z.number(), count: z.number() }),
  unitsDone: z.number(),
  unitsTotal: z.number(),
  complete: z.boolean(),
  times: TimesSchema, // seconds and counts over every invocation so far (SweepTimes)
  aggregate: z.unknown(), // SweepAggregate.toJSON()
});

export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** Validates a parsed checkpoint.json; `path` names it in the message. */
export function parseCheckpoint(json: unknown, path: string): Checkpoint {
  const parsed = CheckpointSchema.safeParse(json);
  if (!parsed.success) throw new InputError(`${path}: not a fleetsim checkpoint (corrupt or from another version)`);
  return parsed.data;
}

/** The file's text (compact: it is rewritten after every batch). */
export function checkpointText(checkpoint: Checkpoint): string {
  return JSON.stringify(checkpoint);
}
