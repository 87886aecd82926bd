/**
 * The page against hostile and careless input (issue 15, the page's side): a study's size is checked
 * before its grid is expanded (no frozen tab); axis paths through `__proto__` are refused and leave
 * Object.prototype alone, so the next study works; every JSON the page reads is strict (a byte-order
 * mark dropped, deep nesting and duplicate keys refused); messages are text, with echoed values quoted
 * and cut; files opened together must be of one sweep, and each file's fate is shown (opened, ignored
 * because …, refused because …); a bug is shown as an internal error, not as a problem of the file.
 * The pure half runs in Node; the browser half drives Chromium once, with screenshots in
 * test-artifacts/screenshots/hostile-*.png.
 */
import { tableToIPC } from 'apache-arrow';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { cellsCsv } from '../src/results/cellsCsv.js';
import { fleetRowsTable, parseFleetArrow } from '../src/results/fleetRows.js';
import { MANIFEST_FORMAT } from '../src/results/manifest.js';
import { type SummaryTable, summaryTable } from '../src/results/tables.js';
import { parseStudyText, StudyError } from '../src/study/cells.js';
import { axisLabels, axisName } from '../src/study/schema.js';
import { SweepAggregate } from '../src/sweep/aggregate.js';
import { planUnits } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/run.js';
import { internalError } from '../web/lib/problems.js';
import { rowsMismatch, tableMismatch } from '../web/views/sweep/belong.js';
import { openFiles } from '../web/views/sweep/open.js';
import { PAGE_MAX_CELLS, pageStudy, studyHash, studyProblems } from '../web/views/sweep/studyText.js';
import { closeSite, settled, startSite, type Site } from './helpers/site.js';

const STUDY = {
  name: 'hostile',
  seed: 3,
  fleet: { random: { agents: 3, T: { kind: 'logUniform', min: 20, max: 200 }, R: 0.1, P: 1, load: 1 } },
  steps: 20,
  samples: 6,
  axes: [{ path: 'fleet.random.load', values: [0.5, 1.5] }],
  output: { fleetRows: true },
};

interface SweepFiles {
  table: SummaryTable;
  summary: string;
  csv: string;
  arrows: Uint8Array[];
}

/** A small sweep's files, made the CLI's way on the CPU engine. */
async function sweepFiles(json: object): Promise<SweepFiles> {
  const { study, cells } = parseStudyText(JSON.stringify(json), 'study.json');
  const aggregate = new SweepAggregate(study.policies);
  const cellMap = new Map(cells.map((c) => [c.index, c]));
  const axes = study.axes.map(axisName);
  const arrows: Uint8Array[] = [];
  await runSweep({ cells, units: planUnits(cells) }, { run: (b) => Promise.resolve(runBatchCpu(b)) }, aggregate, {
    batchAgentRuns: 60,
    afterBatch: (done) => void arrows.push(tableToIPC(fleetRowsTable(done, cellMap, axes), 'file')),
  });
  const meta = {
    name: study.name,
    studyHash: await studyHash(study),
    seed: study.seed,
    axes: study.axes.map((a) => ({ name: axisName(a), values: axisLabels(a) })),
    policies: study.policies,
  };
  const table = summaryTable(meta, aggregate.summary(cells, axes));
  return { table, summary: `${JSON.stringify(table, null, 2)}\n`, csv: cellsCsv(table), arrows };
}

let good: SweepFiles;
let other: SweepFiles; // the same grid, another seed: another sweep that looks alike

beforeAll(async () => {
  good = await sweepFiles(STUDY);
  other = await sweepFiles({ ...STUDY, seed: 4 });
  expect(good.arrows.length).toBeGreaterThan(1);
});

/** The problems of a study the page refuses (StudyError), or [] when it is accepted. */
function problems(text: string): string[] {
  try {
    pageStudy(text);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(StudyError);
    return [...(error as StudyError).problems];
  }
}

