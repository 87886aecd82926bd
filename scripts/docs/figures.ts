/**
 * The Markdown side of `npm run docs:check`: tagged regions, the numbers printed in them, and their
 * comparison with what a check's command produces; and what a check is (Check, CheckContext), which
 * the registries (checks.ts, queueing.ts) fill in.
 *
 * The rules (docs/CHECKS.md says the same for writers):
 * - A tag is an HTML comment on its own line, `<!-- check: ID -->`; ID names an entry of the registry
 *   (scripts/docs/checks.ts), which holds the command that produces the figures. The tag covers the
 *   block that follows it: a table (its consecutive `|` lines) or a paragraph or list (up to the next
 *   blank line).
 * - The numbers of a region are, in reading order, every number outside code spans, link targets,
 *   dates (2026-11-21) and clock times (14:20); in a table, outside the header row and the first
 *   column (the row labels). `1,411` is 1411, `−0.43` and `-35.1` are negative (a minus sign or a
 *   hyphen right before the digits, not after a word), `10^5` is 1e5; `2–16` is two numbers.
 * - A check returns one expectation per number, in order: a figure (a result of its command), an
 *   input (a setting of the command, printed back) or an approximation with its own tolerance (for
 *   "≈ 750"). Each is compared at the precision it is printed with: half a unit of its last digit,
 *   inclusive (`110.258` ± 0.0005, `1,411` ± 0.5, `2.4` ± 0.05). A region with more or fewer numbers
 *   than its check expects fails, so an added figure needs its command.
 * - Figure regions that must be tagged (an untagged one fails): in README.md, docs/MODEL.md and
 *   docs/QUEUEING.md every table with a number outside its first column; in README.md's sections
 *   listed in REQUIRED_SECTIONS every block that holds a number. Numbers elsewhere in prose (Δt = 1 s,
 *   "1–64 agents") are inputs and definitions, not figures.
 */

import type { PaperResult } from '../../src/cli/paper.js';
import type { Engine } from '../../src/platform/engine.js';
import type { CellSummary } from '../../src/sweep/aggregate.js';

export interface Expectation {
  kind: 'figure' | 'input' | 'approx' | 'unsourced';
  value: number;
  tolerance?: number; // approx only: the absolute tolerance
  why?: string; // unsourced only
}

export const fig = (value: number): Expectation => ({ kind: 'figure', value });
export const input = (value: number): Expectation => ({ kind: 'input', value });
export const approx = (value: number, tolerance: number): Expectation => ({ kind: 'approx', value, tolerance });
/**
 * A figure that no command or file reproduces, listed here by its printed value so that it stays
 * visible (the checker reports each one) and an edit of it still fails. Each is a known gap.
 */
export const unsourced = (value: number, why: string): Expectation => ({ kind: 'unsourced', value, why });

/** What checks run their commands through (memoised: a command shared by several regions runs once). */
export interface CheckContext {
  /** `fleetsim paper --json --backend cpu [--lmax L]`. */
  paper(lmax?: number): Promise<PaperResult>;
  /**
   * `fleetsim sweep sweeps/<name>.json --backend cpu`: summary.json's cells; with `overrides`, of the
   * study with those fields set (as `fleetsim montecarlo --steps N` sets them).
   */
  study(name: string, overrides?: Readonly<Record<string, number>>): Promise<CellSummary[]>;
  /** A run on the GPU engine (the docs' lavapipe figures); throws without an adapter. */
  gpu(): Promise<Engine>;
}

export interface Check {
  command: string; // what a reader runs to see the figures
  slow?: boolean;
  expect(ctx: CheckContext): Promise<Expectation[]>;
}

/** A number as printed: its value, the half unit of its last digit, and where it stands. */
export interface PrintedNumber {
  text: string;
  value: number;
  halfUnit: number;
  line: number; // 1-based line in the file
}

export interface Region {
  file: string;
  id: string | null; // null: an untagged region that must be tagged
  line: number; // first line of the block
  kind: 'table' | 'prose';
  numbers: PrintedNumber[];
}

/** README sections (## headings) in which every block holding a number is a figure region. */
export const REQUIRED_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  'README.md': ['What the shipped studies find', 'Performance'],
};
/** Files in which every table with a number outside its first column is a figure region. */
export const TABLE_FILES = ['README.md', 'docs/MODEL.md', 'docs/QUEUEING.md'];
/** Sections whose tables hold no results: README's folder table, the docs' formula ↔ test tables. */
export const TABLE_EXEMPT_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  'README.md': ['How it works'],
  // Tables of formulas and the tests that check them: their numbers are the formulas' constants.
  'docs/MODEL.md': ['Every closed form and the test that checks it'],
  'docs/QUEUEING.md': ['Every formula and its test'],
};

const TAG = /^<!--\s*check:\s*([\w.-]+)\s*-->\s*$/;
// A number: an optional sign (U+2212 minus, '-' or '+') not glued to a word, digits with optional
// thousands commas, a fraction, and an optional power (10^5, 2^-24).
const NUMBER = /(?<![\w.^])(?<!\w-)([−+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\^([−-]?\d+))?(?![\w])/gu;
const IGNORED = [
  /`[^`\n]*(?:\n[^`\n]*)?`/g, // code spans (one line break at most)
  /\]\([^)]*\)/g, // link targets
  /\b\d{4}-\d{2}-\d{2}\b/g, // dates
  /\b\d{1,2}:\d{2}\b/g, // clock times
];

