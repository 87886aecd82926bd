/**
 * cells.csv: the summary table flat, one row per cell × policy, for spreadsheets and pandas; written and
 * read back here, by the CLI and the page alike (browser-safe; src/results/write.ts writes the file).
 * It holds no latency-change statistics (summary.json and the per-fleet rows do).
 *
 * Spreadsheet injection: a text cell (an axis name or value, a policy) that begins with `=`, `+`, `-`,
 * `@`, a tab or a carriage return would run as a formula in Excel, LibreOffice or Google Sheets
 * (`=HYPERLINK(…)`), so it is written with a `'` in front and quoted (the OWASP rule), as is a text
 * cell that begins with `'` itself, so that reading strips exactly one leading `'` from every text
 * cell and gets the label back. Numbers, negative ones included, are written as numbers.
 *
 * @example
 *   const text = cellsCsv(table);
 *   const again = parseCellsCsv(text, 'cells.csv'); // the same means, CIs and win fractions
 */
import type { StatSummary } from '../stats/index.js';
import { type CellSummary, policyPairs } from '../sweep/aggregate.js';
import { displayPath, quote } from '../text/quote.js';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { cellVerdicts, cellWarnings, VERDICT_METRICS } from '../sweep/verdict.js';
import { DIFF_FIELDS, STAT_FIELDS } from './columns.js';
import { InputError } from './errors.js';
import { SUMMARY_FORMAT, type SummaryTable } from './tables.js';


function statValues(s: StatSummary | null): (number | null)[] {
  if (s === null) return STAT_FIELDS.map(() => null);
  return [s.mean, s.std, s.ci95[0], s.ci95[1], s.min, s.max, s.p50, s.p90, s.p99];
}