const values = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('the study editor, in Node', () => {
  it('checks the size before expanding the grid: large grids and sample counts are refused at once', () => {
    const started = performance.now();
    // 10,000 lmax values took 29 s to expand; 1,000,000 cells would never finish
    // (5,000: 10,000 cells of three policies would need a summary.json past V8's longest string, the study's own refusal)
    expect(problems(JSON.stringify({ ...STUDY, axes: [{ path: 'lmax', values: values(5_000) }] }))).toEqual([
      `axes: the grid has 5,000 cells; the page runs at most ${PAGE_MAX_CELLS.toLocaleString('en')} (fewer axis values, or run it with \`fleetsim sweep\`)`,
    ]);
    const grid = {
      ...STUDY,
      axes: [
        { path: 'lmax', values: values(1000) },
        { path: 'capacity', values: values(1000) },
      ],
    };
    expect(problems(JSON.stringify(grid))[0]).toBe('axes: 1000000 cells; at most 100000'); // the study's own limit (src/study/size.ts) comes first
    // 10^8 units would exhaust the tab's memory: the study's unit limit refuses them before planning
    expect(problems(JSON.stringify({ ...STUDY, samples: 100_000_000, replicates: 20_000 }))[0]).toMatch(
      /^samples: .* units of work .*; at most 1000000$/,
    );
    // within the study's limits, beyond the page's work limit
    expect(problems(JSON.stringify({ ...STUDY, samples: 1_000_000, replicates: 100 }))[0]).toMatch(
      /^samples: the study needs up to .* agent-steps .*the page runs at most 2e\+10/,
    );
    // a long study over a grid the page allows: the expansion's copying is bounded too
    const long = { ...STUDY, description: 'x'.repeat(400_000), axes: [{ path: 'lmax', values: values(1500) }] };
    expect(problems(JSON.stringify(long))[0]).toMatch(
      /^axes: expanding 1,500 cell\(s\) of a study of .* is more work than the page starts/,
    );
    expect(performance.now() - started).toBeLessThan(5_000); // generous: each refusal is O(axes)
  });

  it('refuses axis paths through __proto__ before expanding, and Object.prototype stays clean', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const path = problems(JSON.stringify({ ...STUDY, axes: [{ path: 'fleet.__proto__.agents', values: [1, 2] }] }));
    expect(path).toEqual(['axes[0].path: fleet.__proto__ is not a study field']);
    const variant = problems(
      JSON.stringify({
        ...STUDY,
        axes: [{ name: 'v', variants: [{ label: 'a', set: { '__proto__.polluted': 1, 'constructor.prototype.x': 2 } }] }],
      }),
    );
    expect(variant).toHaveLength(2);
    expect(variant[0]).toBe('axes[0].variants[0] ("a").set["__proto__.polluted"]: __proto__ is not a study field');
    // a "__proto__" key in the JSON is a key like any other: refused as an unknown field
    expect(problems(`{"__proto__": {"polluted": 1}, ${JSON.stringify(STUDY).slice(1)}`).join('\n')).toMatch(/__proto__/);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted ?? ({} as Record<string, unknown>).agents).toBeUndefined();
    expect(problems(JSON.stringify(STUDY))).toEqual([]); // and the next study is fine
  });

  it('reads strict JSON: a byte-order mark is dropped; deep nesting and duplicate keys are problems on their lines', () => {
    expect(problems(`\uFEFF${JSON.stringify(STUDY, null, 2)}`)).toEqual([]);
    expect(problems(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toEqual([
      'study: nested deeper than 64 levels of objects and arrays (not a file fleetsim writes or reads)',
    ]);
    const text = '{\n  "name": "a",\n  "fleet": {"preset": "paper"},\n  "name": "b"\n}';
    const error = new StudyError(problems(text));
    expect(error.problems[0]).toMatch(/^study: line 4, column 3: the key "name" appears twice in one object$/);
    expect(studyProblems(text, error)[0]!.line).toBe(4);
    const syntax = '{\n  "name": "a",\n  "steps": 10,,\n}';
    expect(studyProblems(syntax, new StudyError(problems(syntax)))[0]!.line).toBe(3);
    // a BOM-prefixed study's problems are still on their lines
    const bom = `\uFEFF${JSON.stringify({ ...STUDY, steps: -1 }, null, 2)}`;
    const at = studyProblems(bom, new StudyError(problems(bom))).find((p) => p.text.startsWith('steps:'))!;
    expect(bom.split('\n')[at.line! - 1]).toContain('"steps": -1');
  });

  it('echoes a hostile path quoted, escaped and cut', () => {
    const path = `fleet.__proto__.${'\u001b[2J'}${'a'.repeat(500)}`;
    const [line] = problems(JSON.stringify({ ...STUDY, axes: [{ path, values: [1] }] }));
    expect(line).toMatch(/\\u001b\[2J/);
    expect(line).not.toMatch(/[\u0000-\u001f]/); // eslint-disable-line no-control-regex
    expect(line).toMatch(/… \(520 characters\)/);
  });
});

const file = (name: string, content: string | Uint8Array): File =>
  new File([typeof content === 'string' ? content : Uint8Array.from(content)], name);

describe('opening files, in Node', () => {
  it('a garbage cells.csv beside a good summary.json is refused, not reported as opened', async () => {
    const opened = await openFiles([file('summary.json', good.summary), file('cells.csv', 'garbage,\n1,2\n')], null);
    expect(opened.loaded?.table.study).toBe('hostile');
    expect(opened.files.map((f) => [f.name, f.fate])).toEqual([
      ['summary.json', 'opened'],
      ['cells.csv', 'refused'],
    ]);
    expect(opened.errors[0]).toMatch(/^cells\.csv: not a fleetsim cells\.csv/);
    // its own cells.csv is the same table: ignored, and said so
    const same = await openFiles([file('cells.csv', good.csv), file('summary.json', good.summary)], null);
    expect(same.files.map((f) => [f.name, f.fate, f.why])).toEqual([
      ['cells.csv', 'ignored', 'the same table as summary.json, which is shown'],
      ['summary.json', 'opened', 'shown'],
    ]);
    // another sweep's cells.csv (same grid, another seed) is refused
    const mixed = await openFiles([file('summary.json', good.summary), file('cells.csv', other.csv)], null);
    expect(mixed.files[1]!.fate).toBe('refused');
    expect(mixed.files[1]!.why).toMatch(/^another sweep: cell 0, .*mean/);
  });

  it('Arrow files of another sweep do not attach to the summary shown, and a manifest of another study is refused', async () => {
    const arrows = other.arrows.map((bytes, i) => file(`unit-${i}.arrow`, bytes));
    const together = await openFiles([file('summary.json', good.summary), ...arrows], null);
    expect(together.loaded?.rows).toBeNull();
    expect(
      together.files.slice(1).every((f) => f.fate === 'refused' && /^not the per-fleet rows of summary\.json: another sweep/.test(f.why)),
    ).toBe(true);
    // opened after the summary: they are a result of their own, said so
    const shown = together.loaded!;
    const after = await openFiles(arrows, shown);
    expect(after.loaded?.sources).toEqual([`${arrows.length} Arrow files`]);
    expect(after.files[0]!.why).toMatch(/^shown as a result of their own: not the per-fleet rows of summary\.json/);
    // the sweep's own rows attach
    const own = await openFiles(
      good.arrows.map((bytes, i) => file(`unit-${i}.arrow`, bytes)),
      shown,
    );
    expect(own.loaded?.table).toBe(shown.table);
    expect(own.files.every((f) => f.fate === 'opened' && /per-fleet rows of summary\.json/.test(f.why))).toBe(true);
    // manifest.json: its study hash must be the summary's
    const manifest = (hash: string) => file('manifest.json', JSON.stringify({ format: MANIFEST_FORMAT, studyHash: hash }));
    const foreign = await openFiles([file('summary.json', good.summary), manifest(other.table.studyHash.replace(/^./, 'x'))], null);
    expect([foreign.files[1]!.fate, foreign.files[1]!.why]).toEqual([
      'refused',
      expect.stringMatching(/^another study \(study hash/) as string,
    ]);
    const mine = await openFiles([file('summary.json', good.summary), manifest(good.table.studyHash)], null);
    expect([mine.files[1]!.fate, mine.files[1]!.why]).toEqual(['ignored', expect.stringMatching(/the same sweep/) as string]);
    expect(mine.errors).toEqual([]);
  });

  it('the checks in belong.ts: same table, rows of the table, and why not', () => {
    expect(tableMismatch(good.table, 'summary.json', good.table)).toBeNull();
    expect(tableMismatch(good.table, 'summary.json', other.table)).toMatch(/^another study/);
    const rows = parseFleetArrow(good.arrows[0]!, 'unit-0.arrow');
    expect(rowsMismatch(good.table, rows, 'summary.json')).toBeNull();
    // Arrow files written since the hash is in their metadata: matched by it first
    expect(rowsMismatch(good.table, { ...rows, studyHash: good.table.studyHash }, 'summary.json')).toBeNull();
    expect(rowsMismatch(good.table, { ...rows, studyHash: other.table.studyHash }, 'summary.json')).toMatch(/^another study \(study hash/);
    const renamed = { ...rows, axes: rows.axes.map((a) => ({ ...a, name: 'lmax' })) };
    expect(rowsMismatch(good.table, renamed, 'summary.json')).toMatch(/^another sweep: its axes are "lmax"/);
  });

  it('strict JSON for summary.json: a byte-order mark is fine, duplicate keys and deep nesting are refused', async () => {
    expect((await openFiles([file('summary.json', `\uFEFF${good.summary}`)], null)).loaded?.table.study).toBe('hostile');
    const twice = good.summary.replace('"seed": 3,', '"seed": 3,\n  "seed": 4,');
    const refused = await openFiles([file('summary.json', twice)], null);
    expect(refused.errors).toEqual(['summary.json: line 6, column 3: the key "seed" appears twice in one object']);
    const deep = await openFiles([file('summary.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`)], null);
    expect(deep.errors[0]).toMatch(/^summary\.json: nested deeper than 64 levels/);
    // a file name with control characters is quoted in the message
    const named = await openFiles([file('a\u001b[2J.json', 'nope')], null);
    expect(named.errors[0]).toMatch(/^"a\\u001b\[2J\.json": not valid JSON/);
  });

  it('many files at once are refused by their total size before any is read', async () => {
    const big = (name: string): File => {
      const f = file(name, 'x');
      Object.defineProperty(f, 'size', { value: 200 * 2 ** 20 });
      f.arrayBuffer = () => Promise.reject(new Error('read'));
      return f;
    };
    const opened = await openFiles([big('unit-0.arrow'), big('unit-1.arrow'), big('unit-2.arrow')], null);
    expect(opened.loaded).toBeNull();
    expect(opened.errors).toEqual([
      'the 3 files hold 600.0 MB in all; the page reads at most 512.0 MB at once (open fewer per-fleet files, or read them with pandas); nothing was read',
    ]);
    expect(opened.files.map((f) => f.fate)).toEqual(['refused', 'refused', 'refused']);
  });

  it('a bug while reading is an internal error, not a problem of the file', async () => {
    const broken = file('summary.json', good.summary);
    broken.text = () => Promise.reject(new TypeError('x is undefined'));
    const opened = await openFiles([broken], null);
    expect(opened.files[0]!.fate).toBe('internal');
    expect(opened.errors[0]).toBe(`summary.json: ${internalError(new TypeError('x is undefined'), 'reading summary.json')}`);
    expect(opened.errors[0]).toMatch(/internal error while reading summary\.json: "TypeError: x is undefined"\. This is a bug in fleetsim/);
  });
});

// ---- the browser -------------------------------------------------------------------------------------

let site: Site;

const generation = (page: Page): Promise<number> =>
  page.evaluate(() => Number(document.querySelector<HTMLElement>('section[data-view="sweep"]')?.dataset.generation ?? 0));

async function nextGeneration(page: Page, before: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (n) => Number(document.querySelector<HTMLElement>('section[data-view="sweep"]')?.dataset.generation ?? 0) > n,
    before,
    { timeout },
  );
}

/** Types a study into the editor and presses Run; waits until it is checked (and run, when it runs). */
async function runStudy(page: Page, text: string, timeout = 60_000): Promise<string> {
  await page.fill('#study-text', text);
  const before = await generation(page);
  await page.click('#study-run');
  await nextGeneration(page, before, timeout);
  return (await page.textContent('#study-status')) ?? '';
}

/** The problems listed under the editor, without their "line N" buttons. */
const problemTexts = (page: Page): Promise<string[]> =>
  page.$$eval('#study-problems li', (items) =>
    items.map((li) =>
      [...li.childNodes]
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent)
        .join('')
        .trim(),
    ),
  );

async function open(page: Page, files: { name: string; content: string | Uint8Array }[]): Promise<{ fates: string[]; message: string }> {
  const before = await generation(page);
  await page.setInputFiles(
    '#sweep-files',
    files.map((f) => ({ name: f.name, mimeType: 'application/octet-stream', buffer: Buffer.from(f.content) })),
  );
  await nextGeneration(page, before);
  return {
    fates: await page.$$eval('#sweep-file-fates li', (items) => items.map((li) => `${(li as HTMLElement).dataset.fate}|${li.textContent}`)),
    message: (await page.textContent('section.open .message')) ?? '',
  };
}

/** Object.prototype's own property names, in the page. */
const prototypeKeys = (page: Page): Promise<string[]> => page.evaluate(() => Object.getOwnPropertyNames(Object.prototype).sort());

describe('the page, in Chromium', () => {
  let page: Page;
  let clean: string[];

  beforeAll(async () => {
    site = await startSite();
    page = await site.open('view=sweep&backend=cpu');
    await settled(page);
    clean = await prototypeKeys(page);
  }, 300_000);

  afterAll(async () => {
    await closeSite(site);
  });

  it('a study through __proto__ is refused and the next study runs; Object.prototype gains nothing', async () => {
    const hostile = [
      JSON.stringify({ ...STUDY, axes: [{ path: 'fleet.__proto__.agents', values: [1, 2] }] }, null, 2),
      JSON.stringify({ ...STUDY, axes: [{ name: 'v', variants: [{ label: 'a', set: { '__proto__.polluted': 1 } }] }] }, null, 2),
      `{"__proto__": {"polluted": 1}, ${JSON.stringify(STUDY).slice(1)}`,
    ];
    for (const text of hostile) {
      expect(await runStudy(page, text)).toMatch(/nothing was run/);
      expect((await problemTexts(page)).join('\n')).toMatch(/__proto__/);
      expect(await prototypeKeys(page)).toEqual(clean);
    }
    await site.screenshot(page, 'hostile-proto');
    // a good study (with a byte-order mark, as a Windows editor writes it) runs after them
    expect(await runStudy(page, `\uFEFF${JSON.stringify({ ...STUDY, output: undefined }, null, 2)}`, 120_000)).toMatch(
      /^done: 12 fleet runs/,
    );
    expect(await page.textContent('#sweep-results .loaded')).toContain('hostile');
    expect(await page.evaluate(() => (({}) as Record<string, unknown>).polluted ?? ({} as Record<string, unknown>).agents)).toBeUndefined();
    expect(await prototypeKeys(page)).toEqual(clean);
  });

  it('checks the size before expanding: a huge grid is refused at once and the tab stays responsive', async () => {
    const started = Date.now();
    const grid = {
      ...STUDY,
      axes: [
        { path: 'lmax', values: values(1000) },
        { path: 'capacity', values: values(100) },
      ],
    };
    expect(await runStudy(page, JSON.stringify(grid), 20_000)).toMatch(/nothing was run/);
    // The study's own bound on the cells' statistics (src/sweep/footprint.ts) comes first, before the page's 2,000 cells.
    expect(await problemTexts(page)).toEqual([
      expect.stringMatching(/^axes: 100000 cells × 3 policies .* statistics in memory; at most 1 GiB/),
    ]);
    expect(await runStudy(page, JSON.stringify({ ...STUDY, samples: 100_000_000, replicates: 20_000 }), 20_000)).toMatch(/nothing was run/);
    expect((await problemTexts(page))[0]).toMatch(/^samples: .* units of work .*; at most 1000000$/);
    expect(await runStudy(page, JSON.stringify({ ...STUDY, samples: 1_000_000, replicates: 100 }), 20_000)).toMatch(/nothing was run/);
    expect((await problemTexts(page))[0]).toMatch(/^samples: the study needs up to .* agent-steps/);
    expect(await page.evaluate(() => 1 + 1)).toBe(2); // the tab answers
    expect(Date.now() - started).toBeLessThan(30_000); // generous: refusals are O(axes)
  });

  it('strange JSON and echoes: depth, duplicate keys on their line, values shown as text, quoted and cut', async () => {
    await runStudy(page, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(await problemTexts(page)).toEqual([
      'study: nested deeper than 64 levels of objects and arrays (not a file fleetsim writes or reads)',
    ]);
    expect(await page.$$eval('#study-problems li button', (b) => b.length)).toBe(0); // the study as a whole: no line
    await runStudy(page, '{\n  "name": "a",\n  "fleet": {"preset": "paper"},\n  "name": "b"\n}');
    expect(await page.$eval('#study-problems li', (li) => (li as HTMLElement).dataset.line)).toBe('4');
    const evil = '<img src=x onerror="window.pwned=1">';
    const path = `fleet.__proto__.\u001b[2J${evil}${'a'.repeat(300)}`;
    await runStudy(page, JSON.stringify({ ...STUDY, policies: [evil] }));
    expect((await problemTexts(page)).join('\n')).toContain('<img src=x');
    await runStudy(page, JSON.stringify({ ...STUDY, axes: [{ path, values: [1] }] }));
    const shown = (await problemTexts(page)).join('\n');
    expect(shown).toContain('\\u001b[2J<img src=x');
    expect(shown).toMatch(/… \(\d+ characters\)/);
    expect(await page.$$eval('img', (imgs) => imgs.length)).toBe(0);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    await site.screenshot(page, 'hostile-echo');
  });

  it("reports each file's fate: another sweep's Arrow files and a garbage cells.csv are refused", async () => {
    const arrows = (files: SweepFiles) => files.arrows.map((content, i) => ({ name: `unit-${i}.arrow`, content }));
    const mixed = await open(page, [
      { name: 'summary.json', content: good.summary },
      { name: 'cells.csv', content: 'garbage\n1\n' },
      ...arrows(other),
    ]);
    expect(mixed.fates[0]).toBe('opened|summary.json: opened (shown)');
    expect(mixed.fates[1]).toMatch(/^refused\|cells\.csv: refused: not a fleetsim cells\.csv/);
    expect(
      mixed.fates
        .slice(2)
        .every((f) => /^refused\|unit-\d+\.arrow: refused: not the per-fleet rows of summary\.json: another sweep/.test(f)),
    ).toBe(true);
    expect(mixed.message).toMatch(/^cells\.csv: not a fleetsim cells\.csv/);
    expect(await page.getAttribute('section.open .message', 'data-kind')).toBe('error');
    expect(await page.textContent('#sweep-results .loaded')).not.toContain('Arrow file');
    await site.screenshot(page, 'hostile-fates');

    // the sweep's own files: all opened or ignored with the reason, nothing refused
    const own = await open(page, [
      { name: 'summary.json', content: good.summary },
      { name: 'cells.csv', content: good.csv },
      ...arrows(good),
    ]);
    expect(own.fates[1]).toBe('ignored|cells.csv: ignored: the same table as summary.json, which is shown');
    expect(own.fates.slice(2).every((f) => f.startsWith('opened|'))).toBe(true);
    expect(own.message).toMatch(/^opened summary\.json, unit-0\.arrow.*\(1 file\(s\) ignored, see below\)$/);
    expect(await page.textContent('#sweep-results .loaded')).toContain(`${good.arrows.length} Arrow files`);

    // a manifest of another study
    const manifest = JSON.stringify({ format: MANIFEST_FORMAT, studyHash: other.table.studyHash.replace(/^./, 'x') });
    const foreign = await open(page, [
      { name: 'summary.json', content: good.summary },
      { name: 'manifest.json', content: manifest },
    ]);
    expect(foreign.fates[1]).toMatch(/^refused\|manifest\.json: refused: another study \(study hash "x/);
    expect(await prototypeKeys(page)).toEqual(clean);
  });

  it('a bug while reading shows as an internal error, distinct from a problem of the file', async () => {
    await page.evaluate(() => {
      File.prototype.text = () => Promise.reject(new TypeError('simulated bug'));
    });
    const broken = await open(page, [{ name: 'summary.json', content: good.summary }]);
    expect(broken.fates).toEqual([
      'internal|summary.json: internal error while reading summary.json: "TypeError: simulated bug". This is a bug in fleetsim, not a problem in your input; please report it.',
    ]);
    expect(broken.message).toContain('internal error while reading summary.json');
    expect(await page.textContent('#sweep-results .loaded')).toContain('hostile'); // what was shown stays
    await site.screenshot(page, 'hostile-internal');
  });
});