/** `text` with code spans, link targets, dates and times blanked out (line breaks kept). */
export function blankIgnored(text: string): string {
  let clean = text;
  for (const re of IGNORED) clean = clean.replace(re, (m) => m.replace(/[^\n]/g, ' '));
  return clean;
}

/** The numbers printed in `text` (one line, already through blankIgnored), in order. */
export function numbersIn(text: string, line: number): PrintedNumber[] {
  const out: PrintedNumber[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const [text, sign, int, frac, power] = m as unknown as [string, string, string, string | undefined, string | undefined];
    const negative = sign === '−' || sign === '-';
    const mantissa = Number(int.replaceAll(',', '') + (frac ?? ''));
    const digits = frac ? frac.length - 1 : 0;
    if (power !== undefined) {
      const p = Number(power.replace('−', '-'));
      out.push({ text, value: (negative ? -1 : 1) * mantissa ** p, halfUnit: 0, line });
    } else out.push({ text, value: negative ? -mantissa : mantissa, halfUnit: 0.5 * 10 ** -digits, line });
  }
  return out;
}

const cellsOf = (row: string): string[] => row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|');

/** Every block of a Markdown file with its tag (if any) and its numbers; code fences are skipped. */
export function regionsOf(file: string, markdown: string): (Region & { section: string })[] {
  const lines = markdown.split('\n');
  const regions: (Region & { section: string })[] = [];
  let section = '';
  let tag: string | null = null;
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) fence = !fence;
    if (fence || line.startsWith('```')) continue;
    const heading = /^##\s+(.*)$/.exec(line);
    if (heading) {
      section = heading[1]!.trim();
      tag = null;
      continue;
    }
    const tagged = TAG.exec(line.trim());
    if (tagged) {
      tag = tagged[1]!;
      continue;
    }
    if (line.trim() === '' || line.startsWith('#') || line.startsWith('<!--')) continue;
    const start = i;
    const table = line.trimStart().startsWith('|');
    const numbers: PrintedNumber[] = [];
    // A block ends at a blank line, a tag, a fence, or where a table starts or stops.
    const inBlock = (text: string): boolean =>
      text.trim() !== '' && !text.startsWith('```') && !TAG.test(text.trim()) && text.trimStart().startsWith('|') === table;
    while (i < lines.length && inBlock(lines[i]!)) i++;
    blankIgnored(lines.slice(start, i).join('\n'))
      .split('\n')
      .forEach((text, k) => {
        if (!table) numbers.push(...numbersIn(text, start + k + 1));
        else if (k > 0 && !/^\s*\|[\s:|-]+\|\s*$/.test(text)) {
          numbers.push(
            ...cellsOf(text)
              .slice(1)
              .flatMap((cell) => numbersIn(cell, start + k + 1)),
          );
        }
      });
    i--;
    regions.push({ file, id: tag, line: start + 1, kind: table ? 'table' : 'prose', numbers, section });
    tag = null;
  }
  return regions;
}

/** The regions that must be tagged, or are: the tagged ones and the untagged figure regions. */
export function figureRegions(file: string, markdown: string): Region[] {
  const required = REQUIRED_SECTIONS[file] ?? [];
  return regionsOf(file, markdown).filter(
    (r) =>
      r.id !== null ||
      (r.numbers.length > 0 &&
        (required.includes(r.section) ||
          (r.kind === 'table' && TABLE_FILES.includes(file) && !(TABLE_EXEMPT_SECTIONS[file] ?? []).includes(r.section)))),
  );
}

export interface Mismatch {
  file: string;
  line: number;
  message: string;
}

/** Compares a region's numbers with a check's expectations, in order. */
export function compareRegion(region: Region, expected: readonly Expectation[]): Mismatch[] {
  const where = (line: number): Pick<Mismatch, 'file' | 'line'> => ({ file: region.file, line });
  if (expected.length !== region.numbers.length) {
    return [
      {
        ...where(region.line),
        message: `check ${region.id}: the ${region.kind} shows ${region.numbers.length} numbers, its command gives ${expected.length} (printed: ${region.numbers.map((n) => n.text).join(' ')})`,
      },
    ];
  }
  const out: Mismatch[] = [];
  region.numbers.forEach((n, k) => {
    const e = expected[k]!;
    const tolerance = e.kind === 'approx' ? e.tolerance! : n.halfUnit;
    // Inclusive half unit, with room for the binary representation of both sides.
    if (!(Math.abs(n.value - e.value) <= tolerance + 1e-9 * Math.max(1, Math.abs(e.value)))) {
      out.push({
        ...where(n.line),
        message: `check ${region.id}: number ${k + 1} is printed ${n.text}, its command gives ${e.kind === 'input' ? 'the input ' : ''}${e.value} (tolerance ±${tolerance})`,
      });
    }
  });
  return out;
}