/** A text cell a spreadsheet would run as a formula, or one that begins with the `'` that marks one. */
const FORMULA = /^['=+\-@\t\r]/;

/**
 * RFC 4180 field: quoted when it holds a comma, quote or line break; a text cell that a spreadsheet
 * would read as a formula gets a `'` in front and is quoted (see the header). Numbers stay numbers.
 */
function csvField(x: number | string | null): string {
  if (x === null) return '';
  if (typeof x === 'number') return String(x);
  const formula = FORMULA.test(x);
  const text = formula ? `'${x}` : x;
  return formula || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A field of the file in a message: as it is when plain (a column name, a number), else quoted and cut. */
const shown = (field: string): string => (/^[\w.+-]{1,60}$/.test(field) ? field : quote(field));

/** A text cell as written → the label: one leading `'` (csvField's formula guard) removed. */
const textCell = (field: string): string => (field.startsWith("'") ? field.slice(1) : field);

/**
 * This row's policy against `other` on `metric` from the cell's verdicts: the paired difference
 * policy − other (mean, 95 % CI, paired runs), the paired runs this policy won, and the winner's name
 * ('' without one); nulls without a verdict (the policy itself, or a summary of an older version).
 */
function verdictValues(cell: CellSummary, policy: string, other: string, metric: string): (number | string | null)[] {
  const v =
    policy === other
      ? undefined
      : cell.verdicts.find((x) => x.metric === metric && ((x.a === policy && x.b === other) || (x.a === other && x.b === policy)));
  if (v === undefined) return [...DIFF_FIELDS.map(() => null), null, null];
  const d = v.difference;
  const mine = v.b === policy; // the verdict's difference is b − a
  const [low, high] = d === null ? [null, null] : d.ci95;
  const negate = (x: number | null): number | null => (x === null ? null : -x + 0);
  const bounds = mine ? [low, high] : [negate(high), negate(low)];
  const mean = d === null ? null : mine ? d.mean : -d.mean + 0;
  return [mean, ...bounds, v.n, mine ? v.bWins : v.aWins, v.winner ?? ''];
}

/**
 * A cell's verdicts again from its rows' verdict columns (parseCellsCsv): the difference's mean, CI
 * and paired runs, the win counts and the policies' own statistics are all the verdict's sentence
 * depends on, so the sentence is the one summary.json holds (the difference's std is recovered from
 * its CI, its quantiles are not in the file: they read as the mean, like the metrics' missing ones).
 * The verdict metrics whose columns the file has (an older version's: avgLatency, throughput and cost,
 * without `_n`, whose paired runs are the cell's fleet runs).
 */
function verdictsFromColumns(
  cell: CellSummary,
  policies: readonly string[],
  value: (policy: string, column: string) => number | null,
  header: readonly string[],
): CellSummary['verdicts'] {
  const pairs = policyPairs(policies);
  const columns = new Set(header);
  const present = VERDICT_METRICS.map(({ metric }) => metric).filter((metric) =>
    pairs.every(([, b]) => columns.has(`diff_${metric}_vs_${b}_mean`)),
  );
  if (pairs.length === 0 || present.length === 0) return [];
  return cellVerdicts(
    pairs,
    cell.policies,
    (a, b, metric) => {
      const column = (f: string): number | null => value(a, `diff_${metric}_vs_${b}_${f}`); // a − b
      const aWins = value(a, `wins_${metric}_vs_${b}`) ?? 0;
      const bWins = value(b, `wins_${metric}_vs_${a}`) ?? 0;
      const given = column('mean');
      // No mean: no pair defined the metric (summary.json's difference is null, n 0).
      if (given === null) return { n: column('n') ?? 0, aWins, bWins, ties: 0, difference: null };
      const n = column('n') ?? cell.fleetRuns; // an older version's file: every fleet run is a pair
      const mean = -given + 0;
      const low = column('ci95High');
      const high = column('ci95Low');
      const ci95: [number | null, number | null] = [low === null ? null : -low + 0, high === null ? null : -high + 0];
      const std = ci95[0] === null || ci95[1] === null || n < 2 ? null : ((ci95[1] - ci95[0]) / 2 / tQuantile(0.975, n - 1)) * Math.sqrt(n);
      return {
        n,
        aWins,
        bWins,
        ties: Math.max(0, n - aWins - bWins),
        difference: { n, mean, std, ci95, min: mean, max: mean, p50: mean, p90: mean, p99: mean },
      };
    },
    new Set(present),
  );
}

/**
 * One row per cell × policy: the cell, its axis values, the policy, the fleet runs, then
 * `<metric>_<mean|std|ci95Low|ci95High|min|max|p50|p90|p99>` for every metric, then
 * `winFraction_vs_<other>`: the fraction of fleet runs where this policy's avgLatency is lower; then
 * per verdict metric (VERDICT_METRICS: avgLatency, throughput, cost, then the §4.7 metrics) and other
 * policy `diff_<metric>_vs_<other>_<mean|ci95Low|ci95High|n>`, the paired difference this policy −
 * other with its 95 % CI and its paired runs,
 * `wins_<metric>_vs_<other>`, the paired runs this policy won, and `winner_<metric>_vs_<other>`, the
 * verdict's winner (empty: no clear difference); last `unstableFraction`, the fraction of this
 * policy's fleet runs with a growing queue.
 */
export function cellsCsv(table: SummaryTable): string {
  const header = [
    'cell',
    ...table.axes.map((a) => a.name),
    'policy',
    'fleetRuns',
    ...table.metrics.flatMap((m) => STAT_FIELDS.map((f) => `${m}_${f}`)),
    ...table.policies.map((p) => `winFraction_vs_${p}`),
    ...VERDICT_METRICS.flatMap(({ metric }) =>
      table.policies.flatMap((p) => [
        ...DIFF_FIELDS.map((f) => `diff_${metric}_vs_${p}_${f}`),
        `wins_${metric}_vs_${p}`,
        `winner_${metric}_vs_${p}`,
      ]),
    ),
    'unstableFraction',
  ];
  const rows = [header.map(csvField).join(',')];
  for (const cell of table.cells) {
    for (const ps of cell.policies) {
      const wins = table.policies.map((other) => {
        if (other === ps.policy) return null;
        const pair = cell.pairs.find((q) => (q.a === ps.policy && q.b === other) || (q.b === ps.policy && q.a === other))!;
        return pair.a === ps.policy ? pair.aWinFraction : pair.bWinFraction;
      });
      const row = [
        cell.cell,
        ...table.axes.map((a) => cell.values[a.name] ?? null),
        ps.policy,
        cell.fleetRuns,
        ...table.metrics.flatMap((m) => statValues(ps.metrics[m] ?? null)),
        ...wins,
        ...VERDICT_METRICS.flatMap(({ metric }) => table.policies.flatMap((other) => verdictValues(cell, ps.policy, other, metric))),
        ps.metrics.unstable?.mean ?? null,
      ];
      rows.push(row.map(csvField).join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks); each with its line number. */
export function csvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
      fields = [];
      field = '';
      line++;
      start = line;
    } else field += c;
  }
  if (quoted) throw new InputError(`a quoted field that starts on line ${start} is never closed`);
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ line: start, fields });
  }
  return records;
}

