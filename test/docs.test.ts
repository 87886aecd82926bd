/**
 * `npm run docs:check`'s fast part inside `npm test`: every tagged figure of README.md and docs/*.md
 * against its command (the slow checks, the random-fleets sweep and the queueing runs, are in
 * `npm run docs:check:slow`), and the checker's own rules: an edited figure, an untagged figure
 * region and an extra number each fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blankIgnored, compareRegion, fig, figureRegions, input, numbersIn } from '../scripts/docs/figures.js';
import { checkDocs } from '../scripts/docs/run.js';

const readme = readFileSync('README.md', 'utf8');

describe('docs:check', () => {
  it('every figure of README.md and docs/ matches its command (fast checks)', async () => {
    const report = await checkDocs({ slow: false });
    expect(report.mismatches).toEqual([]);
    expect(report.checked.length).toBeGreaterThan(20);
  });

  it('fails when a figure of Table II is edited by hand', async () => {
    const edited = readme.replace('| avgLatency (s), fleetsim | 110.258 |', '| avgLatency (s), fleetsim | 110.259 |');
    expect(edited).not.toBe(readme);
    const report = await checkDocs({ slow: false, texts: { 'README.md': edited }, only: ['paper-table-ii'] });
    expect(report.mismatches.map((m) => m.message)).toEqual([
      expect.stringMatching(/^check paper-table-ii: number 4 is printed 110\.259, its command gives 110\.2583+\d* \(tolerance ±0\.0005\)$/),
    ]);
  });

  it('fails when a figure has no tag, or a tagged region gains a number', async () => {
    const untagged = readme.replace('<!-- check: montecarlo-table -->\n', '');
    const report = await checkDocs({ slow: false, texts: { 'README.md': untagged }, only: [] });
    expect(report.mismatches.map((m) => m.message)).toEqual([
      expect.stringMatching(/^a table of figures \(16\.54 0\.24 .*has no <!-- check: ID --> tag$/),
    ]);

    const extra = readme.replace('| static | 16.54 ± 0.24 | 62.67 | 0.577 |', '| static | 16.54 ± 0.24 | 62.67 | 0.577 (0.58) |');
    const [region] = figureRegions('README.md', extra).filter((r) => r.id === 'montecarlo-table');
    expect(
      compareRegion(
        region!,
        Array.from({ length: 12 }, () => fig(0)),
      )[0]!.message,
    ).toMatch(/shows 13 numbers, its command gives 12/);
  });

  it('reads numbers as printed: signs, thousands, powers, code spans and dates left out', () => {
    const got = numbersIn(
      blankIgnored('−0.43 % and -35.1, 1,411 s (121–2,702), 10^5 fleets, `npm run bench -- 10` 2026-11-21 14:20, SHA-256'),
      1,
    );
    expect(got.map((n) => [n.value, n.halfUnit])).toEqual([
      [-0.43, 0.005],
      [-35.1, 0.05],
      [1411, 0.5],
      [121, 0.5],
      [2702, 0.5],
      [1e5, 0],
    ]);
    const region = { file: 'x.md', id: 'x', line: 1, kind: 'prose' as const, numbers: numbersIn('755.562 and 2.4', 1) };
    expect(compareRegion(region, [fig(755.5625), input(2.35)])).toEqual([]); // half a unit, inclusive
    expect(compareRegion(region, [fig(755.5626), input(2.35)])).toHaveLength(1);
  });
});

describe('docs/SWEEPS.md: the Slurm job scripts', () => {
  it('shows every file of docs/examples/slurm/ exactly as it is (test/slurm.test.ts runs the files)', () => {
    const sweeps = readFileSync('docs/SWEEPS.md', 'utf8');
    const files = readdirSync('docs/examples/slurm').sort();
    expect(files).toEqual(['merge.sbatch', 'submit.sh', 'sweep-array.sbatch']);
    for (const file of files) {
      const block = `\`docs/examples/slurm/${file}\`:\n\n\`\`\`bash\n${readFileSync(`docs/examples/slurm/${file}`, 'utf8')}\`\`\`\n`;
      expect(sweeps.includes(block), `docs/SWEEPS.md does not show docs/examples/slurm/${file} as it is`).toBe(true);
    }
  });
});
