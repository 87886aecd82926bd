/**
 * `npm run fuzz`: a long fuzz campaign (test/fuzz.test.ts in collect mode) with a random seed, printed
 * first so that any finding can be replayed: every case runs, violations are grouped by class, and one
 * representative of each is reported (also written to test-artifacts/fuzz-report.md, or the file given).
 *
 *   node dist/scripts/fuzz.js [--runs N] [--seed S] [--report FILE]
 *
 * Replay a campaign's cases with FLEETSIM_FUZZ_SEED=S FLEETSIM_FUZZ_RUNS=N npx vitest run test/fuzz.test.ts
 * (add FLEETSIM_FUZZ_MODE=collect for the grouped report instead of the first shrunk counterexample).
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { packageRoot } from '../src/platform/node.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const seed = arg('--seed') ?? String(randomInt(0, 2 ** 31));
const runs = arg('--runs') ?? '1000';
const report = resolve(arg('--report') ?? 'test-artifacts/fuzz-report.md');
mkdirSync(dirname(report), { recursive: true });
console.log(`fleetsim fuzz campaign: seed ${seed}, ${runs} study cases (+ command lines and processes), report ${report}`);
const started = performance.now();
const result = spawnSync('npx', ['vitest', 'run', 'test/fuzz.test.ts'], {
  cwd: packageRoot(),
  stdio: 'inherit',
  env: {
    ...process.env,
    FLEETSIM_FUZZ_SEED: seed,
    FLEETSIM_FUZZ_RUNS: runs,
    FLEETSIM_FUZZ_MODE: 'collect',
    FLEETSIM_FUZZ_REPORT: report,
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
  },
});
console.log(`fleetsim fuzz campaign: seed ${seed}, ${runs} runs, ${Math.round((performance.now() - started) / 1000)} s; report ${report}`);
process.exitCode = result.status ?? 1;
