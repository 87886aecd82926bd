/**
 * manifest.json: what a sweep directory holds and how it was made: the study (defaults filled in), its
 * hash and seed, fleetsim's version, the engines that ran it, the shard, the counts and the times.
 * Written first (complete: false) and again last. Browser-safe: the caller supplies the version and
 * runtime; src/results/write.ts writes the file.
 *
 * @example
 *   const text = manifestText(sweepManifest({ loaded, studyFile, engines, shard, counts, times, complete: true, runtime }));
 */
import { z } from 'zod';
import type { Study } from '../study/schema.js';
import type { Shard } from '../sweep/plan.js';
import type { SweepTimes } from '../sweep/run.js';
import { InputError } from './errors.js';
import { displayPath } from '../text/quote.js';

export const MANIFEST_FORMAT = 'fleetsim-manifest/1';

/** An engine that ran (part of) the sweep: src/platform/engine.ts's name and adapter. */
export interface ManifestEngine {
  name: string;
  adapter: string | null;
}

export interface ManifestFields {
  loaded: { study: Study; hash: string };
  studyFile: string;
  engines: readonly ManifestEngine[];
  shard: Shard;
  counts: Record<string, number>;
  times: SweepTimes;
  complete: boolean;
  /** fleetsim's version and the JavaScript runtime's (Node's process.version). */
  runtime: { fleetsim: string; node: string };
}

/** The manifest object, fields in the file's order. */
export function sweepManifest(f: ManifestFields): object {
  return {
    format: MANIFEST_FORMAT,
    fleetsim: f.runtime.fleetsim,
    createdAt: new Date().toISOString(),
    studyFile: f.studyFile,
    studyHash: f.loaded.hash,
    seed: f.loaded.study.seed,
    study: f.loaded.study,
    backends: f.engines,
    shard: f.shard,
    complete: f.complete,
    counts: f.counts,
    wallSeconds: f.times.totalSeconds,
    engineSeconds: f.times.engineSeconds,
    node: f.runtime.node,
  };
}

export function manifestText(manifest: object): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** What `fleetsim merge` reads back: the engines and the study (checked again by the study schema). */
const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  studyHash: z.string(),
  seed: z.number(),
  shard: z.object({ index: z.int().nonnegative(), count: z.int().positive() }),
  backends: z.array(z.object({ name: z.string(), adapter: z.string().nullable() })).default([]),
  study: z.unknown(),
});

export type ManifestRead = z.infer<typeof ManifestSchema>;

/** Validates a parsed manifest.json; `path` names it in the message. */
export function parseManifest(json: unknown, path: string): ManifestRead {
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new InputError(`${displayPath(path)}: not a fleetsim manifest (corrupt or from another version${where ? `: ${where}` : ''})`);
  }
  return parsed.data;
}
