/**
 * What a study means, as text: its fields with their defaults filled in, keys sorted, without the
 * fields that change no result (`$schema`, `description`). Two files that mean the same study give the
 * same text, so its SHA-256 (`fleetsim sweep` in Node, the Sweep view in the browser) identifies the
 * study in manifests, checkpoints and merges. Browser-safe: the hashing is left to the caller.
 */
import type { Study } from './schema.js';

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
  const meaning: Partial<Study> = { ...study };
  delete meaning.$schema; // neither changes a result
  delete meaning.description;
  return JSON.stringify(canonical(meaning));
}
