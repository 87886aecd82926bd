/**
 * What a study means, as text: its fields with their defaults filled in, keys sorted, without the
 * fields that change no result (`$schema`, `$comment`, `description`). Two files that mean the same study give the
 * same text, so its SHA-256 (`fleetsim sweep` in Node, the Sweep view in the browser) identifies the
 * study in manifests, checkpoints and merges. Browser-safe: the hashing is left to the caller.
 */
import { DEFAULT_ALLOCATOR, type Study, studyCapacity } from './schema.js';

/**
 * Fields added to the schema after studies were first hashed, left out of the text while they hold
 * their default: every study written before a field existed keeps its hash (and its checkpoints and
 * shards stay resumable and mergeable), and writing the default out changes nothing either.
 */
const LATE_DEFAULTS: readonly { path: readonly string[]; value: unknown }[] = [
  { path: ['fleet', 'random', 'RDividedByN'], value: false },
  { path: ['output', 'arrivalStats'], value: false },
  // The allocator settings of MODEL-PART4 §4.7's policies (src/study/schema.ts DEFAULT_ALLOCATOR).
  { path: ['allocator', 'queueTau'], value: DEFAULT_ALLOCATOR.queueTau },
  { path: ['allocator', 'sliceOverhead'], value: DEFAULT_ALLOCATOR.sliceOverhead },
  { path: ['allocator', 'maxMinFloor'], value: DEFAULT_ALLOCATOR.maxMinFloor },
  // Several GPUs' mode (MODEL-PART4 §4.5): placement unless a pool is asked for.
  { path: ['fleet', 'gpuMode'], value: 'placement' },
];

/** A copy of `x` without the field at `path` when it holds `value`. */
function withoutDefault(x: unknown, path: readonly string[], value: unknown): unknown {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || path.length === 0) return x;
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in x)) return x;
  const copy: Record<string, unknown> = { ...(x as Record<string, unknown>) };
  if (rest.length > 0) copy[head] = withoutDefault(copy[head], rest, value);
  else if (copy[head] === value) delete copy[head];
  return copy;
}

export function studyIdentityText(study: Study): string {
  const canonical = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(canonical)
      : typeof x === 'object' && x !== null
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, canonical((x as Record<string, unknown>)[k])]),
          )
        : x;
  // The capacity as resolved (given, else the fleet's gpus, else 1): a study written before it could be
  // left out keeps its hash, and writing the default out changes nothing.
  const meaning: Partial<Study> = { ...study, capacity: studyCapacity(study) };
  delete meaning.$schema; // neither changes a result
  delete meaning.description;
  delete meaning.$comment;
  const stripped = LATE_DEFAULTS.reduce<unknown>((m, { path, value }) => withoutDefault(m, path, value), meaning);
  return JSON.stringify(canonical(stripped));
}
