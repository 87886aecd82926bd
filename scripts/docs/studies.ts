/**
 * The shipped studies run in memory, as `fleetsim sweep STUDY.json --out DIR` runs them (the same
 * loader, plan, sweep loop and aggregate), without writing the result files: the statistics are those
 * of DIR/summary.json.
 */
import { join } from 'node:path';
import { loadStudy, type StudyOverrides } from '../../src/cli/sweep.js';
import type { Engine } from '../../src/platform/engine.js';
import { packageRoot } from '../../src/platform/node.js';
import { type CellSummary, SweepAggregate } from '../../src/sweep/aggregate.js';
import { planUnits } from '../../src/sweep/plan.js';
import { runSweep } from '../../src/sweep/run.js';
import { axisName } from '../../src/study/schema.js';

/** `sweeps/<name>.json`, run on `engine`, one CellSummary per cell (summary.json's `cells`). */
export async function runStudy(name: string, engine: Engine, overrides: StudyOverrides = {}): Promise<CellSummary[]> {
  const { study, cells } = await loadStudy(join(packageRoot(), 'sweeps', `${name}.json`), overrides);
  const aggregate = new SweepAggregate(study.policies);
  await runSweep({ cells, units: planUnits(cells) }, engine, aggregate);
  return aggregate.summary(cells, study.axes.map(axisName));
}
