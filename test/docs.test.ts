/**
 * `npm run docs:check`'s fast part inside `npm test`: every tagged figure of README.md and docs/*.md
 * against its command (the slow checks, the random-fleets sweep and the queueing runs, are in
 * `npm run docs:check:slow`), and the checker's own rules: an edited figure, an untagged figure
 * region and an extra number each fail.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blankIgnored, compareRegion, fig, figureRegions, input, numbersIn } from '../scripts/docs/figures.js';
import { checkDocs } from '../scripts/docs/run.js';
import { cpuEngine } from '../src/platform/nodeEngine.js';
import type { StatSummary } from '../src/stats/index.js';
import { type Cell, type ExpandedStudy, expandStudy, parseStudyText } from '../src/study/cells.js';
import type { CellSummary } from '../src/sweep/aggregate.js';
import { sweepInMemory } from '../src/sweep/run.js';

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

/**
 * docs/GUIDE.md and docs/METRICS.md: every JSON block is a study `fleetsim validate` accepts, every
 * relative link leads somewhere, and every figure the pages quote is what its command gives (the
 * study run in memory on the CPU engine, as `fleetsim sweep … --backend cpu` runs it).
 */
describe('docs/GUIDE.md and docs/METRICS.md', () => {
  const PAGES = ['docs/GUIDE.md', 'docs/METRICS.md'];
  const text = (file: string): string => readFileSync(file, 'utf8');
  const jsonBlocks = (file: string): string[] => [...text(file).matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  /** A block that is a whole study (it has a name), or the fields of one, written into a minimal study. */
  const asStudy = (block: string): unknown => {
    const json = JSON.parse(block) as Record<string, unknown>;
    return 'name' in json ? json : { name: 'fragment', fleet: { preset: 'paper' }, ...json };
  };
  const guideStudy = (): ExpandedStudy => parseStudyText(jsonBlocks('docs/GUIDE.md')[0]!, 'docs/GUIDE.md');
  const cpu = cpuEngine(2); // the same bits as one thread (test/cpu-workers.test.ts), in half the time
  afterAll(() => cpu.close());
  const sweep = async (expanded: ExpandedStudy, keep: (c: Cell) => boolean = () => true): Promise<CellSummary[]> =>
    (await sweepInMemory({ ...expanded, cells: expanded.cells.filter(keep) }, cpu)).cells;
  const stat = (cell: CellSummary, policy: string, metric = 'avgLatency'): StatSummary =>
    cell.policies.find((p) => p.policy === policy)!.metrics[metric]!;
  const expectQuoted = (file: string, quoted: string): void =>
    expect(text(file).replace(/\s+/g, ' ').includes(quoted), `${file} does not say "${quoted}"`).toBe(true);

  it.each(PAGES)('%s: every JSON block validates as fleetsim validate checks it', (file) => {
    const blocks = jsonBlocks(file);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(() => expandStudy(asStudy(block)), block).not.toThrow();
  });

  it.each(PAGES)('%s: every relative link leads to a file, and every #anchor to one of its headings', (file) => {
    const slugs = (md: string): string[] =>
      [...md.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
          .replace(/ /g, '-'),
      );
    const broken: string[] = [];
    for (const [, target] of text(file).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const linked = path === '' ? file : join(dirname(file), path);
      if (!existsSync(linked)) broken.push(`${target}: no such file`);
      else if (anchor !== undefined && !slugs(text(linked)).includes(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it("GUIDE.md: the example's shares and loads are Algorithm 1's and static's (MODEL.md Part 1)", () => {
    const { agents } = guideStudy().study.fleet as { agents: { name?: string; T: number; R: number; P: number; lambda: number }[] };
    const demand = agents.map((a) => (a.lambda * a.R) / a.P);
    const D = demand.reduce((x, y) => x + y, 0);
    const raised = agents.map((a, i) => Math.max(a.R, demand[i]! / D));
    const total = raised.reduce((x, y) => x + y, 0);
    const adaptive = raised.map((g) => g / total);
    expectQuoted('docs/GUIDE.md', `demands ${demand.map((d) => String(Number(d.toFixed(4)))).join(', ')} (sum ${Number(D.toFixed(4))})`);
    expectQuoted('docs/GUIDE.md', `sum to ${total.toFixed(4)}, so every share is divided by ${total.toFixed(4)}`);
    agents.forEach((a, i) => {
      expectQuoted('docs/GUIDE.md', `| ${a.T} | ${a.R} | ${a.P} | ${a.lambda} |`); // the measurements table
      const row = `| ${a.name} | ${(1 / 6).toFixed(3)} / ${((6 * a.lambda) / a.T).toFixed(2)} | ${adaptive[i]!.toFixed(3)} / ${(a.lambda / (a.T * adaptive[i]!)).toFixed(2)} |`;
      expectQuoted('docs/GUIDE.md', row);
    });
    const rho = agents.reduce((s, a) => s + a.lambda / a.T, 0);
    expectQuoted('docs/GUIDE.md', `only ${(1.5 * rho).toFixed(2)}`);
    const capacity = agents.reduce((s, a, i) => s + a.T * adaptive[i]!, 0);
    expectQuoted('docs/GUIDE.md', `Σ T_i·ḡ_i = ${capacity.toFixed(2)} requests/s`);
  });

  it('GUIDE.md: the worked example gives the figures the guide quotes, at 600 s and 1,200 s recorded', async () => {
    const short = await sweep(guideStudy());
    const longJson = { ...(JSON.parse(jsonBlocks('docs/GUIDE.md')[0]!) as object), steps: 16000 };
    const long = await sweep(expandStudy(longJson));
    const row = (cells: CellSummary[], i: number, digits: number[]): string =>
      ['static', 'roundRobin', 'adaptive'].map((p, k) => stat(cells[i]!, p).mean.toFixed(digits[k])).join(' | ');
    expectQuoted('docs/GUIDE.md', `| \`loadScale\` 1, 600 s recorded | ${row(short, 1, [3, 3, 2])} |`);
    expectQuoted('docs/GUIDE.md', `| \`loadScale\` 1, 1,200 s recorded | ${row(long, 1, [3, 3, 2])} |`);
    expectQuoted('docs/GUIDE.md', `| \`loadScale\` 1.5, 600 s recorded | ${row(short, 2, [2, 2, 1])} |`);
    expectQuoted('docs/GUIDE.md', `| \`loadScale\` 1.5, 1,200 s recorded | ${row(long, 2, [2, 2, 1])} |`);
    const ci = (s: StatSummary): string => `${s.mean.toFixed(3)} s, 95 % CI ${s.ci95[0]!.toFixed(3)}–${s.ci95[1]!.toFixed(3)}`;
    const [a, b] = [stat(short[1]!, 'static'), stat(long[1]!, 'static')];
    expectQuoted('docs/GUIDE.md', `(${ci(a)}, against ${b.mean.toFixed(3)} s, ${b.ci95[0]!.toFixed(3)}–${b.ci95[1]!.toFixed(3)})`);
    expectQuoted('docs/GUIDE.md', `${ci(a)}, a half-width of ${((a.ci95[1]! - a.ci95[0]!) / 2).toFixed(3)} s`);
    expectQuoted('docs/GUIDE.md', `pilot's standard deviation (${a.std!.toFixed(3)} s)`);
    expectQuoted(
      'docs/GUIDE.md',
      `(${stat(short[1]!, 'static').mean.toFixed(3)} s at 1, against ${stat(short[1]!, 'roundRobin').mean.toFixed(3)} s`,
    );
    expectQuoted('docs/GUIDE.md', `= ${stat(short[1]!, 'adaptive', 'capacityThroughput').mean.toFixed(2)} requests/s, agrees`);
  }, 60_000);

  it('GUIDE.md: 200 and 330 replicates give the half-widths the guide quotes', async () => {
    const at = async (replicates: number): Promise<StatSummary> => {
      const json = { ...(JSON.parse(jsonBlocks('docs/GUIDE.md')[0]!) as object), replicates };
      return stat((await sweep(expandStudy(json), (c) => c.values[0] === 1))[0]!, 'static');
    };
    const [r200, r330] = [await at(200), await at(330)];
    const half = (s: StatSummary): number => (s.ci95[1]! - s.ci95[0]!) / 2;
    expectQuoted('docs/GUIDE.md', `With \`"replicates": 200\` the half-width is ${half(r200).toFixed(3)} s`);
    expectQuoted('docs/GUIDE.md', `200 runs put it at ${r200.std!.toFixed(3)} s`);
    expectQuoted('docs/GUIDE.md', `the interval is ${r330.ci95[0]!.toFixed(3)}–${r330.ci95[1]!.toFixed(3)}, ±${half(r330).toFixed(3)} s`);
  }, 120_000);

  it("METRICS.md: round-robin's latency is L_max·5/6 in every run; static and adaptive read 0 s", async () => {
    const [block] = jsonBlocks('docs/METRICS.md');
    const cells = await sweep(parseStudyText(block!, 'docs/METRICS.md'));
    for (const [cell, lmax] of cells.map((c) => [c, c.values.lmax as number] as const)) {
      const rr = stat(cell, 'roundRobin');
      expect(rr.mean).toBeCloseTo((lmax * 5) / 6, 9);
      expect(rr.std).toBeCloseTo(0, 9);
      expect(stat(cell, 'static').max).toBe(0);
      expect(stat(cell, 'adaptive').max).toBe(0);
    }
    expectQuoted('docs/METRICS.md', 'exactly 50 s at L_max = 60 and 832.5 s at 999 (999·5/6)');
  });
});
