/**
 * The shipped studies run in memory, as `fleetsim sweep STUDY.json --out DIR` runs them (the same
 * loader, plan, sweep loop and aggregate), without writing the result files: the statistics are those
 * of DIR/summary.json.
 */
import { join } from 'node:path';
import { loadStudy, type StudyOverrides } from '../../src/cli/sweep.js';
import type { Engine } from '../../src/platform/engine.js';
import { packageRoot } from '../../src/platform/node.js';
import type { CellSummary } from '../../src/sweep/aggregate.js';
import { sweepInMemory } from '../../src/sweep/run.js';

/** `sweeps/<name>.json`, run on `engine`, one CellSummary per cell (summary.json's `cells`). */
export async function runStudy(name: string, engine: Engine, overrides: StudyOverrides = {}): Promise<CellSummary[]> {
  const loaded = await loadStudy(join(packageRoot(), 'sweeps', `${name}.json`), overrides);
  return (await sweepInMemory(loaded, engine)).cells;
}
