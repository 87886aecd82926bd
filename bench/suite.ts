/**
 * `npm run bench`: the benchmark suite (src/bench/suite.ts, also `fleetsim bench`) with its options
 * from the command line.
 *
 *   npm run bench -- [--budget SECONDS] [--repeats N] [--quick] [--out DIR] [--workloads A,B,prefix*]
 */
import { parseArgs } from 'node:util';
import { BENCH_DEFAULTS, runBenchSuite } from '../src/bench/suite.js';

const { values: args } = parseArgs({
  options: {
    budget: { type: 'string', default: String(BENCH_DEFAULTS.budget) },
    repeats: { type: 'string', default: String(BENCH_DEFAULTS.repeats) },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    workloads: { type: 'string' },
  },
});

await runBenchSuite({
  budget: Number(args.budget),
  repeats: Number(args.repeats),
  quick: args.quick,
  out: args.out,
  workloads: args.workloads?.split(',').filter((w) => w !== ''),
});
