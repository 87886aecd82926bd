/**
 * `npm run docs:check` (fast checks) and `npm run docs:check:slow` (all of them): every figure that
 * README.md and docs/*.md quote is tagged with the check that re-runs its command, and compared at the
 * precision printed (scripts/docs/figures.ts has the rules, scripts/docs/checks.ts the commands).
 *
 *   node dist/scripts/docs-check.js [--slow] [--only ID,ID] [--list]
 */
import { CHECKS } from './docs/checks.js';
import { checkDocs } from './docs/run.js';

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const [id, c] of Object.entries(CHECKS)) console.log(`${id}${c.slow ? ' (slow)' : ''}: ${c.command}`);
  process.exit(0);
}
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : undefined;
const started = performance.now();
const report = await checkDocs({ slow: args.includes('--slow'), ...(only ? { only } : {}), log: (line) => console.log(line) });
for (const s of report.skipped) console.log(`${s.file}:${s.line} ${s.id}: skipped, ${s.why}`);
for (const u of report.unsourced) console.log(`${u.file} ${u.id}: UNSOURCED figure ${u.value}: ${u.why}`);
for (const m of report.mismatches) console.error(`${m.file}:${m.line}: ${m.message}`);
const numbers = report.checked.reduce((n, c) => n + c.numbers, 0);
console.log(
  `docs:check: ${report.checked.length} regions, ${numbers} numbers checked, ${report.skipped.length} skipped, ${report.unsourced.length} unsourced, ${report.mismatches.length} failures in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exitCode = report.mismatches.length === 0 ? 0 : 1;