/** A CSV number: '' is null; anything not a finite number (text, 1e999) is a problem at its line and column. */
function csvNumber(text: string, where: () => string): number | null {
  if (text === '') return null;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new InputError(`${where()}: ${quote(text)} is not a number`);
  if (!Number.isFinite(value)) throw new InputError(`${where()}: ${shown(text)} overflows (not a finite number)`);
  return value;
}

/**
 * cells.csv → the table. The columns are the CLI's: `cell`, the axes, `policy`, `fleetRuns`,
 * `<metric>_<stat>`, `winFraction_vs_<policy>`, the verdict columns. The pairs get their win
 * fractions from `winFraction_vs_`; the verdicts and warnings are made again from the verdict
 * columns and the metrics (the same sentences as summary.json's); cells.csv has no latency-change
 * statistics (summary.json and the Arrow rows do).
 */
export function parseCellsCsv(text: string, fileName: string): SummaryTable {
  const name = displayPath(fileName);
  let records: { line: number; fields: string[] }[];
  try {
    records = csvRecords(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InputError(`${name}: ${(error as Error).message}`);
  }
  const header = (records[0]?.fields ?? []).map(textCell);
  const cellAt = header.indexOf('cell');
  const policyAt = header.indexOf('policy');
  const runsAt = header.indexOf('fleetRuns');
  const metrics = header.filter((h) => h.endsWith('_mean') && !h.startsWith('diff_')).map((h) => h.slice(0, -'_mean'.length));
  const missing = [
    cellAt < 0 ? 'cell' : '',
    policyAt < 0 ? 'policy' : '',
    runsAt < 0 ? 'fleetRuns' : '',
    metrics.length === 0 ? '<metric>_mean' : '',
  ].filter((m) => m !== '');
  for (const m of metrics) for (const s of STAT_FIELDS) if (!header.includes(`${m}_${s}`)) missing.push(shown(`${m}_${s}`));
  if (missing.length > 0 || policyAt < cellAt) {
    const found = header
      .slice(0, 6)
      .map((h) => quote(h, 30))
      .join(', ');
    throw new InputError(
      `${name}: not a fleetsim cells.csv: missing column(s) ${missing.slice(0, 4).join(', ') || 'cell before policy'}${missing.length > 4 ? '…' : ''} (its columns begin: ${found || 'nothing'})`,
    );
  }
  const axisNames = header.slice(cellAt + 1, policyAt);
  const winColumns = header.map((h, i) => [h, i] as const).filter(([h]) => h.startsWith('winFraction_vs_'));
  const verdictColumns = header.map((h, i) => [h, i] as const).filter(([h]) => h.startsWith('diff_') || h.startsWith('wins_'));
  const verdictCells = new Map<string, Map<string, number | null>>(); // "cell|policy" → column → value
  const rows = records.slice(1);
  if (rows.length === 0) throw new InputError(`${name}: the header has no rows under it`);

  const policies: string[] = [];
  const axisValues = axisNames.map(() => [] as (number | string)[]);
  const cells = new Map<number, CellSummary>();
  const wins = new Map<number, Map<string, Map<string, number | null>>>(); // cell → policy → other → fraction
  for (const { line, fields } of rows) {
    if (fields.length !== header.length)
      throw new InputError(`${name}: line ${line} has ${fields.length} fields, the header has ${header.length}`);
    const at = (column: number) => () => `${name}: line ${line}, column ${shown(header[column]!)}`;
    const need = (column: number): number => {
      const v = csvNumber(fields[column]!, at(column));
      if (v === null) throw new InputError(`${at(column)()}: empty`);
      return v;
    };
    const index = need(cellAt);
    const runs = need(runsAt);
    if (!Number.isSafeInteger(index) || index < 0) throw new InputError(`${at(cellAt)()}: ${index} is not a cell number`);
    if (!Number.isSafeInteger(runs) || runs < 0) throw new InputError(`${at(runsAt)()}: ${runs} is not a count of fleet runs`);
    const policy = textCell(fields[policyAt]!);
    if (policy === '') throw new InputError(`${at(policyAt)()}: empty`);
    if (!policies.includes(policy)) policies.push(policy);
    let cell = cells.get(index);
    if (!cell) {
      // Object.fromEntries defines own properties: an axis named __proto__ stays a column.
      const values: Record<string, number | string> = Object.fromEntries(
        axisNames.map((axis, a) => {
          const raw = fields[cellAt + 1 + a]!;
          const number = raw.startsWith("'") ? textCell(raw) : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
          if (!axisValues[a]!.includes(number)) axisValues[a]!.push(number);
          return [axis, number];
        }),
      );
      cell = { cell: index, values, fleetRuns: runs, policies: [], pairs: [], verdicts: [], warnings: [] };
      cells.set(index, cell);
      wins.set(index, new Map());
    }
    if (cell.policies.some((p) => p.policy === policy))
      throw new InputError(`${name}: line ${line}: cell ${index} has the policy ${quote(policy)} twice`);
    const stats: Record<string, StatSummary | null> = {};
    for (const m of metrics) {
      const v = STAT_FIELDS.map((s) => {
        const column = header.indexOf(`${m}_${s}`);
        return csvNumber(fields[column]!, at(column));
      });
      const [mean, std, lo, hi, min, max, p50, p90, p99] = v;
      stats[m] =
        mean === null || mean === undefined
          ? null
          : {
              n: runs,
              mean,
              std: std ?? null,
              ci95: [lo ?? null, hi ?? null],
              min: min ?? mean,
              max: max ?? mean,
              p50: p50 ?? mean,
              p90: p90 ?? mean,
              p99: p99 ?? mean,
            };
    }
    cell.policies.push({ policy, metrics: stats });
    const verdictRow = new Map<string, number | null>();
    verdictColumns.forEach(([h, i]) => verdictRow.set(h, csvNumber(fields[i]!, at(i))));
    verdictCells.set(`${index}|${policy}`, verdictRow);
    wins.get(index)!.set(policy, new Map(winColumns.map(([h, i]) => [h.slice('winFraction_vs_'.length), csvNumber(fields[i]!, at(i))])));
  }
  for (const cell of cells.values()) {
    cell.verdicts = verdictsFromColumns(
      cell,
      policies,
      (policy, column) => verdictCells.get(`${cell.cell}|${policy}`)?.get(column) ?? null,
      header,
    );
    cell.warnings = cellWarnings(cell.policies);
    const byPolicy = wins.get(cell.cell)!;
    cell.pairs = policyPairs(policies).flatMap(([a, b]) => {
      const aw = byPolicy.get(a)?.get(b) ?? null;
      const bw = byPolicy.get(b)?.get(a) ?? null;
      if (aw === null && bw === null) return [];
      const n = cell.fleetRuns;
      const aWins = Math.round((aw ?? 0) * n);
      const bWins = Math.round((bw ?? 0) * n);
      return [
        {
          a,
          b,
          n,
          aWins,
          bWins,
          ties: Math.max(0, n - aWins - bWins),
          aWinFraction: aw,
          bWinFraction: bw,
          latencyChange: null,
          undefinedChange: 0,
        },
      ];
    });
  }
  return {
    format: SUMMARY_FORMAT,
    study: fileName.replace(/\.csv$/i, ''),
    studyHash: '',
    seed: 0,
    axes: axisNames.map((axis, a) => ({ name: axis, values: axisValues[a]! })),
    policies,
    metrics,
    quantiles: '',
    cells: [...cells.values()].sort((x, y) => x.cell - y.cell),
  };
}
